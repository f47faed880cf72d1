"""The one normalizer: every documented gateway failure shape -> the right class.

Bodies are the gateways' real texts (see ../shared/gateway-facts.md): new-api and
one-api error objects with their request-id suffix, 智增增's code/msg envelope,
nginx HTML pages, empty bodies.
"""

from __future__ import annotations

import json
import pickle

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core import error_map
from zzz_core import errors as E
from zzz_core.error_map import ErrorContext

KEY = "sk-zkSECRETSECRETSECRET0123456789abcdef"


def ctx(**kw):
    base = dict(host="api.example.com", url="https://api.example.com/v1/chat/completions", secrets=(KEY,))
    base.update(kw)
    return ErrorContext(**base)


def body(status, payload):
    return error_map.from_body(status, json.dumps(payload, ensure_ascii=False).encode(), ctx())


# (status, body, expected class, expected openai parent)
NEWAPI_CASES = [
    (401, {"error": {"message": "无效的令牌 (request id: 20250101abc)", "type": "new_api_error", "code": ""}}, E.AuthenticationError, openai.AuthenticationError),
    (401, {"error": {"message": "该令牌已过期", "type": "one_api_error"}}, E.AuthenticationError, openai.AuthenticationError),
    (401, {"error": {"message": "该令牌额度已用尽 (request id: x1)", "type": "new_api_error", "code": ""}}, E.InsufficientBalanceError, openai.PermissionDeniedError),
    (403, {"error": {"message": "该令牌额度已用尽", "type": "new_api_error", "code": "pre_consume_token_quota_failed"}}, E.InsufficientBalanceError, openai.PermissionDeniedError),
    (403, {"error": {"message": "用户额度不足, 剩余额度: ＄0.012345 (request id: r2)", "type": "new_api_error", "code": "insufficient_user_quota"}}, E.InsufficientBalanceError, openai.PermissionDeniedError),
    (400, {"error": {"message": "insufficient user quota", "type": "upstream_error"}}, E.InsufficientBalanceError, openai.PermissionDeniedError),
    (403, {"error": {"message": "该令牌无权使用模型：gpt-4o", "type": "one_api_error"}}, E.PermissionDeniedError, openai.PermissionDeniedError),
    (503, {"error": {"message": "分组 default 下模型 gpt-9 无可用渠道（distributor） (request id: r3)", "type": "new_api_error", "code": "model_not_found"}}, E.ModelNotFoundError, openai.NotFoundError),
    (503, {"error": {"message": "当前分组 default 下对于模型 gpt-9 无可用渠道", "type": "one_api_error"}}, E.ModelNotFoundError, openai.NotFoundError),
    (429, {"error": {"message": "您已达到请求数限制：1分钟内最多请求60次", "type": "new_api_error", "code": "rate_limit_exceeded"}}, E.RateLimitError, openai.RateLimitError),
    (429, {"error": {"message": "当前分组上游负载已饱和，请稍后再试", "type": "one_api_error"}}, E.RateLimitError, openai.RateLimitError),
    (400, {"error": {"message": "sensitive words detected", "type": "new_api_error", "code": "sensitive_words_detected"}}, E.ContentFilterError, openai.BadRequestError),
    (500, {"error": {"message": "do request failed: EOF", "type": "new_api_error", "code": "do_request_failed"}}, E.GatewayServerError, openai.InternalServerError),
    (500, {"error": {"message": "bad response body", "type": "new_api_error", "code": "bad_response_body"}}, E.GatewayServerError, openai.InternalServerError),
    (500, {"error": {"message": "empty response", "type": "new_api_error", "code": "empty_response"}}, E.GatewayServerError, openai.InternalServerError),
    (404, {"error": {"message": "Invalid URL (POST /v1/chat/completion)", "type": "invalid_request_error", "code": ""}}, E.InvalidRequestError, openai.BadRequestError),
    (400, {"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}}, E.ContextLengthExceededError, openai.BadRequestError),
    (400, {"error": {"message": "Invalid parameter: messages", "type": "invalid_request_error", "param": "messages"}}, E.InvalidRequestError, openai.BadRequestError),
    (401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}, E.AuthenticationError, openai.AuthenticationError),
]


@pytest.mark.parametrize("status,payload,cls,parent", NEWAPI_CASES)
def test_newapi_error_objects(status, payload, cls, parent):
    err = body(status, payload)
    assert E.named_class(type(err)) is cls
    assert isinstance(err, parent) and isinstance(err, E.ZZZError) and isinstance(err, openai.APIStatusError)
    assert isinstance(err, E.openai_class_for_status(status))  # also what openai raises for this status
    assert err.status_code == status
    assert err.msg and "(request id" not in err.msg
    assert err.msg in str(err)


def test_request_id_is_stripped_into_its_own_field():
    err = body(401, {"error": {"message": "无效的令牌 (request id: 2025abc)", "type": "new_api_error", "code": ""}})
    assert err.request_id == "2025abc"
    assert err.msg == "无效的令牌"


ENVELOPE_CASES = [
    ({"code": 1001, "msg": "余额不足，请充值后再试"}, E.InsufficientBalanceError),
    ({"code": 1002, "msg": "API key 无效"}, E.AuthenticationError),
    ({"code": 1003, "msg": "请求过于频繁，请稍后再试"}, E.RateLimitError),
    ({"code": 1004, "msg": "模型不存在: gpt-9"}, E.ModelNotFoundError),
    ({"code": 1005, "msg": "参数错误：messages 必须是数组"}, E.InvalidRequestError),
    ({"code": 1006, "msg": "上下文长度超过模型最大限制"}, E.ContextLengthExceededError),
    ({"code": 1007, "msg": "内容包含敏感词，请修改后重试"}, E.ContentFilterError),
    ({"code": 1008, "msg": "服务器内部错误"}, E.GatewayServerError),
    ({"code": 1009, "msg": "无权访问该模型"}, E.PermissionDeniedError),
    ({"code": 4242, "msg": "未知错误"}, E.GatewayError),
    ({"code": "E77", "msg": "something new"}, E.GatewayError),
]


@pytest.mark.parametrize("payload,cls", ENVELOPE_CASES)
def test_envelope_with_http_200(payload, cls):
    assert error_map.is_error_payload({**payload, "choices": None} if False else payload)
    err = body(200, payload)
    assert type(err) is cls
    assert err.code == payload["code"]
    assert err.msg == payload["msg"]
    assert err.status_code == 200


@pytest.mark.parametrize("payload,cls", ENVELOPE_CASES[:3])
def test_envelope_with_http_status(payload, cls):
    status = {E.InsufficientBalanceError: 402, E.AuthenticationError: 401, E.RateLimitError: 429}[cls]
    err = body(status, payload)
    assert type(err) is cls and err.status_code == status


def test_success_envelope_is_not_an_error():
    assert not error_map.is_error_payload({"code": 0, "msg": "ok", "choices": []})
    assert not error_map.is_error_payload({"code": 0, "msg": "", "id": "", "choices": [{}]})
    assert not error_map.is_error_payload({"id": "x", "choices": []})
    assert error_map.is_error_payload({"error": {"message": "x"}})
    assert error_map.is_error_payload({"code": 1001, "msg": "余额不足"})
    assert error_map.is_error_payload(["not", "a", "dict"])


@pytest.mark.parametrize("status", [502, 504])
def test_nginx_html_is_a_retryable_server_error(status):
    html = f"<html><head><title>{status} Bad Gateway</title></head><body><center>nginx</center></body></html>"
    err = error_map.from_body(status, html.encode(), ctx())
    assert type(err) is E.GatewayServerError and err.retryable
    assert f"{status} Bad Gateway" in str(err)
    assert isinstance(err, openai.InternalServerError)


def test_empty_body():
    assert type(error_map.from_body(502, b"", ctx())) is E.GatewayServerError
    assert type(error_map.from_body(200, b"", ctx())) is E.GatewayServerError


def test_html_with_200_points_at_base_url():
    err = error_map.from_body(200, b"<html><title>Welcome</title></html>", ctx())
    assert "base_url" in str(err) and not err.retryable


RETRYABLE = {E.RateLimitError, E.GatewayServerError}


@pytest.mark.parametrize("status,payload,cls,parent", NEWAPI_CASES)
def test_retryable_flag_follows_the_policy(status, payload, cls, parent):
    err = body(status, payload)
    assert err.retryable == (cls in RETRYABLE)


def test_model_not_found_503_is_not_retried():
    err = body(503, {"error": {"message": "分组 default 下模型 x 无可用渠道（distributor）", "code": "model_not_found"}})
    assert not err.retryable


def test_retry_after_is_read():
    c = ctx(headers={"retry-after": "3"})
    err = error_map.from_body(429, json.dumps({"error": {"message": "rate limit"}}).encode(), c)
    assert err.retry_after == 3.0
    c = ctx(headers={"retry-after-ms": "1500"})
    err = error_map.from_body(429, b'{"error": {"message": "slow down"}}', c)
    assert err.retry_after == 1.5


def test_key_is_redacted_everywhere():
    payload = {"error": {"message": f"无效的令牌 {KEY} (request id: z)", "code": ""}}
    err = body(401, payload)
    for text in (str(err), repr(err), err.msg, err.body_excerpt, json.dumps(err.body, ensure_ascii=False)):
        assert KEY not in text
    assert KEY not in repr(pickle.loads(pickle.dumps(err)).__dict__)
    # the request kept on the exception has no Authorization header
    assert "authorization" not in {k.lower() for k in err.request.headers}


def test_openai_key_hint_on_auth_failure():
    c = ctx(key_hint="the key looks like an OpenAI key (sk-proj-…/sk-…)")
    err = error_map.from_body(401, b'{"error": {"message": "invalid api key"}}', c)
    assert "OpenAI key" in str(err)


def test_message_says_what_to_do():
    err = body(200, {"code": 1001, "msg": "余额不足"})
    assert "余额不足" in str(err) and "top up" in str(err) and "Retrying will not help" in str(err)


def test_transport_errors():
    err = error_map.from_transport(ConnectionRefusedError("[Errno 111] Connection refused"), ctx(), timed_out=False)
    assert type(err) is E.GatewayConnectionError and err.retryable and isinstance(err, openai.APIConnectionError)
    err = error_map.from_transport(TimeoutError("read timed out"), ctx(), timed_out=True)
    assert type(err) is E.GatewayTimeoutError and isinstance(err, openai.APITimeoutError)


def test_interrupted_stream_keeps_partial_text():
    err = error_map.interrupted(ctx(), delivered=True, partial="Hello wor", reason="connection broke")
    assert err.partial_content == "Hello wor" and not err.retryable
    err = error_map.interrupted(ctx(), delivered=False, partial="", reason="no [DONE]")
    assert err.retryable


def test_every_documented_code_has_a_row():
    documented = {
        "insufficient_user_quota", "pre_consume_token_quota_failed", "model_not_found", "rate_limit_exceeded",
        "sensitive_words_detected", "do_request_failed", "bad_response_body", "empty_response",
        "read_response_body_failed", "context_length_exceeded", "prompt_blocked", "api_not_implemented",
    }
    assert documented <= set(error_map.CODE_TABLE)


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from([200, 400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 501, 502, 503, 504, 599]),
    raw=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
            lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["error", "code", "msg", "message", "type", "detail", "x"]), children, max_size=4),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_body_any_status_is_a_typed_error(status, raw):
    err = error_map.from_body(status, raw, ctx())
    assert isinstance(err, E.ZZZError)
    str(err), repr(err)


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "invalid encoding format: base64", True),
        (400, "Unsupported parameter: 'encoding_format'", True),
        (400, "input must be a list of strings", False),
        (429, "encoding queue is full", False),  # not a refusal of the request's parameters
    ],
)
def test_rejects_parameter_is_a_named_decision(status, message, expected):
    err = error_map.from_body(status, json.dumps({"error": {"message": message}}).encode(), ctx())
    assert error_map.rejects_parameter(err, "encoding_format") is expected
