"""The Batch API's HTTP routes of the simulated gateway: ``/v1/files*`` and ``/v1/batches*``.

智增增 serves them (state in :class:`zzz_testing.batches.BatchStore`); new-api has none:
``/v1/files*`` answers 501 ``api_not_implemented`` and ``/v1/batches*`` has no route (404).
Each batch line is answered by :func:`zzz_testing.handlers.handle`, the live routes' own
handler, with the simulator's queued faults.
"""

from __future__ import annotations

from typing import Any

from .batches import StoreError, parse_multipart
from .handlers import SimConfig, SimRequest, SimResponse, _json, _ok, handle

__all__ = ["batch_route"]

_NOT_IMPLEMENTED = {"error": {"message": "API not implemented", "type": "new_api_error", "param": "",
                              "code": "api_not_implemented"}}  # fmt: skip


def _not_implemented(req: SimRequest, cfg: SimConfig) -> SimResponse:
    """new-api's answer on ``/v1/files*`` (router/relay-router.go: RelayNotImplemented)."""
    return _json(501, _NOT_IMPLEMENTED, cfg)


def _run_batch_line(cfg: SimConfig) -> Any:
    """How a batch line is answered: by :func:`handle`, the live routes' own handler."""

    def run(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        req = SimRequest(method, path, headers, body)
        resp = handle(req, cfg, cfg.batch_line_fault(req) if cfg.batch_line_fault else None)
        if resp.reset or not isinstance(resp.body, (bytes, bytearray)):
            return 502, b""
        return resp.status, bytes(resp.body)

    return run


def _batch_api(req: SimRequest, cfg: SimConfig) -> SimResponse:
    """``/v1/files*`` and ``/v1/batches*`` in the 智增增 dialect (see :mod:`zzz_testing.batches`)."""
    store, run = cfg.batches, _run_batch_line(cfg)
    kind, *rest = req.path.rstrip("/").split("/")[2:]
    try:
        if kind == "files":
            if not rest:
                fields = parse_multipart(req.headers.get("content-type", ""), req.body)
                if "file" not in fields:
                    raise StoreError(400, "参数错误：file 不能为空", "file")
                purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
                name, data = fields["file"]
                return _ok(cfg, store.add_file(name or "", purpose, data).as_json())
            f = store.file(rest[0])
            if rest[1:] == ["content"]:
                return SimResponse(200, [("Content-Type", "application/octet-stream")], f.data)
            return _ok(cfg, f.as_json())
        if not rest:
            if req.method == "POST":
                return _ok(cfg, store.create(req.json(), req.headers))
            query = dict(p.partition("=")[::2] for p in req.query.split("&") if p)
            limit = int(query["limit"]) if query.get("limit", "").isdigit() else 20
            return _ok(cfg, store.list(run, query.get("after") or None, limit))
        if rest[1:] == ["cancel"]:
            return _ok(cfg, store.cancel(rest[0], run))
        return _ok(cfg, store.get(rest[0], run))
    except StoreError as exc:
        # OpenAI's shape: 智增增 relays these routes to OpenAI (a guess: no 智增增 text was found).
        err = {"message": exc.message, "type": "invalid_request_error", "param": exc.param, "code": None}
        return _json(exc.status, {"error": err}, cfg)


def batch_route(method: str, path: str, cfg: SimConfig) -> Any:
    parts = path.split("/")[2:]
    if not parts or parts[0] not in ("files", "batches"):
        return None
    if cfg.dialect == "newapi":
        return _not_implemented if parts[0] == "files" else None  # /v1/batches: no route, 404
    n, tail = len(parts), parts[2:]
    if parts[0] == "files":
        ok = (n == 1 and method == "POST") or (method == "GET" and (n == 2 or (n == 3 and tail == ["content"])))
    else:
        ok = (n == 1 and method in ("GET", "POST")) or (n == 2 and method == "GET")
        ok = ok or (n == 3 and tail == ["cancel"] and method == "POST")
    return _batch_api if ok else None
