"""The bulk runner: send every request of an input, record each answer once, resume after any stop.

::

    from zzz_core.bulk import run_bulk

    report = run_bulk("questions.jsonl", "answers.jsonl", kind="chat", model="deepseek-chat", max_cost=20)
    print(report.summary())          # "1000 of 1000 done (3 failed) in 41.2s, …"

What it guarantees (docs/bulk.md has the rest):

- **Nothing is sent before the whole input is checked**: a malformed line or a repeated
  ``custom_id`` is a :class:`~zzz_core.bulk.inputs.BulkInputError` naming its line.
- **Resume**: items the output file already records are skipped; only requests in flight
  at a crash can be sent twice.  ``retry_failed=True`` sends the recorded failures again.
- **One retry loop**: each request goes through the transport's loop (``zzz_core.transport``);
  the runner never resends a request itself.  A per-item failure (invalid request, context
  length, content filter, unknown model, a transient failure the loop gave up on) is
  recorded for that item and the job goes on.
- **Account stops**: an empty balance, a rejected key, a permission error or the
  ``max_cost`` budget stop the job cleanly: nothing new is sent, requests in flight get
  ``stop_grace`` seconds to finish and are recorded, and the report says
  ``N of M done; top up and run the same command again to resume``.
- **Adaptive concurrency** through a :class:`~zzz_core.bulk.limiter.ConcurrencyLimiter`
  (by default an :class:`~zzz_core.bulk.limiter.AsyncAdaptiveLimiter`).  A throttled request
  gives its slot back while it waits out ``Retry-After`` and takes one again before the retry
  loop resends it (``zzz_core.transport.retry_gate``), so the limiter hears of every throttle
  and retries never run above its limit.  Rate limits are retried for ``rate_limit_patience``
  seconds rather than ``max_retries`` times (``zzz_core.retry.rate_limit_patience``): the
  limiter already slows the job down, so a throttled item waits its turn instead of failing.
- **Memory** does not grow with the input: items are read as they are sent, the checking
  pass keeps 8 bytes per item, and at most ``limit`` requests exist at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from typing import Any

from .. import errors as E
from ..config import ZZZConfig
from ..decode import parse_chat_response, parse_completion_response
from ..gateway import Gateway
from ..usage import parse_usage
from .inputs import BulkItem, Source, iter_items, normalize_kind, scan
from .limiter import AsyncAdaptiveLimiter, ConcurrencyLimiter, HeldSlot
from .packing import pack_key, packed_body, split_answer
from .progress import Snapshot, make_progress
from .report import ACCOUNT_STOPS, BulkReport, short_error
from .results import ResultsFile, error_record, load_index, success_lines, success_record
from .turns import RATE_LIMIT_PATIENCE, end_turn, take_turn
from .vectors import checked_vectors, loads_embeddings

__all__ = ["ACCOUNT_STOPS", "BulkReport", "arun_bulk", "run_bulk"]  # (the first two live in .report)

log = logging.getLogger("zzz_core.bulk")

BULK_MAX_RETRIES = 6
"""``max_retries`` of a gateway the runner builds itself: a long job meets more throttling."""


_DECODERS = {
    "chat": (parse_chat_response, "choices"),
    "completions": (parse_completion_response, "choices"),
    "embeddings": (None, "data"),
}


class _Job:
    """The state of one run (one event loop)."""

    def __init__(self, gateway: Gateway, limiter: ConcurrencyLimiter, out: ResultsFile, report: BulkReport,
                 budget: Any, estimate_tokens: bool) -> None:  # fmt: skip
        self.gateway = gateway
        self.limiter = limiter
        self.out = out
        self.report = report
        self.budget = budget
        self.estimate_tokens = estimate_tokens
        self.stop = asyncio.Event()
        self.base = 0
        """Items recorded before this run (for the progress display until the exact count is known)."""
        self.bar: Any = None
        self.embed_batch_size = 1
        self.patience: float | None = RATE_LIMIT_PATIENCE

    def snapshot(self) -> Snapshot:
        r = self.report
        cost = self.budget.total_cost if self.budget is not None else None
        currency = self.budget.currency if self.budget is not None else None
        done = max(self.base, r.already_done) + r.succeeded + r.failed
        return Snapshot(done, r.failed, r.total, r.tokens, self.limiter.limit, cost, currency, self.base)

    def halt(self, kind: str, exc: BaseException) -> None:
        if self.report.stopped is None:
            self.report.stopped = kind
            self.report.stop_error = exc
            log.warning("zzz bulk: %s; finishing the requests in flight, sending no more", short_error(exc))
        self.stop.set()

    def _enter(self, expected: int) -> HeldSlot:
        """Set this task's retry gate and patience (:mod:`.turns`; each task has its own context)."""
        return take_turn(self.limiter, expected, self.patience)

    def _leave(self, slot: HeldSlot, outcome: str, retry_after: float | None, used: int) -> None:
        end_turn(slot, outcome, retry_after, (used - slot.expected) if used else 0)
        self.bar.update(self.snapshot())

    async def one(self, item: BulkItem, expected: int) -> None:
        """Send one item and record it; then free its slot."""
        slot = self._enter(expected)
        outcome, retry_after, used = "error", None, 0
        try:
            outcome, retry_after, used = await self._single(item)
        finally:
            self._leave(slot, outcome, retry_after, used)

    async def _single(self, item: BulkItem) -> tuple[str, float | None, int]:
        decode, require = _DECODERS[item.kind]
        try:
            reply = await self.gateway.transport.arequest("POST", item.url[3:], item.body, require=require)
            if decode is not None:
                decode(reply.payload, reply.host)
            else:
                checked_vectors(reply.payload, _n_inputs(item.body))
        except E.ZZZError as exc:
            return self._failed([item], exc)
        except ValueError as exc:  # a 200 answer that does not decode
            return self._failed([item], _undecodable(item, exc))
        used = self._count_usage(item, reply.payload)
        self.out.write(success_record(item.custom_id, reply.payload, request_id=reply.request_id))
        self.report.succeeded += 1
        return "ok", None, used

    async def many(self, items: list[BulkItem], expected: int) -> None:
        """Send embedding items packed into one request (:mod:`.packing`) and record each."""
        slot = self._enter(expected)
        outcome, retry_after, used = "error", None, 0
        try:
            outcome, retry_after, used = await self._packed(items)
        finally:
            self._leave(slot, outcome, retry_after, used)

    async def _packed(self, items: list[BulkItem]) -> tuple[str, float | None, int]:
        try:
            # Vectors stay the gateway's text (zzz_core.bulk.vectors): checked, not decoded.
            reply = await self.gateway.transport.arequest("POST", items[0].url[3:], packed_body(items), require="data",
                                                          loads=loads_embeddings)  # fmt: skip
            bodies = split_answer(reply.payload, items)
        except E.ZZZError as exc:
            failure: E.ZZZError = exc
        except ValueError as exc:
            failure = _undecodable(items[0], exc)
        else:
            used = self._count_usage(items[0], reply.payload)
            ids = [item.custom_id for item in items]
            self.out.write_lines(success_lines(zip(ids, bodies, strict=True), request_id=reply.request_id), len(items))
            self.report.succeeded += len(items)
            return "ok", None, used
        if len(items) > 1 and isinstance(failure, E.InvalidRequestError):
            # One text may be what the gateway refuses: each alone, so the others are kept.
            # These are new requests (one per text), not the failed one sent again.
            result: tuple[str, float | None, int] = ("error", None, 0)
            for item in items:
                if self.stop.is_set():
                    break
                result = await self._single(item)
            return result
        return self._failed(items, failure)

    def _count_usage(self, item: BulkItem, payload: dict[str, Any]) -> int:
        usage = parse_usage(payload.get("usage"))
        used = usage.total_tokens if usage is not None else 0
        self.report.tokens += used
        if self.budget is not None:
            self.budget.add(str(item.body.get("model") or ""), usage)
        return used

    def _failed(self, items: list[BulkItem], failure: E.ZZZError) -> tuple[str, float | None, int]:
        """Record a failure for ``items`` (or stop the job); the limiter outcome."""
        outcome, retry_after = (
            ("throttled", failure.retry_after) if isinstance(failure, E.RateLimitError) else ("error", None)
        )
        if isinstance(failure, ACCOUNT_STOPS):
            self.halt("budget" if failure.category == "budget_exceeded" else "account", failure)
            return outcome, retry_after, 0  # not recorded: after a top-up these items are sent again
        for item in items:
            self.out.write(error_record(item.custom_id, failure))
        self.report.last_error = failure
        self.report.failed += len(items)
        self.report.retryable_failed += len(items) if failure.retryable else 0
        return outcome, retry_after, 0


