"""The Batch API's HTTP routes of the simulated gateway: ``/v1/files*`` and ``/v1/batches*``.

智增增 serves them (state in :class:`zzz_testing.batches.BatchStore`); new-api has none:
``/v1/files*`` answers 501 ``api_not_implemented`` and ``/v1/batches*`` has no route (404).
:func:`answer` returns ``(status, JSON object or file bytes)``; :func:`respond` makes that a
response with the builders :mod:`zzz_testing.handlers` passes in.  Each batch line is answered
by the ``handle`` passed in (the live routes' own handler), with the simulator's queued faults,
so this module imports nothing from the handlers (no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .batches import BatchStore, StoreError, parse_multipart

__all__ = ["NOT_IMPLEMENTED", "BatchStore", "answer", "respond", "serves"]

NOT_IMPLEMENTED = {"error": {"message": "API not implemented", "type": "new_api_error", "param": "",
                             "code": "api_not_implemented"}}  # fmt: skip
"""new-api's answer on ``/v1/files*`` (router/relay-router.go: RelayNotImplemented)."""


def serves(method: str, path: str, dialect: str) -> bool:
    """Whether the dialect has a route for ``method path`` (new-api: only /v1/files*, as a 501)."""
    parts = path.split("/")[2:]
    if not parts or parts[0] not in ("files", "batches"):
        return False
    if dialect == "newapi":
        return parts[0] == "files"  # /v1/batches: no route, 404
    n, tail = len(parts), parts[2:]
    if parts[0] == "files":
        return (n == 1 and method == "POST") or (method == "GET" and (n == 2 or (n == 3 and tail == ["content"])))
    return (
        (n == 1 and method in ("GET", "POST"))
        or (n == 2 and method == "GET")
        or (n == 3 and tail == ["cancel"] and method == "POST")
    )


def answer(req: Any, cfg: Any, handle: Callable[..., Any]) -> tuple[int, Any]:
    """``(status, body)`` for a request :func:`serves` accepts; ``body`` is a dict, or bytes (a file)."""
    if cfg.dialect == "newapi":
        return 501, NOT_IMPLEMENTED
    store, run = cfg.batches, _line_runner(req, cfg, handle)
    kind, *rest = req.path.rstrip("/").split("/")[2:]
    try:
        if kind == "files":
            if not rest:
                fields = parse_multipart(req.headers.get("content-type", ""), req.body)
                if "file" not in fields:
                    raise StoreError(400, "参数错误：file 不能为空", "file")
                purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
                name, data = fields["file"]
                return 200, store.add_file(name or "", purpose, data).as_json()
            f = store.file(rest[0])
            return 200, (f.data if rest[1:] == ["content"] else f.as_json())
        if not rest:
            if req.method == "POST":
                return 200, store.create(req.json(), req.headers)
            query = dict(p.partition("=")[::2] for p in req.query.split("&") if p)
            limit = int(query["limit"]) if query.get("limit", "").isdigit() else 20
            return 200, store.list(run, query.get("after") or None, limit)
        if rest[1:] == ["cancel"]:
            return 200, store.cancel(rest[0], run)
        return 200, store.get(rest[0], run)
    except StoreError as exc:
        # OpenAI's shape: 智增增 relays these routes to OpenAI (a guess: no 智增增 text was found).
        return exc.status, {"error": {"message": exc.message, "type": "invalid_request_error", "param": exc.param,
                                      "code": None}}  # fmt: skip


def respond(req: Any, cfg: Any, handle: Callable[..., Any], *, ok: Any, error: Any, response: Any) -> Any:
    """:func:`answer` as the handlers' response: ``ok``/``error`` build JSON in the dialect's
    shape (``_ok``/``_json``), ``response`` is ``SimResponse`` (for a file's bytes)."""
    status, body = answer(req, cfg, handle)
    if isinstance(body, bytes):
        return response(status, [("Content-Type", "application/octet-stream")], body)
    return ok(cfg, body) if status == 200 else error(status, body, cfg)


def _line_runner(req: Any, cfg: Any, handle: Callable[..., Any]) -> Callable[..., tuple[int, bytes]]:
    """How a batch line is answered: by ``handle``, with the simulator's queued faults."""
    make = type(req)  # the handlers' SimRequest, without importing them

    def run(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        line = make(method, path, headers, body)
        resp = handle(line, cfg, cfg.batch_line_fault(line) if cfg.batch_line_fault else None)
        if resp.reset or not isinstance(resp.body, (bytes, bytearray)):
            return 502, b""
        return resp.status, bytes(resp.body)

    return run
