"""The files of a Batch API job: the input going up, and the answers mapped back.

:func:`prepare_input` reads a job's requests with the bulk runner's
:mod:`~zzz_core.bulk.inputs` (so every line form ``zzz bulk`` accepts works, with the same
line-numbered errors) and encodes them as Batch API JSONL.  :func:`merge_results` maps the
gateway's output and error files back onto the input lines by ``custom_id``, as the bulk
runner's :mod:`~zzz_core.bulk.results` records; whether a line failed, and how, is the one
normalizer's verdict (:mod:`zzz_core.error_map`).  Pure: bytes in, values out.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

from .. import error_map
from .. import errors as E
from ..error_map import ErrorContext
from . import inputs, results

__all__ = ["ENDPOINTS", "merge_results", "prepare_input"]

ENDPOINTS = tuple(inputs.ENDPOINTS.values())
"""The endpoints a batch can serve (one per job)."""
_CUT_OFF = {"batch_expired": E.BatchExpiredError, "batch_cancelled": E.BatchCancelledError}


def prepare_input(
    source: str | os.PathLike[str] | Iterable[Any], *, model: str | None, endpoint: str | None
) -> tuple[bytes, str, str]:
    """The input as Batch API JSONL bytes, its endpoint, and a file name for the upload.

    Lines are read by the bulk runner's :mod:`~zzz_core.bulk.inputs` (Batch API lines and
    shorthands, ``model`` filled in, stable ids); every malformed line and repeated
    ``custom_id`` is an :class:`~zzz_core.bulk.inputs.BulkInputError` naming its line.
    """
    name = os.path.basename(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else "input.jsonl"
    if not isinstance(source, (str, os.PathLike)):
        source = list(source)  # read twice: checked, then encoded
    kind = _kind(endpoint)
    summary = inputs.scan(source, kind=kind, model=model)
    if summary.count == 0:
        raise E.InvalidInputError("the input has no requests; nothing to submit")
    if len(summary.kinds) > 1:
        urls = ", ".join(sorted(inputs.ENDPOINTS[k] for k in summary.kinds))
        raise E.InvalidInputError(f"one batch serves one endpoint, and the input mixes {urls}: split it by endpoint")
    (found,) = summary.kinds
    out = io.BytesIO()
    for item in inputs.iter_items(source, kind=kind, model=model):
        out.write(json.dumps(item.batch_line(), ensure_ascii=False).encode("utf-8") + b"\n")
    return out.getvalue(), inputs.ENDPOINTS[found], name


def _kind(endpoint: str | None) -> str | None:
    """``--endpoint``: a Batch API url (``/v1/embeddings``) or a job kind (``embeddings``)."""
    if endpoint is None:
        return None
    kind = inputs.KINDS.get(endpoint if endpoint.startswith("/v1/") else "/v1/" + endpoint.lstrip("/"))
    return kind or inputs.normalize_kind(endpoint)


def merge_results(inputs_raw: bytes, outputs: bytes, errors: bytes, *, ctx: ErrorContext) -> list[dict[str, Any]]:
    """Map the output and error files back onto the input lines by ``custom_id``.

    Every input line gets exactly one result, in input order; a line the gateway
    answered in neither file is an error (``missing_from_batch_output``), and an
    answered line that is not in the input is kept at the end.
    """
    answered: dict[str, dict[str, Any]] = {}
    for raw in (outputs, errors):
        for row in _jsonl(raw):
            cid = row.get("custom_id")
            if isinstance(cid, str) and cid not in answered:
                answered[cid] = _result(row, ctx)
    out: list[dict[str, Any]] = []
    for row in _jsonl(inputs_raw):
        cid = row.get("custom_id")
        if not isinstance(cid, str):
            continue
        got = answered.pop(cid, None)
        if got is None:
            message = "the gateway finished the batch without an answer for this line"
            got = results.error_record(cid, _line_error(E.BatchJobError, "missing_from_batch_output", message, ctx))
        out.append(got)
    out.extend(answered.values())
    return out


def _result(row: dict[str, Any], ctx: ErrorContext) -> dict[str, Any]:
    """One output/error-file line as a result: the normalizer decides whether it failed, and how."""
    cid = row["custom_id"]
    response = row.get("response")
    err = row.get("error")
    if not isinstance(response, dict):
        code = err.get("code") if isinstance(err, dict) else None
        message = str(err.get("message") or "") if isinstance(err, dict) else "the gateway sent no response"
        cut = _CUT_OFF.get(str(code))
        if cut is not None:
            exc: E.ZZZError = _line_error(cut, code, message, ctx)
        else:
            exc = error_map.from_payload({"error": err} if isinstance(err, dict) else message, 200, ctx)
        return _with_id(results.error_record(cid, exc), row)
    status = response.get("status_code")
    status = status if isinstance(status, int) else 200
    body = response.get("body")
    if status >= 400 or not isinstance(body, dict) or error_map.is_error_payload(body):
        exc = error_map.from_payload(body, status, ctx) if body is not None else error_map.from_body(status, b"", ctx)
        return _with_id(results.error_record(cid, exc), row)
    record = results.success_record(cid, body, status_code=status, request_id=response.get("request_id"))
    return _with_id(record, row)


def _line_error(cls: type[E.BatchJobError], code: Any, message: str, ctx: ErrorContext) -> E.BatchJobError:
    """A line the gateway did not run (cut off, or lost): sending it again may well work."""
    exc = cls(message, url=ctx.url, host=ctx.host)
    exc.code, exc.retryable = code, True
    return exc


def _with_id(record: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    # The gateway's own line id, when it is a plain string (the results index reads it as one).
    line_id = row.get("id")
    if isinstance(line_id, str) and line_id and '"' not in line_id and "\\" not in line_id:
        record["id"] = line_id
    return record


def _jsonl(raw: bytes) -> Iterator[dict[str, Any]]:
    for text in raw.decode("utf-8", "replace").splitlines():
        if text.strip():
            try:
                row = json.loads(text)
            except ValueError:
                continue  # a line the gateway garbled; its custom_id then shows as missing
            if isinstance(row, dict):
                yield row
