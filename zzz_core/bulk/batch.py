"""The gateway's OpenAI Batch API: submit a file of requests, wait, fetch the answers.

::

    batches = gateway.batches                      # a BatchClient
    job = batches.submit("input.jsonl", model="gpt-4o-mini")
    job = batches.wait(job.id, on_progress=print)  # polls with backoff
    results = batches.fetch(job.id)                # one line per input line, by custom_id

The gateway runs the job on its side, at its own pace (智增增: within 24 hours); nothing
has to stay connected.  ``zzz bulk`` (:mod:`zzz_core.bulk`) sends the same input file as
ordinary requests instead: the answers come at once and a stopped run resumes, and it
works on every gateway.  A gateway without a Batch API (new-api answers 501 on
``/v1/files`` and 404 on ``/v1/batches``) raises
:class:`~zzz_core.errors.BatchAPIUnsupportedError`, which names that alternative.

Every request goes through :class:`~zzz_core.transport.Transport` (the official
``openai`` client, the one retry loop, the one normalizer).  Creating a job is sent
with ``repeatable=False``: a second ``POST /v1/batches`` after an ambiguous failure
could start (and bill) the same work twice.

Results have the bulk runner's format, ``{"id", "custom_id", "response":
{"status_code", "request_id", "body"}, "error"}``; a failed line's ``error`` names the
zzz error class (the normalizer's verdict on that line's answer), ``code``, ``msg`` and
``retryable``.  Lines the gateway cut off (expired, cancelled) or lost are recorded as
errors too: every input line has exactly one result.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import error_map
from .. import errors as E
from ..error_map import ErrorContext
from .batch_io import ENDPOINTS, merge_results, prepare_input

if TYPE_CHECKING:  # pragma: no cover
    from ..gateway import Gateway

__all__ = [
    "ENDPOINTS",
    "FINAL_STATUSES",
    "BatchClient",
    "BatchJob",
    "BatchResults",
    "merge_results",
    "poll_delays",
    "prepare_input",
]

FINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})
COMPLETION_WINDOW = "24h"
POLL_INTERVAL = 5.0
MAX_POLL_INTERVAL = 60.0
POLL_GROWTH = 1.5


@dataclass(frozen=True, slots=True)
class BatchJob:
    """One batch job as the gateway last reported it."""

    id: str
    status: str
    """``validating``, ``in_progress``, ``finalizing``, ``completed``, ``failed``, ``expired``,
    ``cancelling`` or ``cancelled``."""
    endpoint: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    errors: tuple[dict[str, Any], ...] = ()
    """``errors.data`` of a job that failed validation: ``{"code", "line", "message", "param"}``."""
    created_at: int | None = None
    expires_at: int | None = None
    metadata: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """The job will not change any more."""
        return self.status in FINAL_STATUSES

    @property
    def progress(self) -> str:
        """``completed 40, failed 2 of 100`` (what the progress display shows)."""
        return f"{self.status}: completed {self.completed}, failed {self.failed} of {self.total}"

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> BatchJob:
        counts = payload.get("request_counts") or {}
        errors = payload.get("errors") or {}
        data = errors.get("data") if isinstance(errors, dict) else errors
        return cls(
            id=str(payload["id"]),
            status=str(payload["status"]),
            endpoint=payload.get("endpoint"),
            input_file_id=payload.get("input_file_id"),
            output_file_id=payload.get("output_file_id") or None,
            error_file_id=payload.get("error_file_id") or None,
            total=int(counts.get("total") or 0),
            completed=int(counts.get("completed") or 0),
            failed=int(counts.get("failed") or 0),
            errors=tuple(e for e in data or () if isinstance(e, dict)),
            created_at=payload.get("created_at"),
            expires_at=payload.get("expires_at"),
            metadata=payload.get("metadata"),
            raw=payload,
        )


@dataclass(slots=True)
class BatchResults:
    """What :meth:`BatchClient.fetch` got: one result per input line, in input order."""

    job: BatchJob
    lines: list[dict[str, Any]]
    """Results in the bulk runner's format (see the module docstring)."""

    @property
    def succeeded(self) -> int:
        return sum(1 for line in self.lines if line["error"] is None)

    @property
    def failed(self) -> int:
        return len(self.lines) - self.succeeded

    def by_custom_id(self) -> dict[str, dict[str, Any]]:
        return {line["custom_id"]: line for line in self.lines}


