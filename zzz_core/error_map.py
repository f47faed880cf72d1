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
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from . import errors as E
from .headers import request_id_of

__all__ = [
    "CODE_TABLE",
    "DECODE_ERRORS",
    "EXCERPT_CHARS",
    "MESSAGE_TABLE",
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

# 1. Error codes (string form, lower-case) -> class.
CODE_TABLE: dict[str, type[E.ZZZError]] = {
    "insufficient_user_quota": E.InsufficientBalanceError,
    "pre_consume_token_quota_failed": E.InsufficientBalanceError,
    "insufficient_quota": E.InsufficientBalanceError,
    "insufficient_balance": E.InsufficientBalanceError,
    "rate_limit_exceeded": E.RateLimitError,
    "model_not_found": E.ModelNotFoundError,
    "context_length_exceeded": E.ContextLengthExceededError,
    "string_above_max_length": E.ContextLengthExceededError,
    "sensitive_words_detected": E.ContentFilterError,
    "prompt_blocked": E.ContentFilterError,
    "content_filter": E.ContentFilterError,
    "content_policy_violation": E.ContentFilterError,
    "data_inspection_failed": E.ContentFilterError,
    "invalid_api_key": E.AuthenticationError,
    "access_terminated": E.PermissionDeniedError,
    "do_request_failed": E.GatewayServerError,
    "read_response_body_failed": E.GatewayServerError,
    "bad_response_body": E.GatewayServerError,
    "empty_response": E.GatewayServerError,
    "get_channel_failed": E.GatewayServerError,
    "server_error": E.GatewayServerError,
    "api_not_implemented": E.GatewayError,
    "invalid_request_error": E.InvalidRequestError,
    "invalid_request": E.InvalidRequestError,
    "invalid_parameter": E.InvalidRequestError,
    # OpenAI's (and new-api's) "this parameter": negotiated first, see zzz_core.negotiation
    "unsupported_parameter": E.InvalidRequestError,
    "unsupported_value": E.InvalidRequestError,
    "unknown_parameter": E.InvalidRequestError,
}

# 2. Message texts (regex, searched in the lower-cased msg) -> class.  Order matters:
#    "该令牌额度已用尽" is a balance problem although it also says "令牌".
MESSAGE_TABLE: tuple[tuple[re.Pattern[str], type[E.ZZZError]], ...] = tuple(
    (re.compile(p), cls)
    for p, cls in (
        (
            r"余额不足|额度不足|额度已用尽|预扣费额度失败|欠费|请充值|余额为|"
            r"insufficient[ _](user[ _])?(balance|quota|credit)|"
            r"quota is not enough|exceeded your current quota|balance is not enough|out of credit",
            E.InsufficientBalanceError,
        ),
        (
            r"请求数限制|请求过于频繁|频率|负载已饱和|限流|并发数|rate.?limit|too many requests|requests per",
            E.RateLimitError,
        ),
        (
            r"上下文长度|上下文过长|超过.*最大.*(长度|token)|context.?length|maximum context|context window|"
            r"too many tokens|prompt is too long|input is too long",
            E.ContextLengthExceededError,
        ),
        (
            r"敏感|审核|违规|违禁|不合规|content.?(filter|policy|management)|safety|moderation|inappropriate",
            E.ContentFilterError,
        ),
        (
            r"无可用渠道|模型不存在|模型.*不存在|不支持该模型|no available channel|"
            r"model.*(not found|does not exist|not exist)|unknown model|invalid model",
            E.ModelNotFoundError,
        ),
        (r"无权|没有权限|权限不足|permission|forbidden|not allowed to|access denied", E.PermissionDeniedError),
        (
            r"无效的令牌|未提供令牌|令牌已过期|令牌状态不可用|令牌.*(无效|不存在)|"
            r"(api.?key|key|密钥|token).{0,6}(无效|错误|不正确|过期)|"
            r"无效的.?(key|密钥)|invalid (api.?)?key|incorrect api key|invalid token|"
            r"unauthori[sz]ed|authentication|认证失败|鉴权",
            E.AuthenticationError,
        ),
    )
)

# 3. HTTP status -> class.
STATUS_TABLE: dict[int, type[E.ZZZError]] = {
    400: E.InvalidRequestError,
    401: E.AuthenticationError,
    402: E.InsufficientBalanceError,
    403: E.PermissionDeniedError,
    404: E.InvalidRequestError,
    408: E.GatewayServerError,
    413: E.InvalidRequestError,
    422: E.InvalidRequestError,
    429: E.RateLimitError,
    501: E.GatewayError,
}

# Routes a gateway may simply not have.  A 404/405/501 there means "not served here"
# (智增增 documents no /v1/rerank), not a malformed request, whatever the body says.
OPTIONAL_ENDPOINTS: tuple[str, ...] = ("/rerank",)
UNSUPPORTED_STATUSES: frozenset[int] = frozenset({404, 405, 501})
# The Batch API's routes (new-api: 501 api_not_implemented on /v1/files*, 404 on /v1/batches*).
# Its item routes (one file, one batch) answer a JSON 404 for an unknown id where the API
# exists, so there a 404 means a missing API only when it names the URL or is not JSON.
OPTIONAL_ROUTES: tuple[tuple[re.Pattern[str], type[E.ZZZError]], ...] = (
    (re.compile(r"/(?:files|batches)(?P<item>/[^/]+(?:/content|/cancel)?)?$"), E.BatchAPIUnsupportedError),
)

# 4. Weak hints, used only when the status says nothing (HTTP 200 envelopes).
WEAK_MESSAGE_TABLE: tuple[tuple[re.Pattern[str], type[E.ZZZError]], ...] = tuple(
    (re.compile(p), cls)
    for p, cls in (
        (r"参数|格式错误|不能为空|必须|invalid|required|must be|missing", E.InvalidRequestError),
        (r"服务器|内部错误|繁忙|上游|超时|internal|upstream|busy|unavailable|timeout", E.GatewayServerError),
    )
)

_REQUEST_ID = re.compile(r"\s*\(request id: ?([^)]*)\)\s*$", re.IGNORECASE)
_KEY_LIKE = re.compile(r"\b((?:sk|zk|zp)-)[A-Za-z0-9_\-]{6,}")
_OK_CODES = frozenset({None, 0, "0", "", 200, "200", "ok", "OK", "success", "SUCCESS"})
EXCERPT_CHARS = 300
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
            message = _text(err.get("message") or err.get("msg") or err.get("error"))
            code = err.get("code") or err.get("type_code") or None
            if not message and isinstance(err.get("error"), dict):  # {"type":"error","error":{...}}
                message = _text(err["error"].get("message"))
        elif err:
            message = _text(err)
        if not message:
            message = _text(payload.get("msg") or payload.get("message") or payload.get("detail"))
        if code is None:
            top = payload.get("code")
            code = None if _is_ok_code(top) else top
    else:
        message = _text(payload)
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


#: The word a gateway's refusal uses for a parameter, where it is not the parameter's own name
#: (relays say "invalid encoding format", "unsupported encoding: base64", ...).
PARAMETER_WORDS: dict[str, str] = {"encoding_format": "encoding"}


def rejects_parameter(exc: E.ZZZError, name: str) -> bool:
    """Whether ``exc`` is the gateway refusing the request because of the parameter ``name``.

    True for an :class:`~zzz_core.errors.InvalidRequestError` (or subclass) whose message
    or body excerpt names the parameter (:data:`PARAMETER_WORDS`).  :mod:`zzz_core.negotiation`
    uses it for the parameters relays name by another word (embeddings ask for
    ``encoding_format="base64"`` and fall back to floats when it is refused).
    """
    if not isinstance(exc, E.InvalidRequestError):
        return False
    word = PARAMETER_WORDS.get(name, name)
    return word in f"{exc.msg} {exc.body_excerpt}".lower()


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


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(float(ms) / 1000.0, 0.0)
        value = headers.get("retry-after")
    except (AttributeError, ValueError, TypeError):  # no mapping, or retry-after-ms that is not a number
        return None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except (ValueError, TypeError):
        pass
    try:  # an HTTP date; anything else (e.g. "soon", year 99999) means no usable wait
        parsed = email.utils.parsedate_to_datetime(value) if value else None
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    return max(parsed.timestamp() - time.time(), 0.0) if parsed else None


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove the configured key(s) and anything shaped like a gateway key."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return _KEY_LIKE.sub(lambda m: m.group(1) + "***", text)


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
        code = _safe_body(code, ctx.secrets)
    excerpt = _excerpt(body, ctx.secrets)
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
        body=_safe_body(body, ctx.secrets),
        code=code,
        msg=msg,
        host=ctx.host,
        request_id=request_id,
        body_excerpt=excerpt,
        retry_after=retry_after,
    )


def _with_advice(text: str, cls: type[E.ZZZError]) -> str:
    return f"{text}. {cls.advice}" if cls.advice else text


def _split_request_id(message: str) -> tuple[str, str | None]:
    m = _REQUEST_ID.search(message)
    if m is None:
        return message.strip(), None
    return message[: m.start()].strip(), m.group(1).strip() or None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _excerpt(body: Any, secrets: tuple[str, ...]) -> str | None:
    if body is None:
        return None
    text = body if isinstance(body, str) else _text(body)
    text = redact(text, secrets)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _safe_body(body: Any, secrets: tuple[str, ...]) -> Any:
    # openai exposes ``.body``; keep it useful but never let a key echo through it.
    if isinstance(body, (dict, list)):
        raw = _text(body)
        clean = redact(raw, secrets)
        return body if clean == raw else json.loads(clean) if clean[:1] in "{[" else clean
    if isinstance(body, str):
        return _excerpt(body, secrets)
    return body


def _html_title(html: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", html[:2000], re.IGNORECASE | re.DOTALL)
    if m:
        return " ".join(m.group(1).split())[:80]
    return " ".join(re.sub(r"<[^>]+>", " ", html[:400]).split())[:80] or "no title"