def _undecodable(item: BulkItem, exc: ValueError) -> E.ZZZError:
    return E.GatewayError(f"the answer did not decode: {exc}", status_code=200, url=item.url,
                          code="malformed_response")  # fmt: skip


def _n_inputs(body: dict[str, Any]) -> int:
    value = body.get("input")
    return len(value) if isinstance(value, list) else 1


def _expected_tokens(item: BulkItem) -> int:
    """A cheap guess of a request's tokens for the tokens-per-minute cap (corrected at release)."""
    body = item.body
    text = body.get("messages") or body.get("prompt") or body.get("input") or ""
    size = len(json.dumps(text, ensure_ascii=False)) if not isinstance(text, str) else len(text)
    return size // 3 + int(body.get("max_completion_tokens") or body.get("max_tokens") or 0)


def _make_budget(max_cost: float | None, currency: str | None, gateway: Gateway) -> Any:
    try:
        from ..pricing import Budget
    except ImportError:
        if max_cost is not None:
            raise E.ConfigurationError("max_cost needs zzz_core.pricing, which this install lacks") from None
        return None
    return Budget(max_cost, currency, gateway=gateway)


def _spool(source: Iterable[Any], kind: str | None, model: str | None) -> str:
    """Write an iterable's requests to a temporary JSONL file (so they can be checked, then
    read again, without holding them in memory); returns its path."""
    fd, path = tempfile.mkstemp(prefix="zzz-bulk-input-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for item in iter_items(source, kind=kind, model=model):
                fh.write(json.dumps(item.batch_line(), ensure_ascii=False) + "\n")
    except BaseException:
        os.unlink(path)
        raise
    return path


async def arun_bulk(
    source: Source,
    output: str | os.PathLike[str],
    *,
    kind: str | None = None,
    model: str | None = None,
    gateway: Gateway | None = None,
    concurrency: int = 16,
    max_concurrency: int = 256,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    max_cost: float | None = None,
    currency: str | None = None,
    retry_failed: bool = False,
    limiter: ConcurrencyLimiter | None = None,
    progress: Any = "auto",
    stop_grace: float = 30.0,
    fsync: bool = False,
    embed_batch_size: int = 256,
    rate_limit_patience: float | None = RATE_LIMIT_PATIENCE,
    **settings: Any,
) -> BulkReport:
    """Send every request of ``source`` and record each answer in ``output`` (see the module docstring).

    Args:
        source: A JSONL path, or an iterable of Batch API lines / shorthands (dicts or JSON strings).
        output: The results file (Batch API output format); the same path resumes.
        kind: ``"chat"``, ``"completions"``/``"complete"``, ``"embeddings"``/``"embed"``; every line
            must be of this kind (``None``: each line says).
        model: Fills a body without ``model``.
        gateway: The :class:`~zzz_core.Gateway` to send through; default: one built from ``settings``
            (``api_key=``, ``base_url=``, ``gateway=``… or the ``ZZZ_*`` environment) and closed at the end.
        concurrency: Requests in flight at the start; ``max_concurrency`` is the ceiling it may grow to.
        requests_per_minute: Optional caps; ``tokens_per_minute`` counts a guess from the input, corrected by the usage.
        max_cost: Stop (as for an empty balance) once this much is spent (``zzz_core.pricing`` prices the calls).
        retry_failed: Send the recorded per-item failures again (their lines are replaced).
        limiter: A shared :class:`~zzz_core.bulk.limiter.ConcurrencyLimiter` (e.g. the Ray actor) instead of
            a limiter of this run's own.
        progress: ``"auto"`` (tqdm on a terminal, else log lines), ``True``, ``False``, or a ``Progress``.
        stop_grace: Seconds the requests in flight get to finish after an account stop.
        fsync: ``os.fsync`` after every line (survives a power cut; slower).
        embed_batch_size: Embedding items of one text each are packed this many to a request (the
            same model and parameters, consecutive in the input); each is still recorded on its own.
            1 sends each alone.
        rate_limit_patience: Seconds from its first send that an item answered with 429 or upstream
            saturation is still sent again (other failures keep ``max_retries``); ``None``: rate limits
            count against ``max_retries`` too.

    Returns:
        The :class:`BulkReport`; ``report.exit_status`` is what the CLI exits with.

    Raises:
        BulkInputError: A line cannot be sent as given (nothing was sent).
    """
    kind = normalize_kind(kind)
    t0 = time.monotonic()
    spooled = None
    if not isinstance(source, (str, os.PathLike, list, tuple)):  # an iterator: spooled, as it is read once
        spooled = source = _spool(source, kind, model)
    try:
        total = scan(source, kind=kind, model=model).count
        index = load_index(output, retry_failed=retry_failed)
        if index.torn:
            log.warning(
                "zzz bulk: %s ended in a torn line (an earlier run was killed mid-write); it is ignored", output
            )
        own_gateway = gateway is None
        if gateway is None:
            settings.setdefault("max_retries", BULK_MAX_RETRIES)
            gateway = Gateway(ZZZConfig.resolve(**settings))
        elif settings:
            raise E.ConfigurationError(f"pass either gateway= or settings, not both (got {sorted(settings)})")
        if limiter is None:
            limiter = AsyncAdaptiveLimiter(concurrency, max(concurrency, max_concurrency),
                                           requests_per_minute=requests_per_minute,
                                           tokens_per_minute=tokens_per_minute)  # fmt: skip
        budget = _make_budget(max_cost, currency, gateway)
        report = BulkReport(os.fspath(output), total)
        out = ResultsFile(output, fsync=fsync).open(drop_failed=retry_failed)
        try:
            job = _Job(gateway, limiter, out, report, budget, tokens_per_minute is not None)
            job.base = min(len(index), total)
            job.embed_batch_size = max(1, embed_batch_size)
            job.patience = rate_limit_patience
            job.bar = make_progress(progress, total, job.base)
            await _drive(job, iter_items(source, kind=kind, model=model), index, stop_grace)
        finally:
            out.close()
            if own_gateway:
                await gateway.aclose()
        report.elapsed = time.monotonic() - t0
        report.limit = limiter.limit
        if budget is not None:
            report.cost, report.currency = budget.total_cost, budget.currency
        return report
    finally:
        if spooled is not None:
            os.unlink(spooled)


async def _drive(job: _Job, items: Iterable[BulkItem], index: Any, stop_grace: float) -> None:
    report = job.report
    tasks: set[asyncio.Task[None]] = set()

    async def send(batch: list[BulkItem], packed: bool) -> bool:
        """Start ``batch`` when the limiter allows; False once the job is stopping."""
        expected = sum(_expected_tokens(i) for i in batch) if job.estimate_tokens else 0
        await job.limiter.acquire(expected)
        if job.budget is not None:
            try:
                job.budget.check()
            except E.ZZZError as exc:
                job.halt("budget", exc)
        if job.stop.is_set():
            job.limiter.release("error")
            return False
        task = asyncio.ensure_future(job.many(batch, expected) if packed else job.one(batch[0], expected))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return True

    rest = iter(items)
    group: list[BulkItem] = []
    group_key: Any = None
    for item in rest:
        if item.custom_id in index:
            report.already_done += 1
            continue
        if job.stop.is_set():
            break
        key = pack_key(item) if job.embed_batch_size > 1 else None
        if group and key != group_key:
            batch, group = group, []
            if not await send(batch, True):
                break
        if key is not None:
            group_key = key
            group.append(item)
            if len(group) >= job.embed_batch_size:
                batch, group = group, []
                if not await send(batch, True):
                    break
            continue
        if not await send([item], False):
            break
    else:
        if group:
            await send(group, True)
    await _finish(job, tasks, stop_grace)
    for item in rest:  # after a stop: count what earlier runs recorded, for the summary
        report.already_done += item.custom_id in index
    job.bar.close(job.snapshot())


async def _finish(job: _Job, tasks: set[asyncio.Task[None]], stop_grace: float) -> None:
    if not tasks:
        return
    if not job.stop.is_set():
        # Wait for all, but react to a stop that comes while waiting.
        pending: set[asyncio.Task[Any]] = set(tasks)
        stop_wait = asyncio.ensure_future(job.stop.wait())
        try:
            while pending and not job.stop.is_set():
                done, pending = await asyncio.wait(pending | {stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                pending.discard(stop_wait)
                pending = {t for t in pending if not t.done()}
        finally:
            stop_wait.cancel()
        if not pending:
            return
        tasks = pending
    done, pending = await asyncio.wait(tasks, timeout=stop_grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        job.report.abandoned = len(pending)
        log.warning("zzz bulk: %d requests were still in flight after %.0fs and were abandoned (not recorded)",
                    len(pending), stop_grace)  # fmt: skip


def run_bulk(source: Source, output: str | os.PathLike[str], **options: Any) -> BulkReport:
    """Synchronous :func:`arun_bulk` (same arguments).  Inside a running event loop (Jupyter)
    it runs the job on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_bulk(source, output, **options))
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["report"] = asyncio.run(arun_bulk(source, output, **options))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="zzz-bulk")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["report"]
