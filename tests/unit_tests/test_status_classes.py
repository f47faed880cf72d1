"""An error that arrived with an HTTP status is also ``openai``'s class for that status (issue 15, item 5).

For every status the normalizer knows, and for each kind of error it can carry, the
error is its own class *and* the class ``openai`` raises for the status; pickling and
the LangChain skin's re-typing keep both.  HTTP-200 envelopes keep their own class.
"""

from __future__ import annotations

import json
import pickle

import openai
import pytest

from zzz_core import error_map
from zzz_core import errors as E
from zzz_core.error_map import STATUS_TABLE, ErrorContext

CTX = ErrorContext(host="api.example.com", url="https://api.example.com/v1/chat/completions")

#: Every status with a row in the normalizer's table, and the 5xx it treats as server errors.
STATUSES = sorted({*STATUS_TABLE, 500, 502, 503, 504})

#: Bodies whose class the code or message decides, whatever the status.
BODIES = {
    "model_not_found": {"error": {"message": "分组 default 下模型 x 无可用渠道", "code": "model_not_found"}},
    "quota": {"error": {"message": "用户额度不足, 剩余额度: ＄0.01", "code": "insufficient_user_quota"}},
    "rate_limit": {"error": {"message": "您已达到请求数限制", "code": "rate_limit_exceeded"}},
    "context": {"error": {"message": "maximum context length is 8192 tokens", "code": "context_length_exceeded"}},
    "server": {"error": {"message": "do request failed: EOF", "code": "do_request_failed"}},
    "plain": {"error": {"message": "something", "code": ""}},
}

OPENAI_RAISES = {400: openai.BadRequestError, 401: openai.AuthenticationError, 403: openai.PermissionDeniedError,
                 404: openai.NotFoundError, 409: openai.ConflictError, 422: openai.UnprocessableEntityError,
                 429: openai.RateLimitError}  # fmt: skip


def _expected_openai_class(status: int) -> type[openai.APIStatusError]:
    """Written out from openai's ``_make_status_error`` rather than read from our table."""
    if status >= 500:
        return openai.InternalServerError
    return OPENAI_RAISES.get(status, openai.APIStatusError)


def _build(status: int, body: dict) -> E.ZZZError:
    return error_map.from_body(status, json.dumps(body, ensure_ascii=False).encode(), CTX)


@pytest.mark.parametrize("kind", sorted(BODIES))
@pytest.mark.parametrize("status", STATUSES)
def test_every_known_status_gives_openais_class_too(status: int, kind: str) -> None:
    err = _build(status, BODIES[kind])
    named = E.named_class(type(err))
    assert named in E.GATEWAY_ERRORS
    assert isinstance(err, named) and isinstance(err, _expected_openai_class(status))
    assert E.openai_class_for_status(status) is _expected_openai_class(status)
    assert type(err).__name__ == named.__name__ and type(err).__module__ == named.__module__
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is type(err) and str(clone) == str(err)
    assert isinstance(clone, _expected_openai_class(status)) and isinstance(clone, named)


def test_the_issues_examples() -> None:
    not_found = _build(503, BODIES["model_not_found"])
    assert isinstance(not_found, E.ModelNotFoundError) and isinstance(not_found, openai.InternalServerError)
    assert not not_found.retryable  # the class decides retrying, not the status
    quota = _build(403, BODIES["quota"])
    assert isinstance(quota, E.InsufficientBalanceError) and isinstance(quota, openai.PermissionDeniedError)
    throttled = _build(429, BODIES["quota"])
    assert isinstance(throttled, E.InsufficientBalanceError) and isinstance(throttled, openai.RateLimitError)
    assert not throttled.retryable


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_http_200_envelopes_keep_their_own_class(kind: str) -> None:
    err = error_map.from_payload(BODIES[kind], 200, CTX)
    assert type(err) is E.named_class(type(err))
    assert type(err) in E.GATEWAY_ERRORS


def test_twins_are_built_once_and_not_public() -> None:
    a = E.with_status_class(E.ModelNotFoundError, 503)
    assert a is E.with_status_class(E.ModelNotFoundError, 502)
    assert a is not E.ModelNotFoundError and E.named_class(a) is E.ModelNotFoundError
    assert E.with_status_class(E.ModelNotFoundError, 404) is E.ModelNotFoundError  # already NotFoundError
    assert E.with_status_class(E.ModelNotFoundError, 200) is E.ModelNotFoundError
    assert a not in E.gateway_errors()


@pytest.mark.parametrize("status", STATUSES)
def test_langchain_retyping_keeps_both_and_its_parent(status: int) -> None:
    lc = pytest.importorskip("langchain_core.exceptions")
    from langchain_zzz.errors import langchain_parents, to_langchain

    for body in BODIES.values():
        err = _build(status, body)
        named = E.named_class(type(err))
        twin = to_langchain(err)
        assert type(twin).__module__ == "langchain_zzz.errors"
        assert isinstance(twin, named) and isinstance(twin, _expected_openai_class(status))
        for parent in langchain_parents(named):
            assert isinstance(twin, parent)
        assert isinstance(twin, lc.ModelError)
        clone = pickle.loads(pickle.dumps(twin))
        assert type(clone) is type(twin) and isinstance(clone, _expected_openai_class(status))
