"""The one place where a gateway failure becomes a typed exception.

Every shape goes through :func:`classify`: an HTTP error status with any body,
智增增's ``{"code": N, "msg": …}`` envelope (even with HTTP 200), new-api's
``{"error": {…}}`` object, non-JSON bodies (nginx HTML, empty), error frames
inside a stream, and transport failures.  The decision is table-driven, in this
order, because relays are inconsistent about statuses (a quota error arrives as
401, 403, 400 or 429 depending on the gateway) while their codes and texts are
stable:

1. the error ``code`` (``CODE_TABLE``);
2. known message texts, Chinese and English (``MESSAGE_TABLE``), strongest first;
3. the HTTP status (``STATUS_TABLE``);
4. weak message hints, for envelopes that came with HTTP 200;
5. otherwise :class:`~zzz_core.errors.GatewayError`, carrying code and msg.

A generic verdict (404/405/501) on a route a gateway may lack altogether becomes
the class saying so: ``OPTIONAL_ENDPOINTS`` (``/rerank``) and ``OPTIONAL_ROUTES``
(the Batch API's ``/files`` and ``/batches``, where an unknown id is a JSON 404).

``type`` is never consulted: operators rename it (``new_api_error``,
``one_api_error``, ``dmx_api_error``…).

The tables are data in :mod:`zzz_core.error_tables`; what an exception may show of
the body is :mod:`zzz_core.redaction`'s; the words relays use for a parameter are
:mod:`zzz_core.param_rejection`'s; ``Retry-After`` is read by
:mod:`zzz_core.headers`.  Their public names stay importable from here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import errors as E
from .error_tables import (
    CODE_TABLE,
    MESSAGE_TABLE,
    OPTIONAL_ENDPOINTS,
    OPTIONAL_ROUTES,
    STATUS_TABLE,
    UNSUPPORTED_STATUSES,
    WEAK_MESSAGE_TABLE,
)
from .headers import parse_retry_after, request_id_of
from .param_rejection import PARAMETER_WORDS, rejects_parameter
from .redaction import EXCERPT_CHARS, as_text, excerpt, redact, safe_body

__all__ = [
    "CODE_TABLE",
    "DECODE_ERRORS",
    "EXCERPT_CHARS",
    "MESSAGE_TABLE",
    "OPTIONAL_ENDPOINTS",
    "OPTIONAL_ROUTES",
    "PARAMETER_WORDS",
    "STATUS_TABLE",
    "WEAK_MESSAGE_TABLE",
    "ErrorContext",
    "classify",
    "from_body",
    "from_payload",
    "from_transport",
    "interrupted",
    "is_error_payload",
    "malformed",
    "parse_retry_after",
    "redact",
    "rejects_parameter",
]

_REQUEST_ID = re.compile(r"\s*\(request id: ?([^)]*)\)\s*$", re.IGNORECASE)
_OK_CODES = frozenset({None, 0, "0", "", 200, "200", "ok", "OK", "success", "SUCCESS"})
_UNAMBIGUOUS_STATUSES = frozenset({401, 402, 403, 429})


@dataclass(slots=True)
class ErrorContext:
    """Where a failure happened, and what must never appear in its text."""

    host: str | None = None
    url: str = ""
    method: str = "POST"
    secrets: tuple[str, ...] = ()
    key_hint: str | None = None
    headers: Any = None


def is_error_payload(payload: Any) -> bool:
    """Cheap per-chunk test: does this decoded JSON object report a failure?"""
    if type(payload) is not dict:
        return True
    if "error" in payload and payload["error"]:
        return True
    code = payload.get("code")
    if code is not None and not _is_ok_code(code) and "choices" not in payload:
        return True
    return payload.get("success") is False


def _is_ok_code(code: Any) -> bool:
    return isinstance(code, (str, int, float, type(None))) and code in _OK_CODES


def from_payload(payload: Any, status: int, ctx: ErrorContext) -> E.ZZZError:
    """The exception for a decoded JSON body or stream frame known to be an error."""
    code: Any = None
    message = ""
    if isinstance(payload, dict):
        err = payload.get("error")
        if isinstance(err, dict):
            message = as_text(err.get("message") or err.get("msg") or err.get("error"))
            code = err.get("code") or err.get("type_code") or None
            if not message and isinstance(err.get("error"), dict):  # {"type":"error","error":{...}}
                message = as_text(err["error"].get("message"))
        elif err:
            message = as_text(err)
        if not message:
            message = as_text(payload.get("msg") or payload.get("message") or payload.get("detail"))
        if code is None:
            top = payload.get("code")
            code = None if _is_ok_code(top) else top
    else:
        message = as_text(payload)
    return classify(status=status, code=code, message=message, body=payload, ctx=ctx)


def from_body(status: int, body: bytes, ctx: ErrorContext) -> E.ZZZError:
    """The exception for a raw response body that is not a success."""
    text = body.decode("utf-8", "replace") if body else ""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            payload = json.loads(stripped)
        except ValueError:
            payload = None
        if payload is not None:
            return from_payload(payload, status, ctx)
    if not stripped:
        summary = "an empty body"
    elif stripped[:1] == "<":
        summary = f"an HTML page instead of JSON ({_html_title(stripped)})"
    else:
        summary = "a non-JSON body"
    if status >= 500 or (status == 200 and not stripped):
        cls: type[E.ZZZError] = E.GatewayServerError
    elif status >= 400:
        cls = STATUS_TABLE.get(status, E.GatewayError)
    else:
        cls = E.GatewayError
    cls = _unsupported_endpoint(status, cls, ctx.url, "", text) or cls
    message = f"HTTP {status} with {summary}"
    if status == 200 and stripped[:1] == "<":
        message += "; base_url probably points at a web page, not the API (it should end in /v1)"
    return _build(cls, status=status, code=None, msg=message, body=text, ctx=ctx)


def classify(*, status: int, code: Any, message: str, body: Any, ctx: ErrorContext) -> E.ZZZError:
    """Pick the class for (status, code, message) and build the exception."""
    msg, request_id = _split_request_id(message)
    cls = _pick_class(status, code, msg)
    cls = _unsupported_endpoint(status, cls, ctx.url, msg, body) or cls
    return _build(cls, status=status, code=code, msg=msg, body=body, ctx=ctx, request_id=request_id)


def _pick_class(status: int, code: Any, msg: str) -> type[E.ZZZError]:
    if code is not None and not isinstance(code, (str, int)):
        code = None if isinstance(code, (dict, list)) and not code else code
    if code is not None:
        found = CODE_TABLE.get(str(code).strip().lower())
        if found is not None:
            if found is E.ModelNotFoundError or found is E.GatewayServerError or status < 400:
                return found
            # A known code wins unless the message says something more specific.
            return _by_message(msg) or found
    lowered = msg.lower()
    by_text = _by_message(lowered)
    if by_text is not None:
        return by_text
    unknown_code = code not in (None, "")
    if status < 400 or (unknown_code and status not in _UNAMBIGUOUS_STATUSES and status < 500):
        for pattern, cls in WEAK_MESSAGE_TABLE:
            # A 4xx is the caller's side: a hint of a server fault cannot make it retryable.
            if pattern.search(lowered) and (status < 400 or cls is not E.GatewayServerError):
                return cls
        if unknown_code or status < 400:
            # A code we do not know, with a message we do not recognise: say so with
            # the gateway's own code and msg rather than guess from a generic status.
            return E.GatewayError
    if status in STATUS_TABLE:
        return STATUS_TABLE[status]
    if status >= 500:
        return E.GatewayServerError
    return E.GatewayError


def _unsupported_endpoint(status: int, cls: type[E.ZZZError], url: str, msg: str, body: Any) -> type[E.ZZZError] | None:
    """The class saying "this gateway does not serve the route", or None."""
    # Only the generic classes are replaced: a 404 saying "model not found" stays that.
    generic = cls in (E.InvalidRequestError, E.GatewayError) or (status == 501 and cls is E.GatewayServerError)
    if status not in UNSUPPORTED_STATUSES or not generic:
        return None
    path = url.split("?", 1)[0].rstrip("/")
    if path.endswith(OPTIONAL_ENDPOINTS):
        return E.EndpointNotSupportedError
    for pattern, route_cls in OPTIONAL_ROUTES:
        m = pattern.search(path)
        if m is not None and (
            status != 404 or m.group("item") is None or "invalid url" in msg.lower() or not isinstance(body, dict)
        ):
            return route_cls
    return None


def _by_message(msg: str) -> type[E.ZZZError] | None:
    lowered = msg.lower()
    for pattern, cls in MESSAGE_TABLE:
        if pattern.search(lowered):
            return cls
    return None


def from_transport(exc: BaseException, ctx: ErrorContext, *, timed_out: bool) -> E.ZZZError:
    """The exception for a failure to connect, a reset, or a timeout."""
    detail = redact(f"{type(exc).__name__}: {exc}".rstrip(": "), ctx.secrets)
    if timed_out:
        text = f"Timed out waiting for {ctx.host} ({detail})"
        err: E.ZZZError = E.GatewayTimeoutError(
            _with_advice(text, E.GatewayTimeoutError), url=ctx.url, method=ctx.method, host=ctx.host
        )
    else:
        text = f"Could not reach {ctx.host} ({detail})"
        err = E.GatewayConnectionError(
            _with_advice(text, E.GatewayConnectionError), url=ctx.url, method=ctx.method, host=ctx.host
        )
    return err


def interrupted(ctx: ErrorContext, *, delivered: bool, partial: str, reason: str) -> E.StreamInterruptedError:
    """The exception for a stream that ended before its finish reason."""
    text = f"Stream from {ctx.host} ended early ({reason})"
    if delivered:
        text += f" after {len(partial)} characters of content; not retried, which would duplicate text"
    err = E.StreamInterruptedError(
        _with_advice(text, E.StreamInterruptedError),
        url=ctx.url,
        method=ctx.method,
        host=ctx.host,
        retryable=not delivered,
    )
    err.partial_content = partial
    return err


#: What a decoder raises when a success-shaped payload does not have the OpenAI shape.
DECODE_ERRORS = (TypeError, AttributeError, KeyError, ValueError, IndexError)


def malformed(payload: Any, status: int, ctx: ErrorContext, exc: BaseException) -> E.ZZZError:
    """The exception for a payload that looked like a success but could not be decoded."""
    detail = f"{type(exc).__name__}: {exc}"[:160]
    return _build(
        E.GatewayError,
        status=status,
        code=None,
        msg=f"the gateway sent a malformed response ({detail})",
        body=payload,
        ctx=ctx,
    )


def _build(
    cls: type[E.ZZZError],
    *,
    status: int,
    code: Any,
    msg: str,
    body: Any,
    ctx: ErrorContext,
    request_id: str | None = None,
) -> E.ZZZError:
    msg = redact(msg, ctx.secrets)
    if isinstance(code, (str, dict, list)):  # shown in the message and kept on the exception
        code = safe_body(code, ctx.secrets)
    body_excerpt = excerpt(body, ctx.secrets)
    headers = ctx.headers
    if request_id is None and headers is not None:
        request_id = request_id_of(headers)
    if request_id is not None:
        request_id = redact(request_id, ctx.secrets)
    title = cls.category.replace("_", " ").capitalize()
    where = f" from {ctx.host}" if ctx.host else ""
    code_part = f", code {code}" if code is not None else ""
    text = f"{title}{where} (HTTP {status}{code_part}): {msg or '(no message)'}"
    if cls is E.AuthenticationError and ctx.key_hint:
        text += f". Hint: {ctx.key_hint}"
    if status == 404 and "invalid url" in msg.lower() and not issubclass(cls, E.EndpointNotSupportedError):
        text += ". The base_url is probably wrong: it should end in /v1"
    if request_id:  # what the gateway's support asks for
        text += f" (request id: {request_id})"
    retry_after = parse_retry_after(headers) if cls is E.RateLimitError or status in (429, 503) else None
    # Also openai's class for this HTTP status (a 503 model_not_found is an InternalServerError).
    # The ignore: the tables are typed by ZZZError, but every class they give is a GatewayStatusError,
    # whose constructor takes these arguments.
    return E.with_status_class(cls, status)(  # type: ignore[call-arg]
        _with_advice(text, cls),
        status_code=status,
        url=ctx.url,
        method=ctx.method,
        body=safe_body(body, ctx.secrets),
        code=code,
        msg=msg,
        host=ctx.host,
        request_id=request_id,
        body_excerpt=body_excerpt,
        retry_after=retry_after,
    )


def _with_advice(text: str, cls: type[E.ZZZError]) -> str:
    return f"{text}. {cls.advice}" if cls.advice else text


def _split_request_id(message: str) -> tuple[str, str | None]:
    m = _REQUEST_ID.search(message)
    if m is None:
        return message.strip(), None
    return message[: m.start()].strip(), m.group(1).strip() or None


def _html_title(html: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", html[:2000], re.IGNORECASE | re.DOTALL)
    if m:
        return " ".join(m.group(1).split())[:80]
    return " ".join(re.sub(r"<[^>]+>", " ", html[:400]).split())[:80] or "no title"
