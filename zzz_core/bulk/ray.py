"""Ray Data helpers: ``map_batches`` callables for chat, completions and embeddings, and resume.

::

    import ray
    from zzz_core.bulk.ray import ChatRows, resume, shared_limiter, write_results

    ray.init(runtime_env={"env_vars": {"ZZZ_API_KEY": key}})      # the key reaches every worker
    limiter = shared_limiter(base_url=url, concurrency=8, max_concurrency=64)
    ds = resume(ray.data.read_json("questions.jsonl"), "answers.jsonl")   # drops ids already written
    answered = ds.map_batches(ChatRows("deepseek-chat", base_url=url, limiter=limiter), batch_size=32)
    report = write_results(answered, "answers.jsonl")            # the bulk runner's results file
    print(report.summary())

Each callable turns a batch's rows into requests and sends them with the bulk runner
(:func:`~zzz_core.bulk.runner.arun_bulk`), so a batch behaves as a small bulk job: the
one retry loop, per-row errors recorded (invalid request, context length, content
filter…) while the batch goes on, account stops (empty balance, rejected key, permission,
``max_cost``) ending cleanly.  What comes back is the batch's rows, in their order, with
these columns added:

- the answer: ``content`` (chat), ``text`` (completions) or ``embedding`` (embeddings);
- ``status``: ``"ok"``, ``"failed"`` (a per-row error, recorded) or ``"not_sent"`` (an
  account stop came first; a rerun sends it);
- ``error``: ``"<ErrorClass>: <message>"`` for a failed or not-sent row, else None;
- ``result``: the row's line of the runner's results file (Batch API output format), as
  JSON text, or None when not sent.

:func:`write_results` appends those lines to a results file (streaming, in the driver,
one writer, so a multi-node job needs no shared disk) and :func:`resume` drops the rows a
results file already records, with the runner's own done-index: the same file serves
``zzz bulk`` and Ray, and either can resume the other's job.

Without ``limiter=`` each batch keeps its own adaptive limit; with the
:func:`~zzz_core.bulk.ray_limiter.shared_limiter` of the key, every worker consults one.

The key never travels with the callables: a pickled :class:`~zzz_core.ZZZConfig` (or
skin model) re-reads ``$ZZZ_API_KEY`` on the worker, so pass it through Ray's
``runtime_env={"env_vars": {"ZZZ_API_KEY": ...}}``.  This module never imports Ray (the
callables need just the batch; :func:`resume` and :func:`write_results` only call the
dataset's methods); :func:`shared_limiter` does, when a limiter is made.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..config import ZZZConfig
from ..decode import parse_chat_response, parse_completion_response, parse_embedding_response
from ..gateway import Gateway
from ..params import build_chat_request, build_completion_request, build_embedding_request
from .inputs import ENDPOINTS
from .ray_limiter import RayLimiter, shared_limiter
from .results import ResultsFile, load_index, read_results, success_record
from .runner import BULK_MAX_RETRIES, arun_bulk
from .turns import RATE_LIMIT_PATIENCE

__all__ = [
    "ChatRows",
    "CompletionRows",
    "EmbeddingRows",
    "RayReport",
    "RayLimiter",
    "resume",
    "shared_limiter",
    "write_results",
]

_HALTED: dict[str, str] = {}
"""Runs that met an account stop in this worker process (without a shared limiter to tell)."""


class _Rows:
    """A ``map_batches`` callable: one batch of rows -> a small bulk job -> the rows with answers."""

    kind: ClassVar[str]
    input_column: ClassVar[str]
    output_column: ClassVar[str]

    def __init__(
        self,
        model: Any,
        *,
        column: str | None = None,
        id_column: str = "custom_id",
        limiter: Any = None,
        concurrency: int = 8,
        max_concurrency: int = 64,
        requests_per_minute: float | None = None,
        params: Mapping[str, Any] | None = None,
        max_cost: float | None = None,
        stop_grace: float = 30.0,
        rate_limit_patience: float | None = RATE_LIMIT_PATIENCE,
        **settings: Any,
    ) -> None:
        """
        Args:
            model: A model name (then ``settings`` say where: ``base_url=``, ``gateway=``…,
                resolved like :meth:`ZZZConfig.resolve`, the key from ``$ZZZ_API_KEY``), or a
                model object of either skin (``ChatZZZ``, ``ZZZ``, ``ZZZEmbeddings``, LlamaIndex
                ``ZZZ``, ``ZZZEmbedding``): its settings and parameters make each request.
            column: The input column (default: ``messages`` or ``prompt`` for chat, ``prompt``
                for completions, ``text`` for embeddings).
            id_column: Each row's id in the results file; a row without it gets a stable id
                from its input (as the runner gives a line without ``custom_id``).
            limiter: A shared limiter (:func:`shared_limiter`), else each batch adapts alone
                starting at ``concurrency`` (at most ``max_concurrency``, ``requests_per_minute``).
            params: Body parameters of every request (``temperature``, ``max_tokens``,
                ``dimensions``…) when ``model`` is a name.
            max_cost: Each batch's budget (``zzz_core.pricing``); reaching it ends the run (a budget
                per batch, not one shared by all workers).
            stop_grace: Seconds requests in flight get after an account stop.
            rate_limit_patience: Seconds a row answered with 429 or saturation again and again is
                still sent again (as :func:`~zzz_core.bulk.arun_bulk`); ``None``: rate limits count
                against ``max_retries`` like other failures.
        """
        if isinstance(model, str):
            if "api_key" in settings:
                raise ValueError(
                    "do not pass api_key= to a Ray callable (it would be pickled into the task); "
                    'set ZZZ_API_KEY in the driver and runtime_env={"env_vars": {"ZZZ_API_KEY": ...}}'
                )
            settings.setdefault("max_retries", BULK_MAX_RETRIES)
            self.config = ZZZConfig.resolve(**settings)
            self.model: Any = model
        else:
            if settings:
                raise TypeError(f"settings come from the model object; got {sorted(settings)} as well")
            if not isinstance(getattr(model, "config", None), ZZZConfig) or not hasattr(model, "bulk_request"):
                raise TypeError(
                    f"model must be a model name or a zzz model object (ChatZZZ, ZZZEmbedding, ...); "
                    f"got {type(model).__name__}"
                )
            if params:
                raise TypeError("params= is for a model name; a model object's own fields make the requests")
            self.config = model.config
            self.model = model
        self.column = column
        self.id_column = id_column
        self.limiter = limiter
        self.concurrency = concurrency
        self.max_concurrency = max_concurrency
        self.requests_per_minute = requests_per_minute
        self.params = dict(params or {})
        self.max_cost = max_cost
        self.stop_grace = stop_grace
        self.rate_limit_patience = rate_limit_patience
        self.run = uuid.uuid4().hex
        """This job's id: an account stop in one batch stops the job's other batches."""

    def __repr__(self) -> str:
        model = self.model if isinstance(self.model, str) else type(self.model).__name__
        return f"{type(self).__name__}(model={model!r}, base_url={self.config.base_url!r})"

    # -- the batch ----------------------------------------------------------------
    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        columns = {name: _plain(values) for name, values in batch.items()}
        inputs = columns[self._input_column(columns)]
        ids = columns.get(self.id_column) or [_row_id(self.kind, value) for value in inputs]
        records = asyncio.run(self._send(ids, inputs))
        out = dict(columns)
        out[self.id_column] = ids
        answers: list[Any] = []
        statuses: list[str] = []
        errors: list[str | None] = []
        results: list[str | None] = []
        for custom_id in ids:
            record = records.get(custom_id)
            if record is None:
                answers.append(None)
                statuses.append("not_sent")
                errors.append(self._stop_reason())
                results.append(None)
                continue
            err = record["error"]
            answers.append(None if err else self._answer(record["response"]["body"]))
            statuses.append("failed" if err else "ok")
            errors.append(f"{err['class']}: {err['message']}" if err else None)
            results.append(json.dumps(record, ensure_ascii=False))
        out.update({self.output_column: answers, "status": statuses, "error": errors, "result": results})
        return out

    def _input_column(self, columns: Mapping[str, Any]) -> str:
        if self.column is not None:
            if self.column not in columns:
                raise KeyError(f"{type(self).__name__}: no column {self.column!r} (columns: {sorted(columns)})")
            return self.column
        for name in self._default_columns():
            if name in columns:
                return name
        raise KeyError(
            f"{type(self).__name__}: none of the columns {self._default_columns()} is in the batch "
            f"(columns: {sorted(columns)}); name the input with column="
        )

    def _default_columns(self) -> tuple[str, ...]:
        return (self.input_column,)

    async def _send(self, ids: list[str], inputs: list[Any]) -> dict[str, dict[str, Any]]:
        """Run the batch as a bulk job; the results-file lines by row id (absent: not sent)."""
        if await self._halted():
            return {}
        items = self._items(ids, inputs)
        fd, path = tempfile.mkstemp(prefix="zzz-ray-", suffix=".jsonl")
        os.close(fd)
        os.unlink(path)  # the runner creates it; an empty file would read as "nothing done" anyway
        gateway = Gateway.for_config(self.config)
        # This loop's HTTP client is built now, before a slot is granted: otherwise the first
        # request of every batch leaves late, and requests granted apart arrive together.
        gateway.transport.async_client  # noqa: B018
        try:
            report = await arun_bulk(
                items,
                path,
                gateway=gateway,
                limiter=self.limiter,
                concurrency=self.concurrency,
                max_concurrency=self.max_concurrency,
                requests_per_minute=self.requests_per_minute,
                max_cost=self.max_cost,
                progress=False,
                stop_grace=self.stop_grace,
                rate_limit_patience=self.rate_limit_patience,
            )
            if report.stopped:
                reason = f"{type(report.stop_error).__name__}: {report.stop_error}"
                _HALTED.setdefault(self.run, reason)
                if isinstance(self.limiter, RayLimiter):
                    await self.limiter.halt(self.run, reason)
            if isinstance(self.limiter, RayLimiter):
                await self.limiter.flush()
            return self._by_row(read_results(path), ids)
        finally:
            if os.path.exists(path):
                os.unlink(path)

    async def _halted(self) -> bool:
        if self.run in _HALTED:
            return True
        if isinstance(self.limiter, RayLimiter):
            reason = await self.limiter.halted(self.run)
            if reason is not None:
                _HALTED[self.run] = reason
                return True
        return False

    def _stop_reason(self) -> str | None:
        return _HALTED.get(self.run)

    def _items(self, ids: list[str], inputs: list[Any]) -> list[dict[str, Any]]:
        url = ENDPOINTS[self.kind]
        pairs = zip(ids, inputs, strict=True)
        return [{"custom_id": i, "method": "POST", "url": url, "body": self._body(x)} for i, x in pairs]

    def _body(self, value: Any) -> dict[str, Any]:
        if isinstance(self.model, str):
            return self._build(self.model, value, self.params)
        return self.model.bulk_request(self.kind, value)

    def _by_row(self, lines: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {line["custom_id"]: line for line in lines}

    # -- per kind -----------------------------------------------------------------
    @staticmethod
    def _build(model: str, value: Any, params: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _answer(self, body: Any) -> Any:  # pragma: no cover
        raise NotImplementedError


class ChatRows(_Rows):
    """Chat completions for ``map_batches``: a ``messages`` column (OpenAI message dicts) or a
    ``prompt`` column (one user message each); adds ``content``."""

    kind = "chat"
    input_column = "messages"
    output_column = "content"

    def _default_columns(self) -> tuple[str, ...]:
        return ("messages", "prompt")

    @staticmethod
    def _build(model: str, value: Any, params: dict[str, Any]) -> dict[str, Any]:
        return build_chat_request(model, as_messages(value), **params)

    def _answer(self, body: Any) -> Any:
        return parse_chat_response(body).choices[0].content


class CompletionRows(_Rows):
    """Text completions (``/v1/completions``) for ``map_batches``: a ``prompt`` column; adds ``text``."""

    kind = "completions"
    input_column = "prompt"
    output_column = "text"

    @staticmethod
    def _build(model: str, value: Any, params: dict[str, Any]) -> dict[str, Any]:
        return build_completion_request(model, str(value), **params)

    def _answer(self, body: Any) -> Any:
        return parse_completion_response(body).choices[0].text


class EmbeddingRows(_Rows):
    """Embeddings for ``map_batches``: a ``text`` column; adds ``embedding`` (a list of floats).

    ``texts_per_request`` rows go in one request (embedding endpoints take many inputs);
    the results file still gets one line per row, so resume works row by row.
    """

    kind = "embeddings"
    input_column = "text"
    output_column = "embedding"

    def __init__(self, model: Any, *, texts_per_request: int = 64, **options: Any) -> None:
        super().__init__(model, **options)
        if texts_per_request < 1:
            raise ValueError("texts_per_request must be at least 1")
        self.texts_per_request = texts_per_request

    @staticmethod
    def _build(model: str, value: Any, params: dict[str, Any]) -> dict[str, Any]:
        return build_embedding_request(model, value, **params)

    def _items(self, ids: list[str], inputs: list[Any]) -> list[dict[str, Any]]:
        # One request per group of rows; the group's id is its first row's (ids are unique).
        url = ENDPOINTS[self.kind]
        n = self.texts_per_request
        return [
            {"custom_id": ids[i], "method": "POST", "url": url, "body": self._body([str(t) for t in inputs[i : i + n]])}
            for i in range(0, len(inputs), n)
        ]

    def _by_row(self, lines: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Split each group's line into one line per row (the same error for every row of a
        failed group; each row's own vector, and the usage on the group's first row)."""
        groups = {line["custom_id"]: line for line in lines}
        out: dict[str, dict[str, Any]] = {}
        n = self.texts_per_request
        for start in range(0, len(ids), n):
            line = groups.get(ids[start])
            if line is None:
                continue
            rows = ids[start : start + n]
            if line["error"] is not None:
                for k, custom_id in enumerate(rows):
                    # the group's error line, once per row (the key order the done-index reads)
                    out[custom_id] = {"id": f"{line['id']}-{k}", "custom_id": custom_id,
                                      "error": line["error"], "response": line["response"]}  # fmt: skip
                continue
            body = line["response"]["body"]
            vectors = parse_embedding_response(body, expected=len(rows)).vectors
            for k, (custom_id, vector) in enumerate(zip(rows, vectors, strict=True)):
                row_body = {
                    "object": "list",
                    "data": [{"object": "embedding", "index": 0, "embedding": vector}],
                    "model": body.get("model"),
                    "usage": body.get("usage") if k == 0 else None,
                }
                out[custom_id] = success_record(custom_id, row_body, request_id=line["response"].get("request_id"))
        return out

    def _answer(self, body: Any) -> Any:
        return parse_embedding_response(body, expected=1).vectors[0]


