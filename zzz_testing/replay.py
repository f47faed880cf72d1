"""Replaying a capture (``zzz capture -o FILE``): real gateway answers served by the simulator.

``GatewaySimulator(replay=FILE)`` answers each request with the recorded answer of the probe
it matches, so a user's capture of a live gateway becomes a test.  The file format (JSON,
``version`` 1, documented in ``docs/capture.md``)::

    {"version": 1, "gateway": "zhizengzeng", "host": "api.zhizengzeng.com", "captured_at": "…",
     "probes": [{"name": "chat", "request": {"method": "POST", "path": "/chat/completions", "body": {…}},
                 "status": 200, "headers": {"content-type": "…"}, "body": {…}}, …]}

A probe's answer is either ``body`` (JSON or text) or ``sse`` (the ``data:`` payloads of a
stream, ``[DONE]`` included); the bad-key probe's request says ``"auth": "invalid"``.

A request matches a probe when method, path (below ``/v1``) and the fields that decide what a
gateway answers agree: model, streaming, tools present, ``response_format`` type, an empty
message list, an oversized ``max_tokens`` and the unsupported-parameter probe's parameter.
With ``api_keys`` set, a request carrying another key gets the bad-key probe's answer.  A
request no probe matches gets a 404 that says so and lists the probes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .handlers import SimRequest, SimResponse

__all__ = ["CAPTURE_VERSION", "OVERSIZED_MAX_TOKENS", "UNSUPPORTED_PARAMETER", "Replay", "load_capture", "match_key"]

CAPTURE_VERSION = 1
"""The capture format this code writes and reads."""

OVERSIZED_MAX_TOKENS = 100_000
"""A ``max_tokens`` above this is "oversized" (the failure probe asks for far more)."""

UNSUPPORTED_PARAMETER = "parallel_tool_calls"
"""The parameter the unsupported-parameter probe sends (without tools, where no model takes it)."""


def load_capture(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a capture file; a clear ``ValueError`` when it is not one this version reads."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not a capture file (not JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("probes"), list):
        raise ValueError(f"{path}: not a capture file (no 'probes' list); make one with `zzz capture -o FILE`")
    if data.get("version") != CAPTURE_VERSION:
        raise ValueError(
            f"{path}: capture version {data.get('version')!r}, this zzz-relay reads version {CAPTURE_VERSION}; "
            "upgrade zzz-relay or capture again"
        )
    return data


def _max_tokens(body: dict[str, Any]) -> int:
    value = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    return value if isinstance(value, int) else 0


def match_key(method: str, path: str, body: Any) -> tuple[Any, ...]:
    """What must agree for a request to get a probe's answer (``path`` is below ``/v1``)."""
    if not isinstance(body, dict):
        return (method.upper(), path)
    fmt = body.get("response_format")
    return (
        method.upper(),
        path,
        body.get("model"),
        body.get("stream") is True,
        bool(body.get("tools")),
        fmt.get("type") if isinstance(fmt, dict) else None,
        body.get("messages") == [] if "messages" in body else None,
        _max_tokens(body) > OVERSIZED_MAX_TOKENS,
        UNSUPPORTED_PARAMETER in body and not body.get("tools"),
    )


def _below_v1(path: str) -> str:
    path = "/" + path.strip("/")
    return path[3:] if path == "/v1" or path.startswith("/v1/") else path


def _key_of(req: SimRequest) -> str:
    header = req.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


class Replay:
    """The recorded answers of one capture, looked up by :func:`match_key`."""

    def __init__(self, capture: dict[str, Any], source: str = "capture") -> None:
        self.source = source
        self.capture = capture
        self._by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._bad_key: dict[str, Any] | None = None
        for probe in capture["probes"]:
            if "status" not in probe or probe.get("status") is None:
                continue  # the probe never got an answer (connection failed): nothing to replay
            request = probe["request"]
            if request.get("auth") == "invalid":
                self._bad_key = probe
                continue
            key = match_key(request["method"], _below_v1(request["path"]), request.get("body"))
            self._by_key.setdefault(key, probe)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Replay:
        return cls(load_capture(path), source=str(path))

    @property
    def probe_names(self) -> list[str]:
        return [p["name"] for p in self.capture["probes"]]

    def answer(self, req: SimRequest, api_keys: frozenset[str] | None) -> SimResponse:
        """The recorded answer ``req`` matches, or a 404 saying that none does."""
        if api_keys is not None and _key_of(req) not in api_keys and self._bad_key is not None:
            return _response(self._bad_key)
        key = match_key(req.method, _below_v1(req.path), req.json())
        probe = self._by_key.get(key)
        if probe is not None:
            return _response(probe)
        body = req.json()
        model = f" model={body.get('model')!r}" if isinstance(body, dict) and "model" in body else ""
        message = (
            f"no recorded probe matches {req.method} {req.path}{model} (replaying {self.source}; "
            f"its probes: {', '.join(self.probe_names)}); send a request like one of the probes, "
            "or capture again with the model you use"
        )
        err = {"error": {"message": message, "type": "zzz_replay_no_match", "code": "replay_no_match"}}
        return SimResponse(404, [("Content-Type", "application/json")], json.dumps(err).encode())


def _response(probe: dict[str, Any]) -> SimResponse:
    headers = [(k, str(v)) for k, v in (probe.get("headers") or {}).items() if k.lower() != "content-length"]
    if "sse" in probe:
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "text/event-stream"))
        return SimResponse(probe["status"], headers, _events(probe["sse"]))
    body = probe.get("body")
    if isinstance(body, str):
        raw = body.encode("utf-8")
    else:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
    return SimResponse(probe["status"], headers, raw)


def _events(payloads: list[str]) -> Iterator[bytes]:
    for data in payloads:
        yield f"data: {data}\n\n".encode()
