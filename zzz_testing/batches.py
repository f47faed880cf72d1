"""The simulated OpenAI Batch API: uploaded files and batch jobs that progress over simulated time.

A :class:`BatchStore` lives in the simulator's ``SimConfig`` (``sim.batches``).  The HTTP
routes in :mod:`zzz_testing.handlers` call it; it imports nothing from them, so that the
answers of every batch line are computed by the live routes' own handler, handed in as
``run_line`` (``handle(request, config, fault)``, with the simulator's queued faults).

A job's life, in simulated seconds (:class:`BatchTiming`)::

    validating --validating--> in_progress --per_line x N--> finalizing --finalizing--> completed
        \\-> failed (a line is not valid)       \\-> expired (completion window over; the rest: batch_expired)
    cancel: validating/in_progress -> cancelling --cancelling--> cancelled (the rest: batch_cancelled)

Time is the wall clock plus ``offset``: ``advance(seconds)`` (``sim.advance_batches``) moves
it on, so a test never sleeps.  Lines run lazily, in input order, whenever a read finds
that simulated time has passed; a line whose answer is not HTTP 200 goes to the error
file, like a line the window or a cancellation cut off.  Output lines have the OpenAI
shape ``{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}``.
"""

from __future__ import annotations

import builtins
import itertools
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ENDPOINTS", "BatchStore", "BatchTiming", "StoreError", "parse_multipart"]

ENDPOINTS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings")
COMPLETION_WINDOWS = {"24h": 24 * 3600}
MAX_LINES = 50_000
_ids = itertools.count(1)

RunLine = Callable[[str, str, dict[str, str], bytes], tuple[int, bytes]]
"""(method, path, headers, body) -> (status, body): how one batch line is answered."""


class StoreError(Exception):
    """A request the batch routes reject: HTTP ``status`` with ``message``."""

    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


@dataclass(slots=True)
class BatchTiming:
    """Simulated seconds each stage takes (settable per simulator: ``sim.batches.timing``)."""

    validating: float = 1.0
    per_line: float = 0.5
    finalizing: float = 1.0
    cancelling: float = 1.0


@dataclass(slots=True)
class SimFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.data), "created_at": self.created_at,
                "filename": self.filename, "purpose": self.purpose, "status": "processed"}  # fmt: skip


@dataclass(slots=True)
class SimBatch:
    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    metadata: dict[str, Any] | None
    created: float
    headers: dict[str, str]
    """The creating request's auth header: its lines run with the same key."""
    status: str = "validating"
    lines: list[dict[str, Any]] = field(default_factory=list)
    done: int = 0
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stamps: dict[str, float] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None

    @property
    def total(self) -> int:
        return len(self.lines)