# -- resume and the results file ---------------------------------------------------
@dataclass(slots=True)
class RayReport:
    """What :func:`write_results` recorded."""

    output: str
    already_done: int = 0
    succeeded: int = 0
    failed: int = 0
    not_sent: int = 0
    stopped: str | None = None
    """The account stop that ended the run (``"<ErrorClass>: <message>"``), else None."""
    failures: list[str] = field(default_factory=list)
    """The first few per-row errors."""

    @property
    def total(self) -> int:
        return self.already_done + self.succeeded + self.failed + self.not_sent

    @property
    def exit_status(self) -> int:
        """As ``zzz bulk``: 3 after an account stop, 0 when every row is recorded, 1 otherwise."""
        if self.stopped:
            return 3
        return 0 if not self.not_sent else 1

    def summary(self) -> str:
        done = self.already_done + self.succeeded + self.failed
        text = f"{done} of {self.total} done"
        if self.failed:
            text += f" ({self.failed} failed: see the output's error lines)"
        if self.stopped:
            return f"stopped: {self.stopped}. {text}; top up and run the same command again to resume"
        if self.not_sent:
            text += "; run the same command again to resume"
        return text


def resume(ds: Any, output: str | os.PathLike[str], *, id_column: str = "custom_id", retry_failed: bool = False) -> Any:
    """``ds`` without the rows whose id ``output`` (a results file) already records.

    The done-index is the bulk runner's (:func:`~zzz_core.bulk.results.load_index`); with
    ``retry_failed`` the recorded failures are kept (sent again; :func:`write_results`
    then replaces their lines).  The ids travel to the workers with the filter.
    """
    done = frozenset(load_index(output, retry_failed=retry_failed).done)
    if not done:
        return ds

    def keep(row: dict[str, Any]) -> bool:
        return row[id_column] not in done

    return ds.filter(keep)


