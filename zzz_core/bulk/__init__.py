"""Bulk jobs: many requests, resumable, within the gateway's limits (the volume layer).

The core's flat modules are the wire layer (one request, its retries, its errors); this
subpackage is what sends thousands of them:

- :mod:`~zzz_core.bulk.inputs`: requests read as a stream from JSONL or an iterable
  (Batch API lines or shorthands), with stable ids and line-numbered errors;
- :mod:`~zzz_core.bulk.results`: the results file in the Batch API output format, written
  line by line, crash-safe, with a fast done-index for resuming;
- :mod:`~zzz_core.bulk.limiter`: adaptive concurrency (AIMD, ``Retry-After``, rpm/tpm caps);
- :mod:`~zzz_core.bulk.runner`: the runner itself, async with a sync wrapper;
- :mod:`~zzz_core.bulk.batch`: the gateway's own OpenAI Batch API (``Gateway.batches``), which
  reads the same inputs and writes the same results (docs/batch.md).
- :mod:`~zzz_core.bulk.ray` and :mod:`~zzz_core.bulk.ray_limiter`: Ray Data ``map_batches``
  callables and one key's limit shared by every Ray worker (needs the ``ray`` extra; Ray is
  imported only when a limiter is made).

Names are imported lazily, like :mod:`zzz_core`'s.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "ENDPOINTS": "inputs",
    "BulkInputError": "inputs",
    "BulkItem": "inputs",
    "InputSummary": "inputs",
    "iter_items": "inputs",
    "parse_item": "inputs",
    "scan": "inputs",
    "stable_id": "inputs",
    "BulkOutcome": "results",
    "DoneIndex": "results",
    "iter_outcomes": "results",
    "ResultsFile": "results",
    "error_record": "results",
    "load_index": "results",
    "read_results": "results",
    "success_record": "results",
    "AdaptiveLimit": "limiter",
    "AsyncAdaptiveLimiter": "limiter",
    "ConcurrencyLimiter": "limiter",
    "ACCOUNT_STOPS": "report",
    "BulkReport": "report",
    "arun_bulk": "runner",
    "run_bulk": "runner",
    "BatchClient": "batch",
    "BatchJob": "batch",
    "BatchResults": "batch",
    "ChatRows": "ray",
    "CompletionRows": "ray",
    "EmbeddingRows": "ray",
    "RayLimiter": "ray_limiter",
    "shared_limiter": "ray_limiter",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zzz_core.bulk' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"zzz_core.bulk.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from .batch import BatchClient, BatchJob, BatchResults
    from .inputs import ENDPOINTS, BulkInputError, BulkItem, InputSummary, iter_items, parse_item, scan, stable_id
    from .limiter import AdaptiveLimit, AsyncAdaptiveLimiter, ConcurrencyLimiter
    from .ray import ChatRows, CompletionRows, EmbeddingRows
    from .ray_limiter import RayLimiter, shared_limiter
    from .report import ACCOUNT_STOPS, BulkReport
    from .results import (
        BulkOutcome,
        DoneIndex,
        ResultsFile,
        error_record,
        iter_outcomes,
        load_index,
        read_results,
        success_record,
    )
    from .runner import arun_bulk, run_bulk
