"""The LangChain skin's error classes: three parents each, and the doc table agrees."""

from __future__ import annotations

import pickle

import openai
import pytest

lc = pytest.importorskip("langchain_core.exceptions")

from langchain_zzz.errors import LANGCHAIN_CLASSES, to_langchain  # noqa: E402
from zzz_core import errors as E  # noqa: E402
from zzz_core._error_docs import _LANGCHAIN_PARENT  # noqa: E402


def make(cls):
    if issubclass(cls, E.GatewayStatusError):
        return cls("m", status_code=400, url="https://x/v1", host="x", msg="m")
    return cls("m", url="https://x/v1", host="x")


@pytest.mark.parametrize("zcls", E.GATEWAY_ERRORS, ids=lambda c: c.__name__)
def test_each_error_has_its_three_parents(zcls):
    err = to_langchain(make(zcls))
    assert type(err) is LANGCHAIN_CLASSES[zcls]
    assert isinstance(err, zcls) and isinstance(err, openai.OpenAIError) and isinstance(err, lc.ModelError)
    for name in _LANGCHAIN_PARENT[zcls.__name__].split(", "):
        assert isinstance(err, getattr(lc, name)), name
    assert err.is_retryable == err.retryable
    assert str(err) == "m" and repr(pickle.loads(pickle.dumps(err)))


def test_every_zzz_error_is_mapped():
    assert set(LANGCHAIN_CLASSES) == set(E.GATEWAY_ERRORS) == {getattr(E, n) for n in _LANGCHAIN_PARENT}