class BatchStore:
    """Files and batches of one simulator; thread-safe (the server answers from its own thread)."""

    def __init__(self, timing: BatchTiming | None = None, clock: Callable[[], float] = time.time) -> None:
        self.timing = timing or BatchTiming()
        self.files: dict[str, SimFile] = {}
        self.batches: dict[str, SimBatch] = {}
        self.offset = 0.0
        self.lines_run = 0
        """Batch lines answered so far (they are not HTTP requests, so not in ``sim.requests``)."""
        self._clock = clock
        self._lock = threading.RLock()

    def now(self) -> float:
        return self._clock() + self.offset

    def advance(self, seconds: float) -> None:
        """Move simulated time on; jobs catch up at the next read."""
        with self._lock:
            self.offset += seconds

    # ------------------------------------------------------------------ files
    def add_file(self, filename: str, purpose: str, data: bytes) -> SimFile:
        if purpose != "batch":
            raise StoreError(400, f"Invalid purpose {purpose!r}: only 'batch' is supported here", "purpose")
        with self._lock:
            f = SimFile(f"file-sim{next(_ids)}", filename or "upload.jsonl", purpose, data, int(self.now()))
            self.files[f.id] = f
            return f

    def file(self, file_id: str) -> SimFile:
        with self._lock:
            f = self.files.get(file_id)
        if f is None:
            raise StoreError(404, f"No such File object: {file_id}", "id")
        return f

    # ---------------------------------------------------------------- batches
    def create(self, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise StoreError(400, "请求体必须是 JSON 对象")
        endpoint, window = body.get("endpoint"), body.get("completion_window")
        if endpoint not in ENDPOINTS:
            raise StoreError(400, f"endpoint must be one of {', '.join(ENDPOINTS)}, not {endpoint!r}", "endpoint")
        if window not in COMPLETION_WINDOWS:
            raise StoreError(400, f"completion_window must be '24h', not {window!r}", "completion_window")
        file_id = body.get("input_file_id")
        self.file(str(file_id))
        meta = body.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            raise StoreError(400, "metadata must be an object", "metadata")
        with self._lock:
            batch = SimBatch(f"batch_sim{next(_ids)}", endpoint, str(file_id), window, meta, self.now(),
                             {k: v for k, v in headers.items() if k == "authorization"})  # fmt: skip
            self.batches[batch.id] = batch
            return self._json(batch)

    def get(self, batch_id: str, run_line: RunLine) -> dict[str, Any]:
        with self._lock:
            return self._json(self._step(self._batch(batch_id), run_line))

    def list(self, run_line: RunLine, after: str | None = None, limit: int = 20) -> dict[str, Any]:
        with self._lock:
            ordered = sorted(self.batches.values(), key=lambda b: (b.created, b.id), reverse=True)
            if after:
                ids = [b.id for b in ordered]
                ordered = ordered[ids.index(after) + 1 :] if after in ids else []
            page = ordered[: max(1, min(limit, 100))]
            data = [self._json(self._step(b, run_line)) for b in page]
        return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None, "has_more": len(ordered) > len(page)}  # fmt: skip

    def cancel(self, batch_id: str, run_line: RunLine) -> dict[str, Any]:
        with self._lock:
            batch = self._step(self._batch(batch_id), run_line)
            if batch.status not in ("validating", "in_progress", "cancelling"):
                raise StoreError(400, f"Cannot cancel a batch with status {batch.status!r}")
            if batch.status == "validating":
                # Read its lines now: each still gets a batch_cancelled line in the error file
                # (unread, they would all be missing from the output instead).
                batch.errors = self._validate(batch)
                if batch.errors:
                    batch.lines = []
            if batch.status != "cancelling":
                batch.status = "cancelling"
                batch.stamps["cancelling_at"] = self.now()
            return self._json(batch)

    def _batch(self, batch_id: str) -> SimBatch:
        batch = self.batches.get(batch_id)
        if batch is None:
            raise StoreError(404, f"No batch found with id '{batch_id}'", "batch_id")
        return batch

    # ------------------------------------------------------------ progression
    def _step(self, b: SimBatch, run_line: RunLine) -> SimBatch:
        """Bring ``b`` up to the simulated present (runs the lines now due)."""
        now, t = self.now(), self.timing
        expires = b.created + COMPLETION_WINDOWS[b.completion_window]
        if b.status == "validating":
            if now < b.created + t.validating:
                return b
            b.errors = self._validate(b)
            at = b.created + t.validating
            if b.errors:
                b.status, b.lines = "failed", []
                b.stamps["failed_at"] = at
                return b
            b.status = "in_progress"
            b.stamps["in_progress_at"] = at
        if b.status == "in_progress":
            started = b.stamps["in_progress_at"]
            cutoff = min(now, expires)
            due = b.total if t.per_line <= 0 else min(b.total, math.floor((cutoff - started) / t.per_line + 1e-9))
            self._run(b, due, run_line)
            if b.done == b.total:
                b.status = "finalizing"
                b.stamps["finalizing_at"] = started + b.total * max(t.per_line, 0.0)
            elif now >= expires:
                self._finish(b, "expired", expires, "batch_expired",
                             "This request could not be executed before the completion window expired.")  # fmt: skip
                return b
        if b.status == "finalizing" and now >= b.stamps["finalizing_at"] + t.finalizing:
            self._finish(b, "completed", b.stamps["finalizing_at"] + t.finalizing)
        if b.status == "cancelling" and now >= b.stamps["cancelling_at"] + t.cancelling:
            self._finish(b, "cancelled", b.stamps["cancelling_at"] + t.cancelling, "batch_cancelled",
                         "This request was not executed because the batch was cancelled.")  # fmt: skip
        return b

    def _validate(self, b: SimBatch) -> builtins.list[dict[str, Any]]:
        data = self.files[b.input_file_id].data
        errors: builtins.list[dict[str, Any]] = []
        seen: set[str] = set()

        def bad(n: int, code: str, message: str, param: str | None = None) -> None:
            errors.append({"code": code, "line": n, "message": message, "param": param})

        rows = [r for r in data.decode("utf-8", "replace").splitlines()]
        if not any(r.strip() for r in rows):
            bad(1, "empty_file", "The input file is empty.")
        if len(rows) > MAX_LINES:
            bad(MAX_LINES + 1, "too_many_requests", f"A batch may hold at most {MAX_LINES} requests.")
        for n, raw in enumerate(rows, 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                bad(n, "invalid_json_line", "This line is not valid JSON.")
                continue
            if not isinstance(line, dict):
                bad(n, "invalid_json_line", "Each line must be a JSON object.")
                continue
            cid = line.get("custom_id")
            if not isinstance(cid, str) or not cid:
                bad(n, "missing_required_parameter", "custom_id is required.", "custom_id")
            elif cid in seen:
                bad(n, "duplicate_custom_id", f"The custom_id {cid!r} appears more than once.", "custom_id")
            else:
                seen.add(cid)
            if line.get("method") != "POST":
                bad(n, "invalid_method", "method must be 'POST'.", "method")
            if line.get("url") != b.endpoint:
                bad(n, "mismatched_endpoint", f"url must be the batch's endpoint {b.endpoint}.", "url")
            if not isinstance(line.get("body"), dict):
                bad(n, "missing_required_parameter", "body must be an object.", "body")
            b.lines.append(line)
        return errors[:1000]

    def _run(self, b: SimBatch, due: int, run_line: RunLine) -> None:
        headers = {**b.headers, "content-type": "application/json"}
        while b.done < due:
            line = b.lines[b.done]
            body = {k: v for k, v in line["body"].items() if k not in ("stream", "stream_options")}
            status, raw = run_line("POST", b.endpoint, headers, json.dumps(body, ensure_ascii=False).encode())
            self.lines_run += 1
            try:
                answer: Any = json.loads(raw) if raw else None
            except ValueError:
                answer = raw.decode("utf-8", "replace")
            n = next(_ids)
            out = {"id": f"batch_req_sim{n}", "custom_id": line["custom_id"],
                   "response": {"status_code": status, "request_id": f"req_sim{n}", "body": answer},
                   "error": None}  # fmt: skip
            (b.outputs if status == 200 else b.failures).append(out)
            b.done += 1

    def _finish(self, b: SimBatch, status: str, at: float, code: str | None = None, message: str = "") -> None:
        if code is not None:
            for line in b.lines[b.done :]:
                b.failures.append({"id": f"batch_req_sim{next(_ids)}", "custom_id": line["custom_id"],
                                   "response": None, "error": {"code": code, "message": message}})  # fmt: skip
        b.status = status
        b.stamps[f"{status}_at"] = at
        if b.outputs:
            b.output_file_id = self._result_file(b, "output", b.outputs)
        if b.failures:
            b.error_file_id = self._result_file(b, "error", b.failures)

    def _result_file(self, b: SimBatch, kind: str, rows: builtins.list[dict[str, Any]]) -> str:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        f = SimFile(f"file-sim{next(_ids)}", f"{b.id}_{kind}.jsonl", f"batch_{kind}", data, int(self.now()))
        self.files[f.id] = f
        return f.id

    def _json(self, b: SimBatch) -> dict[str, Any]:
        stamp = {k: (int(b.stamps[k]) if k in b.stamps else None) for k in (
            "in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at",
            "cancelled_at")}  # fmt: skip
        return {
            "id": b.id, "object": "batch", "endpoint": b.endpoint,
            "errors": {"object": "list", "data": b.errors} if b.errors else None,
            "input_file_id": b.input_file_id, "completion_window": b.completion_window, "status": b.status,
            "output_file_id": b.output_file_id, "error_file_id": b.error_file_id, "created_at": int(b.created),
            "expires_at": int(b.created + COMPLETION_WINDOWS[b.completion_window]), **stamp,
            "request_counts": {"total": b.total, "completed": len(b.outputs), "failed": len(b.failures)},
            "metadata": b.metadata,
        }  # fmt: skip


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """``multipart/form-data`` fields: name -> (filename or None, bytes)."""
    from email.parser import BytesParser  # only uploads need it
    from email.policy import HTTP

    if not content_type.lower().startswith("multipart/form-data"):
        raise StoreError(400, "POST /v1/files needs multipart/form-data with a 'file' and a 'purpose'")
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields
