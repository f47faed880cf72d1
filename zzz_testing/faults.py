"""Faults the simulator can inject, and the catalogue of gateway error bodies.

A :class:`Fault` is queued with ``GatewaySimulator.inject(fault, ...)`` or chosen per
request with the header ``X-ZZZ-Fault: <name>``.  Every fault has a stable ``name``
(``Fault.parse(fault.name) == fault``, except a custom ``message``, which names omit).

Faults and their names:

=======================================  ===============================================
constructor                              name / effect
=======================================  ===============================================
``Fault.error(cat)``                     ``"<cat>"``: the dialect's default error shape
                                         (``error_object`` for newapi, ``envelope_status``
                                         for zhizengzeng) with the category's status
``Fault.error(cat, shape=S)``            ``"<cat>:<S>"``, S one of ``error_object``
                                         (``{"error": {...}}`` + HTTP error status),
                                         ``envelope_200`` (``{"code": N, "msg": ...}`` with
                                         HTTP 200), ``envelope_status`` (the envelope with
                                         the category's HTTP error status)
``Fault.error(cat, status=418)``         ``"<cat>[:<S>]:status=418"``: status overridden
``Fault.rate_limit(retry_after=1.0)``    ``"rate_limit[:<S>]:retry_after=1"``: a rate-limit
                                         error plus a ``Retry-After`` header
``Fault.html(502)`` / ``html(504)``      ``"html:502"``: an nginx (504: Cloudflare) HTML page
``Fault.empty_body(502)``                ``"empty_body:502"``: that status, no body at all
``Fault.slow_first_byte(2.5)``           ``"slow_first_byte:2.5"``: the normal response,
                                         after a pause before the status line
``Fault.connection_reset()``             ``"connection_reset"``: request read, then the
                                         socket is reset (RST) with no response
``Fault.mid_stream_drop(3)``             ``"mid_stream_drop:3"``: stream sends the role chunk
                                         and 3 chunks, then the connection is closed without
                                         the chunked terminator
``Fault.no_done(3)``                     ``"no_done:3"``: stream ends cleanly after 3 chunks,
                                         without ``finish_reason`` and without ``[DONE]``
``Fault.sse_error(cat, after_chunks=0,   ``"sse_error:<cat>:<style>:after=0"``: an error
style=...)``                             event inside the stream, then a clean end; styles
                                         ``data_envelope`` (``data: {"code":N,"msg":..}``),
                                         ``data_error_object`` (``data: {"error":{..}}``),
                                         ``event_error`` (``event: error`` + ``data: {..}``)
``Fault.json_error_to_stream(cat)``      ``"json_error_to_stream:<cat>"``: a JSON error body
                                         (``application/json``) although ``stream`` was asked
=======================================  ===============================================

The last four are *stream faults*: queued ones wait for the next streaming request
(``"stream": true``); sent by header on a non-streaming request they are ignored.

On the billing routes of the newapi dialect an error fault comes back with HTTP 200 and
an ``error`` object, as new-api's billing controller does.

Categories: ``auth``, ``permission``, ``balance``, ``rate_limit``, ``model_not_found``,
``invalid_request``, ``context_length``, ``content_filter``, ``server_error``,
``unknown_code``.  ``ERROR_SAMPLES[(dialect, category)]`` gives ``(status, body)`` in the
dialect's default shape; :func:`error_body` gives any shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CATEGORIES",
    "DIALECTS",
    "ERROR_SAMPLES",
    "MANGLED_STYLES",
    "REQUEST_ID",
    "SHAPES",
    "SSE_ERROR_STYLES",
    "Fault",
    "error_body",
    "html_page",
]

DIALECTS = ("zhizengzeng", "newapi")
CATEGORIES = (
    "auth",
    "permission",
    "balance",
    "rate_limit",
    "model_not_found",
    "invalid_request",
    "context_length",
    "content_filter",
    "server_error",
    "unknown_code",
)
SHAPES = ("error_object", "envelope_200", "envelope_status")
SSE_ERROR_STYLES = ("data_envelope", "data_error_object", "event_error")
MANGLED_STYLES: dict[str, str] = {
    "short": "the last vector is missing (relays answer short lists)",
    "nan": "the first vector holds NaN (not JSON; Python's json.loads reads it anyway)",
    "empty": "an empty data list",
}
"""The ways :meth:`Fault.mangled_embeddings` spoils an embeddings answer."""

STREAM_KINDS = frozenset({"mid_stream_drop", "no_done", "sse_error", "json_error_to_stream"})

REQUEST_ID = "20251123041500123456789"
"""The request id new-api appends to its messages (``" (request id: …)"``)."""

SAMPLE_MODEL = "gpt-4o"

# new-api / one-api: category -> (status, type, code, message, has_param).
# Middleware rejections (abortWithOpenAiMessage) carry no "param"; relay errors do.
_NEWAPI: dict[str, tuple[int, str, str, str, bool]] = {
    "auth": (401, "new_api_error", "", "无效的令牌", False),
    "permission": (403, "new_api_error", "", "该令牌无权使用模型：{model}", False),
    "balance": (403, "new_api_error", "insufficient_user_quota", "用户额度不足, 剩余额度: ＄0.012345", False),
    "rate_limit": (429, "new_api_error", "rate_limit_exceeded", "您已达到请求数限制：1分钟内最多请求60次", False),
    "model_not_found": (
        503,
        "new_api_error",
        "model_not_found",
        "分组 default 下模型 {model} 无可用渠道（distributor）",
        False,
    ),
    "invalid_request": (400, "new_api_error", "invalid_request", "field messages is required", True),
    "context_length": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages resulted in "
        "131072 tokens. Please reduce the length of the messages.",
        True,
    ),
    "content_filter": (400, "new_api_error", "sensitive_words_detected", "sensitive words detected: 敏感词", True),
    "server_error": (
        500,
        "new_api_error",
        "do_request_failed",
        'do request failed: Post "https://api.openai.com/v1/chat/completions": EOF',
        True,
    ),
    "unknown_code": (400, "new_api_error", "zzz_unrecognized_gateway_state", "上游返回了无法识别的错误", True),
}

# 智增增: category -> (HTTP status for envelope_status/error_object, envelope code, msg,
# OpenAI-style type and code used for the error_object shape).
_ZZZ: dict[str, tuple[int, int, str, str, str]] = {
    "auth": (401, 1002, "API key 无效", "invalid_request_error", "invalid_api_key"),
    "permission": (403, 1003, "无权访问该模型", "permission_error", "model_not_allowed"),
    "balance": (402, 1001, "余额不足，请充值后再试", "insufficient_quota", "insufficient_quota"),
    "rate_limit": (429, 1004, "请求过于频繁，请稍后再试", "rate_limit_error", "rate_limit_exceeded"),
    "model_not_found": (404, 1005, "模型不存在: {model}", "invalid_request_error", "model_not_found"),
    "invalid_request": (400, 1006, "参数错误：messages 必须是数组", "invalid_request_error", "invalid_request"),
    "context_length": (
        400,
        1007,
        "上下文长度超过模型最大限制",
        "invalid_request_error",
        "context_length_exceeded",
    ),
    "content_filter": (400, 1008, "内容包含敏感词，请修改后重试", "invalid_request_error", "content_filter"),
    "server_error": (500, 1010, "服务器内部错误", "server_error", "server_error"),
    "unknown_code": (400, 4242, "未知错误", "api_error", "unknown_error"),
}


def default_shape(dialect: str) -> str:
    return "error_object" if dialect == "newapi" else "envelope_status"


def error_body(
    dialect: str,
    category: str,
    shape: str | None = None,
    *,
    message: str | None = None,
    model: str | None = None,
    status: int | None = None,
) -> tuple[int, dict[str, Any]]:
    """Return ``(http_status, body)`` for a category in a dialect and shape.

    ``message`` replaces the sample text (new-api's request-id suffix is still added);
    ``model`` fills the model name into texts that mention one.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown error category {category!r}; use one of {CATEGORIES}")
    shape = shape or default_shape(dialect)
    if shape not in SHAPES:
        raise ValueError(f"unknown error shape {shape!r}; use one of {SHAPES}")
    model = model or SAMPLE_MODEL
    body: dict[str, Any]
    if shape == "error_object" and dialect == "newapi":
        http, etype, code, text, has_param = _NEWAPI[category]
        text = (message or text).replace("{model}", model) + f" (request id: {REQUEST_ID})"
        err: dict[str, Any] = {"message": text, "type": etype}
        if has_param:
            err["param"] = ""
        err["code"] = code
        body = {"error": err}
    else:
        http, num, text, etype, ocode = _ZZZ[category]
        text = (message or text).replace("{model}", model)
        if shape == "error_object":
            body = {"error": {"message": text, "type": etype, "param": None, "code": ocode}}
        else:
            body = {"code": num, "msg": text}
            if shape == "envelope_200":
                http = 200
    return (status if status is not None else http), body


ERROR_SAMPLES: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {
    (dialect, category): error_body(dialect, category) for dialect in DIALECTS for category in CATEGORIES
}
"""``(dialect, category) -> (status, body)`` in the dialect's default shape (error objects
for newapi, status-carrying envelopes for zhizengzeng)."""

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def html_page(status: int) -> str:
    """An nginx error page, or for 504 a Cloudflare "Gateway time-out" page."""
    reason = _REASONS.get(status, "Error")
    if status == 504:
        return (
            '<!DOCTYPE html>\n<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n'
            '<html class="no-js" lang="en-US">\n<head>\n'
            "<title>api.zhizengzeng.com | 504: Gateway time-out</title>\n"
            '<meta charset="UTF-8" />\n</head>\n<body>\n<div id="cf-wrapper">\n'
            '<h1><span class="inline-block">Gateway time-out</span>'
            '<span class="code-label">Error code 504</span></h1>\n'
            "<p>The web server reported a gateway time-out error.</p>\n"
            '<p>Cloudflare Ray ID: <strong class="font-semibold">8e1f2a3b4c5d6e7f</strong></p>\n'
            "</div>\n</body>\n</html>\n"
        )
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Fault:
    """One injectable failure.  Build it with a constructor, not directly."""

    kind: str
    category: str | None = None
    shape: str | None = None
    status: int | None = None
    message: str | None = None
    seconds: float = 0.0
    after_chunks: int = 0
    style: str | None = None
    retry_after: float | None = None

    # -- constructors -------------------------------------------------------------
    @classmethod
    def error(
        cls, category: str, shape: str | None = None, status: int | None = None, message: str | None = None
    ) -> Fault:
        """An error body of a category (see the module docstring for shapes)."""
        error_body("newapi", category, shape)  # validates category and shape
        return cls("error", category=category, shape=shape, status=status, message=message)

    @classmethod
    def rate_limit(cls, retry_after: float = 1.0, shape: str | None = None) -> Fault:
        """A rate-limit error with a ``Retry-After`` header."""
        error_body("newapi", "rate_limit", shape)
        return cls("error", category="rate_limit", shape=shape, retry_after=retry_after)

    @classmethod
    def html(cls, status: int = 502) -> Fault:
        return cls("html", status=status)

    @classmethod
    def empty_body(cls, status: int = 502) -> Fault:
        return cls("empty_body", status=status)

    @classmethod
    def slow_first_byte(cls, seconds: float) -> Fault:
        return cls("slow_first_byte", seconds=float(seconds))

    @classmethod
    def connection_reset(cls) -> Fault:
        return cls("connection_reset")

    @classmethod
    def mangled_embeddings(cls, style: str = "short") -> Fault:
        """An embeddings answer with HTTP 200 that cannot be used (see :data:`MANGLED_STYLES`)."""
        if style not in MANGLED_STYLES:
            raise ValueError(f"unknown mangled_embeddings style {style!r}; use one of {sorted(MANGLED_STYLES)}")
        return cls("mangled_embeddings", style=style)

    @classmethod
    def mid_stream_drop(cls, after_chunks: int = 3) -> Fault:
        return cls("mid_stream_drop", after_chunks=after_chunks)

    @classmethod
    def no_done(cls, after_chunks: int = 3) -> Fault:
        return cls("no_done", after_chunks=after_chunks)

    @classmethod
    def sse_error(cls, category: str, after_chunks: int = 0, style: str = "data_envelope") -> Fault:
        if style not in SSE_ERROR_STYLES:
            raise ValueError(f"unknown sse_error style {style!r}; use one of {SSE_ERROR_STYLES}")
        error_body("newapi", category)
        return cls("sse_error", category=category, after_chunks=after_chunks, style=style)

    @classmethod
    def json_error_to_stream(cls, category: str) -> Fault:
        error_body("newapi", category)
        return cls("json_error_to_stream", category=category)

    # -- names --------------------------------------------------------------------
    @property
    def stream_only(self) -> bool:
        """True for faults that only make sense on a streaming request."""
        return self.kind in STREAM_KINDS

    @property
    def name(self) -> str:
        """The stable name, usable as the ``X-ZZZ-Fault`` header value."""
        k = self.kind
        if k == "error":
            parts = [self.category or ""]
            if self.shape:
                parts.append(self.shape)
            if self.status is not None:
                parts.append(f"status={self.status}")
            if self.retry_after is not None:
                parts.append(f"retry_after={_num(self.retry_after)}")
            return ":".join(parts)
        if k in ("html", "empty_body"):
            return f"{k}:{self.status}"
        if k == "slow_first_byte":
            return f"{k}:{_num(self.seconds)}"
        if k in ("mid_stream_drop", "no_done"):
            return f"{k}:{self.after_chunks}"
        if k == "sse_error":
            return f"sse_error:{self.category}:{self.style}:after={self.after_chunks}"
        if k == "json_error_to_stream":
            return f"{k}:{self.category}"
        if k == "mangled_embeddings":
            return f"{k}:{self.style}"
        return k

    @classmethod
    def parse(cls, name: str) -> Fault:
        """Build a fault back from its :attr:`name`."""
        parts = [p.strip() for p in name.strip().split(":")]
        head, pos = parts[0], [p for p in parts[1:] if "=" not in p]
        kw = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        arg = pos[0] if pos else None
        try:
            if head in CATEGORIES:
                fault = cls.error(head, shape=arg, status=int(kw["status"]) if "status" in kw else None)
                if "retry_after" in kw:
                    fault = cls(
                        "error",
                        category=head,
                        shape=fault.shape,
                        status=fault.status,
                        retry_after=float(kw["retry_after"]),
                    )
                return fault
            if head in ("html", "empty_body"):
                return cls(head, status=int(arg or 502))
            if head == "slow_first_byte":
                return cls.slow_first_byte(float(arg or 1.0))
            if head in ("mid_stream_drop", "no_done"):
                return cls(head, after_chunks=int(arg or 3))
            if head == "sse_error":
                style = pos[1] if len(pos) > 1 else "data_envelope"
                return cls.sse_error(arg or "server_error", int(kw.get("after", 0)), style)
            if head == "json_error_to_stream":
                return cls.json_error_to_stream(arg or "server_error")
            if head == "connection_reset":
                return cls.connection_reset()
            if head == "mangled_embeddings":
                return cls.mangled_embeddings(arg or "short")
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"bad fault name {name!r}: {exc}") from None
        raise ValueError(f"unknown fault name {name!r}")

    def __str__(self) -> str:
        return self.name