def poll_delays(initial: float = POLL_INTERVAL, maximum: float = MAX_POLL_INTERVAL) -> Iterator[float]:
    """Seconds between status polls: ``initial``, growing by half each time, up to ``maximum``."""
    delay = max(initial, 0.0)
    while True:
        yield min(delay, maximum)
        delay = max(delay * POLL_GROWTH, 0.001)


class BatchClient:
    """The Batch API of one :class:`~zzz_core.gateway.Gateway` (``gateway.batches``), sync and async.

    Every method has an async twin with an ``a`` prefix (``await_batch`` for :meth:`wait`).
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.transport = gateway.transport

    # -------------------------------------------------------------- files
    def upload(self, data: bytes | str | os.PathLike[str], *, filename: str | None = None) -> str:
        """Upload a JSONL file (bytes, or a path) with purpose ``batch``; return its file id."""
        name, content = _file_part(data, filename)
        payload, _ = self.transport.request_json("POST", "/files", {"purpose": "batch"}, files=_files(name, content))
        return _file_id(payload)

    async def aupload(self, data: bytes | str | os.PathLike[str], *, filename: str | None = None) -> str:
        name, content = _file_part(data, filename)
        payload, _ = await self.transport.arequest_json(
            "POST", "/files", {"purpose": "batch"}, files=_files(name, content)
        )
        return _file_id(payload)

    def content(self, file_id: str) -> bytes:
        """A file's content (``GET /v1/files/{id}/content``)."""
        return self.transport.request_bytes(f"/files/{_safe_id(file_id)}/content")[0]

    async def acontent(self, file_id: str) -> bytes:
        return (await self.transport.arequest_bytes(f"/files/{_safe_id(file_id)}/content"))[0]

    # ------------------------------------------------------------ batches
    def create(
        self,
        input_file_id: str,
        endpoint: str,
        *,
        completion_window: str = COMPLETION_WINDOW,
        metadata: dict[str, str] | None = None,
    ) -> BatchJob:
        """Start a job over an uploaded file (sent once: see the module docstring)."""
        body = _create_body(input_file_id, endpoint, completion_window, metadata)
        try:
            payload, _ = self.transport.request_json("POST", "/batches", body, repeatable=False)
        except E.ZZZError as exc:
            raise _maybe_created(exc) from None
        return _job(payload)

    async def acreate(
        self,
        input_file_id: str,
        endpoint: str,
        *,
        completion_window: str = COMPLETION_WINDOW,
        metadata: dict[str, str] | None = None,
    ) -> BatchJob:
        body = _create_body(input_file_id, endpoint, completion_window, metadata)
        try:
            payload, _ = await self.transport.arequest_json("POST", "/batches", body, repeatable=False)
        except E.ZZZError as exc:
            raise _maybe_created(exc) from None
        return _job(payload)

    def submit(
        self,
        source: str | os.PathLike[str] | Iterable[Any],
        *,
        model: str | None = None,
        endpoint: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> BatchJob:
        """Check and normalize the input (shorthand lines too), upload it, start the job.

        A malformed line raises :class:`~zzz_core.errors.InvalidInputError` naming its
        line number before anything is sent.
        """
        data, endpoint, name = prepare_input(source, model=model, endpoint=endpoint)
        file_id = self.upload(data, filename=name)
        return self.create(file_id, endpoint, metadata=metadata)

    async def asubmit(
        self,
        source: str | os.PathLike[str] | Iterable[Any],
        *,
        model: str | None = None,
        endpoint: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> BatchJob:
        data, endpoint, name = prepare_input(source, model=model, endpoint=endpoint)
        file_id = await self.aupload(data, filename=name)
        return await self.acreate(file_id, endpoint, metadata=metadata)

    def retrieve(self, batch_id: str) -> BatchJob:
        payload, _ = self.transport.request_json("GET", f"/batches/{_safe_id(batch_id)}")
        return _job(payload)

    async def aretrieve(self, batch_id: str) -> BatchJob:
        payload, _ = await self.transport.arequest_json("GET", f"/batches/{_safe_id(batch_id)}")
        return _job(payload)

    def cancel(self, batch_id: str) -> BatchJob:
        """Ask the gateway to stop the job; lines already answered are kept (see :meth:`fetch`)."""
        payload, _ = self.transport.request_json("POST", f"/batches/{_safe_id(batch_id)}/cancel", {})
        return _job(payload)

    async def acancel(self, batch_id: str) -> BatchJob:
        payload, _ = await self.transport.arequest_json("POST", f"/batches/{_safe_id(batch_id)}/cancel", {})
        return _job(payload)

    def list(self, *, limit: int = 20, after: str | None = None) -> list[BatchJob]:
        """The most recent jobs, newest first (``after``: the last id of the previous page)."""
        payload, _ = self.transport.request_json("GET", _list_path(limit, after), require="data")
        return [_job(p) for p in payload["data"]]

    async def alist(self, *, limit: int = 20, after: str | None = None) -> builtins.list[BatchJob]:
        payload, _ = await self.transport.arequest_json("GET", _list_path(limit, after), require="data")
        return [_job(p) for p in payload["data"]]

    # ------------------------------------------------------------- waiting
    def wait(
        self,
        batch_id: str,
        *,
        poll_interval: float = POLL_INTERVAL,
        max_interval: float = MAX_POLL_INTERVAL,
        timeout: float | None = None,
        on_progress: Callable[[BatchJob], None] | None = None,
    ) -> BatchJob:
        """Poll until the job is finished and return it completed.

        ``on_progress`` gets every job state seen.  Raises the job's typed error when it
        ended ``failed`` (:class:`~zzz_core.errors.BatchValidationError`), ``expired`` or
        ``cancelled``, and :class:`~zzz_core.errors.BatchPendingError` after ``timeout``
        seconds.  Each poll is one call through the transport (its retries included).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = poll_delays(poll_interval, max_interval)
        while True:
            job = self.retrieve(batch_id)
            if on_progress is not None:
                on_progress(job)
            delay = _next_wait(job, delays, deadline, self._url(batch_id))
            if delay is None:
                return job
            time.sleep(delay)

    async def await_batch(
        self,
        batch_id: str,
        *,
        poll_interval: float = POLL_INTERVAL,
        max_interval: float = MAX_POLL_INTERVAL,
        timeout: float | None = None,
        on_progress: Callable[[BatchJob], None] | None = None,
    ) -> BatchJob:
        """Async twin of :meth:`wait`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = poll_delays(poll_interval, max_interval)
        while True:
            job = await self.aretrieve(batch_id)
            if on_progress is not None:
                on_progress(job)
            delay = _next_wait(job, delays, deadline, self._url(batch_id))
            if delay is None:
                return job
            await asyncio.sleep(delay)

    # ------------------------------------------------------------- results
    def fetch(self, batch_id: str) -> BatchResults:
        """The results of a finished job, one per input line, in input order.

        Works for ``completed``, ``expired`` and ``cancelled`` jobs (lines that were cut
        off are errors with class ``BatchExpiredError``/``BatchCancelledError``); raises
        ``BatchValidationError`` for a job that failed validation and ``BatchPendingError``
        for one still running.
        """
        job = _fetchable(self.retrieve(batch_id), self._url(batch_id))
        files = [
            self.content(fid) if fid else b"" for fid in (job.input_file_id, job.output_file_id, job.error_file_id)
        ]
        return BatchResults(job, merge_results(*files, ctx=self._line_ctx(job)))

    async def afetch(self, batch_id: str) -> BatchResults:
        job = _fetchable(await self.aretrieve(batch_id), self._url(batch_id))
        ids = (job.input_file_id, job.output_file_id, job.error_file_id)
        files = [await self.acontent(fid) if fid else b"" for fid in ids]
        return BatchResults(job, merge_results(*files, ctx=self._line_ctx(job)))

    # ------------------------------------------------------------- helpers
    def _url(self, batch_id: str) -> str:
        return f"{self.transport.config.base_url}/batches/{batch_id}"

    def _line_ctx(self, job: BatchJob) -> ErrorContext:
        base = self.transport.config.base_url
        endpoint = (job.endpoint or "").removeprefix("/v1")
        return ErrorContext(host=base.split("://", 1)[-1].split("/", 1)[0], url=base + endpoint)


# ---------------------------------------------------------------- pure parts
def _job(payload: Any) -> BatchJob:
    try:
        return BatchJob.from_payload(payload)
    except error_map.DECODE_ERRORS as exc:
        raise error_map.malformed(payload, 200, ErrorContext(url="/batches"), exc) from None


def _file_id(payload: Any) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise error_map.malformed(payload, 200, ErrorContext(url="/files"), KeyError("id"))
    return payload["id"]


def _file_part(data: bytes | str | os.PathLike[str], filename: str | None) -> tuple[str, bytes]:
    if isinstance(data, (bytes, bytearray)):
        return filename or "input.jsonl", bytes(data)
    with open(data, "rb") as f:
        return filename or os.path.basename(os.fspath(data)), f.read()


def _files(name: str, content: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (name, content, "application/jsonl"))]


def _create_body(input_file_id: str, endpoint: str, window: str, metadata: dict[str, str] | None) -> dict[str, Any]:
    if endpoint not in ENDPOINTS:
        raise E.InvalidInputError(f"endpoint must be one of {', '.join(ENDPOINTS)}, not {endpoint!r}")
    body: dict[str, Any] = {"input_file_id": input_file_id, "endpoint": endpoint, "completion_window": window}
    if metadata:
        body["metadata"] = metadata
    return body


def _maybe_created(exc: E.ZZZError) -> E.ZZZError:
    """A create that failed in a way that may have come after the gateway acted says so."""
    if exc.retryable and not isinstance(exc, E.RateLimitError):
        exc.message = (
            f"{exc.message} [not sent again: the job may have been created; check `zzz batch list` "
            "before submitting again]"
        )
        exc.args = (exc.message,)
    return exc


def _list_path(limit: int, after: str | None) -> str:
    return f"/batches?limit={int(limit)}" + (f"&after={_safe_id(after)}" if after else "")


def _safe_id(value: str) -> str:
    """An id as the gateway gave it; one that would change the URL's path or query is refused."""
    if not isinstance(value, str) or not value or any(c in value for c in "/?#&% \t\r\n"):
        raise E.InvalidInputError(f"not a batch or file id: {value!r}")
    return value


def _next_wait(job: BatchJob, delays: Iterator[float], deadline: float | None, url: str) -> float | None:
    """Seconds until the next poll; None when ``job`` is completed; the typed error otherwise."""
    if job.status == "completed":
        return None
    if job.finished:
        raise _job_error(job, url)
    delay = next(delays)
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _job_error(job, url, "after the wait's timeout")
        delay = min(delay, left)
    return delay


def _fetchable(job: BatchJob, url: str) -> BatchJob:
    if job.status in ("completed", "expired", "cancelled"):
        return job
    raise _job_error(job, url)  # failed validation, or still running


def _job_error(job: BatchJob, url: str, when: str = "") -> E.BatchJobError:
    """The typed error for a job that is not (or not yet) completed, with what to do."""
    cls: type[E.BatchJobError]
    done = f"{job.completed} of {job.total} lines were answered"
    if job.status == "failed":
        cls = E.BatchValidationError
        shown = "; ".join(f"line {e.get('line')}: {e.get('message')} ({e.get('code')})" for e in job.errors[:5])
        more = f" (and {len(job.errors) - 5} more)" if len(job.errors) > 5 else ""
        text = f"batch {job.id} failed validation: {shown or 'no reason given'}{more}"
    elif job.status == "expired":
        cls, text = E.BatchExpiredError, f"batch {job.id} expired before it finished; {done}"
    elif job.status == "cancelled":
        cls, text = E.BatchCancelledError, f"batch {job.id} was cancelled; {done}"
    else:
        cls, text = E.BatchPendingError, f"batch {job.id} has not finished ({job.progress}) {when}".rstrip()
    host = url.split("://", 1)[-1].split("/", 1)[0] or None
    return cls(f"{text}. {cls.advice}", job=job, url=url, host=host)