def write_results(
    ds: Any, output: str | os.PathLike[str], *, id_column: str = "custom_id", retry_failed: bool = False
) -> RayReport:
    """Append each sent row's ``result`` line of ``ds`` (from a ``*Rows`` callable) to ``output``.

    Runs the dataset, streaming: lines are written as batches finish, by this process only
    (so the file is whole even if a worker dies).  Rows ``not_sent`` are not written: a
    rerun over the same output sends them.  ``retry_failed`` must match :func:`resume`'s.
    """
    report = RayReport(os.fspath(output), already_done=len(load_index(output, retry_failed=retry_failed)))
    with ResultsFile(output).open(drop_failed=retry_failed) as out:
        for batch in ds.iter_batches(batch_format="numpy"):
            statuses = _plain(batch["status"])
            for status, result, error in zip(statuses, _plain(batch["result"]), _plain(batch["error"]), strict=True):
                if status == "not_sent":
                    report.not_sent += 1
                    if error and report.stopped is None:
                        report.stopped = error
                    continue
                out.write(json.loads(result))
                if status == "ok":
                    report.succeeded += 1
                else:
                    report.failed += 1
                    if len(report.failures) < 5:
                        report.failures.append(error)
    return report


# -- helpers ---------------------------------------------------------------------------
def as_messages(value: Any) -> list[dict[str, Any]]:
    """A row's chat input as OpenAI messages: a string is one user message."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, Sequence) and all(isinstance(m, Mapping) for m in value):
        return [dict(m) for m in value]
    raise TypeError(f"a chat row needs a string or a list of message dicts; got {type(value).__name__}")


def _row_id(kind: str, value: Any) -> str:
    from .inputs import stable_id

    return stable_id({"kind": kind, "input": value})


def _plain(value: Any) -> Any:
    """numpy arrays (how Ray Data hands out columns, nested lists included) as Python lists."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        if getattr(value, "dtype", None) is not None and value.dtype == object:
            return [_plain(v) for v in value]
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
