"""The normalizer's tables: what a gateway's code, message or status means (data, no logic).

:mod:`zzz_core.error_map` reads them in this order, because relays are inconsistent
about statuses while their codes and texts are stable: ``CODE_TABLE``, then
``MESSAGE_TABLE``, then ``STATUS_TABLE``, then ``WEAK_MESSAGE_TABLE`` (only when the
status says nothing).  ``OPTIONAL_ENDPOINTS`` and ``OPTIONAL_ROUTES`` name the routes
a gateway may lack altogether.  A new error class gets its row here;
``scripts/render_errors_doc.py`` writes ``docs/errors.md`` from these tables.
"""

from __future__ import annotations

import re

from . import errors as E

__all__ = [
    "CODE_TABLE",
    "MESSAGE_TABLE",
    "OPTIONAL_ENDPOINTS",
    "OPTIONAL_ROUTES",
    "STATUS_TABLE",
    "UNSUPPORTED_STATUSES",
    "WEAK_MESSAGE_TABLE",
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
    "invalid_value": E.InvalidRequestError,  # OpenAI: "max_tokens is too large: …" (param max_tokens)
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
        (r"参数|格式错误|不能为空|必须|invalid|required|must be|must start with|missing", E.InvalidRequestError),
        (r"服务器|内部错误|繁忙|上游|超时|internal|upstream|busy|unavailable|timeout", E.GatewayServerError),
    )
)
