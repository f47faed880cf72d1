"""What one raw HTTP answer means: its body decoded, or the normalized error it carries.

The transport asks the ``openai`` client for the raw response (``cast_to=<http Response>``
with the raw-stream header) and hands the bytes here; nothing builds a pydantic object.
Every failure goes through :mod:`zzz_core.error_map`.  Also here: telling a timeout from a
refused or broken connection, which the HTTP libraries do not always label right.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import openai

from . import _compat, error_map
from . import errors as E
from .error_map import ErrorContext

if TYPE_CHECKING:
    from openai._types import RequestOptions

__all__ = [
    "RAW_STREAM",
    "decode",
    "decode_content",
    "options",
    "sdk_timed_out",
    "shown",
    "site_root",
    "status_error",
    "timed_out",
]

#: The header that makes the ``openai`` client hand back the raw response, unread.
RAW_STREAM = {"X-Stainless-Raw-Response": "stream"}
_MULTIPART = {**RAW_STREAM, "Content-Type": "multipart/form-data"}


def options(files: Any) -> RequestOptions:
    """The ``openai`` request options for a body with (or without) file parts."""
    # With this Content-Type the openai client sends ``body`` as form fields beside the
    # files (as its own ``files.create`` does); the HTTP library adds the boundary.
    return {"headers": _MULTIPART if files is not None else RAW_STREAM}


def decode(
    status: int, raw: bytes, ctx: ErrorContext, require: str | None, loads: Callable[[bytes], Any] | None = None
) -> Any:
    """The JSON payload of a success, or raise the normalized error the body carries.

    ``require`` names a key a success must carry as a list (``"choices"``, ``"data"``).
    ``loads`` parses instead of ``json.loads`` (the bulk runner's, which keeps vectors as
    text: ``zzz_core.bulk.vectors``); it must raise ``ValueError`` where ``json.loads`` would.
    """
    try:
        payload = (loads or json.loads)(raw) if raw else None
    except ValueError:
        payload = None
    if payload is None:
        raise error_map.from_body(status, raw, ctx)
    if error_map.is_error_payload(payload) if isinstance(payload, dict) else not isinstance(payload, list):
        raise error_map.from_payload(payload, status, ctx)
    if require is not None and (not isinstance(payload, dict) or not isinstance(payload.get(require), list)):
        got = sorted(payload)[:8] if isinstance(payload, dict) else type(payload).__name__
        raise error_map.classify(
            status=status,
            code=payload.get("code") if isinstance(payload, dict) else None,
            message=f"the gateway answered without {require!r} (got keys: {got})",
            body=payload,
            ctx=ctx,
        )
    return payload


def decode_content(status: int, raw: bytes, ctx: ErrorContext) -> bytes:
    """A file's content as sent, unless the whole answer is one JSON error object."""
    head = raw.lstrip()[:1]
    if head == b"{" and raw.strip().count(b"\n") == 0:  # one line: maybe an error, maybe a one-line file
        try:
            payload = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(payload, dict) and "custom_id" not in payload and error_map.is_error_payload(payload):
            raise error_map.from_payload(payload, status, ctx)
    return raw


def status_error(exc: openai.APIStatusError, ctx: ErrorContext) -> E.ZZZError:
    """The normalized error for the ``openai`` client's HTTP-status exception."""
    ctx.headers = exc.response.headers
    try:
        raw = exc.response.content
    except Exception:  # noqa: BLE001 - a body that cannot be read is reported as empty
        raw = b""
    return error_map.from_body(exc.status_code, raw, ctx)


def timed_out(exc: BaseException) -> bool:
    """Whether an HTTP-level failure is a timeout rather than a refused or broken connection.

    openai's aiohttp transport maps every ``aiohttp.ClientConnectionError`` (a refused
    connection, a server that hung up) to ``ConnectTimeout``; the aiohttp exception it
    keeps as ``__cause__`` says what really happened.
    """
    if not isinstance(exc, _compat.TimeoutException):
        return False
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        return isinstance(cause, (TimeoutError, asyncio.TimeoutError))
    return True


def sdk_timed_out(exc: openai.APIConnectionError) -> bool:
    """:func:`timed_out` for the ``openai`` client's connection error (its cause decides)."""
    cause = exc.__cause__
    if cause is None:
        return isinstance(exc, openai.APITimeoutError)
    return timed_out(cause)


def shown(exc: openai.APIConnectionError) -> BaseException:
    """The failure to name in the message: the HTTP library's, or aiohttp's own where
    the HTTP library mislabelled it as a timeout."""
    root = exc.__cause__ or exc
    if isinstance(root, _compat.TimeoutException) and not timed_out(root) and root.__cause__ is not None:
        return root.__cause__
    return root


def site_root(base_url: str) -> str:
    """``https://h/v1`` -> ``https://h``; a base URL without a version segment is its own root."""
    head, _, last = base_url.rstrip("/").rpartition("/")
    return head if last[:1] == "v" and last[1:2].isdigit() and "://" in head else base_url
