"""The LangChain skin's error classes: three parents each, derived from zzz_core's tree; the doc table agrees.

The expected parents are written out here on purpose: the skin derives them, and this
table is what a user reads in ``docs/errors.md``.
"""

from __future__ import annotations

import importlib.util
import pickle
import re
from pathlib import Path

import openai
import pytest

lc = pytest.importorskip("langchain_core.exceptions")

import langchain_zzz.errors as lz  # noqa: E402
from langchain_zzz import _error_boundary  # noqa: E402
from langchain_zzz.errors import LANGCHAIN_CLASSES, langchain_parents, to_langchain  # noqa: E402
from zzz_core import error_map, error_tables  # noqa: E402
from zzz_core import errors as E  # noqa: E402
from zzz_core.error_map import ErrorContext  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_LANGCHAIN_PARENTS = {
    E.AuthenticationError: (lc.ModelAuthenticationError,),
    E.PermissionDeniedError: (lc.ModelPermissionDeniedError,),
    E.InsufficientBalanceError: (lc.ModelPermissionDeniedError,),
    E.RateLimitError: (lc.ModelRateLimitError,),
    E.ModelNotFoundError: (lc.ModelNotFoundError,),
    E.EndpointNotSupportedError: (lc.ModelNotFoundError,),
    E.InvalidRequestError: (lc.ModelInvalidRequestError,),
    E.ContextLengthExceededError: (lc.ContextOverflowError, lc.ModelInvalidRequestError),
    E.ContentFilterError: (lc.ModelInvalidRequestError,),
    E.GatewayServerError: (lc.ModelAPIError,),
    E.GatewayError: (lc.ModelAPIError,),
    E.GatewayConnectionError: (lc.ModelConnectionError,),
    E.GatewayTimeoutError: (lc.ModelTimeoutError, lc.ModelConnectionError),
    E.StreamInterruptedError: (lc.ModelConnectionError,),
    E.BudgetExceededError: (lc.ModelError,),
    E.BatchAPIUnsupportedError: (lc.ModelNotFoundError,),
    E.BatchJobError: (lc.ModelAPIError,),
    E.BatchValidationError: (lc.ModelAPIError,),
    E.BatchExpiredError: (lc.ModelAPIError,),
    E.BatchCancelledError: (lc.ModelAPIError,),
    E.BatchPendingError: (lc.ModelAPIError,),
}


def make(cls):
    if cls is E.BudgetExceededError:
        err = cls(1.5, 1.0, "CNY")
        err.message = "m"  # the other classes' message, so one test reads them all
        return err
    if issubclass(cls, E.GatewayStatusError):
        return cls("m", status_code=400, url="https://x/v1", host="x", msg="m")
    return cls("m", url="https://x/v1", host="x")


def load_doc_renderer():
    spec = importlib.util.spec_from_file_location("render_errors_doc", ROOT / "scripts" / "render_errors_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render


@pytest.mark.parametrize("zcls", E.GATEWAY_ERRORS, ids=lambda c: c.__name__)
def test_each_error_has_its_three_parents(zcls):
    err = to_langchain(make(zcls))
    assert type(err) is LANGCHAIN_CLASSES[zcls] is getattr(lz, zcls.__name__)
    assert isinstance(err, zcls) and isinstance(err, openai.OpenAIError) and isinstance(err, lc.ModelError)
    assert langchain_parents(zcls) == EXPECTED_LANGCHAIN_PARENTS[zcls]
    for parent in EXPECTED_LANGCHAIN_PARENTS[zcls]:
        assert isinstance(err, parent), parent
    assert err.is_retryable == err.retryable
    assert str(err) == "m" and type(pickle.loads(pickle.dumps(err))) is type(err)


def test_budget_error_says_spent_and_limit_and_is_not_retried():
    err = to_langchain(E.BudgetExceededError(1.5, 1.0, "CNY"))
    assert isinstance(err, E.BudgetExceededError) and isinstance(err, lc.ModelError) and isinstance(err, E.ZZZError)
    assert not err.is_retryable and "spent 1.5 CNY" in str(err) and "max_cost 1 CNY" in str(err)


def test_twins_nest_like_the_core_tree():
    # except langchain_zzz.errors.InvalidRequestError also catches the twin of a context overflow.
    assert issubclass(lz.ContextLengthExceededError, lz.InvalidRequestError)
    assert issubclass(lz.GatewayTimeoutError, lz.GatewayConnectionError)


def test_every_zzz_error_is_mapped():
    assert set(LANGCHAIN_CLASSES) == set(E.GATEWAY_ERRORS) == set(EXPECTED_LANGCHAIN_PARENTS)
    assert E.gateway_errors() == E.GATEWAY_ERRORS


def test_docs_errors_md_matches_the_code():
    doc = ROOT / "docs" / "errors.md"
    assert doc.read_text(encoding="utf-8") == load_doc_renderer()(), (
        "run: python scripts/render_errors_doc.py > docs/errors.md"
    )


def test_a_new_error_class_needs_only_the_class_and_its_row(monkeypatch):
    """Adding an error class is two edits: the class in zzz_core.errors and its row in error_tables.

    The LangChain twin (with the zzz, openai and langchain_core parents) and the docs row follow."""

    class QuotaWindowError(E.RateLimitError):
        category = "quota_window"
        advice = "Wait for the gateway's quota window to reset."

    QuotaWindowError.__module__ = E.__name__
    monkeypatch.setattr(E, "QuotaWindowError", QuotaWindowError, raising=False)  # edit 1: the class
    monkeypatch.setitem(error_tables.CODE_TABLE, "quota_window_exceeded", QuotaWindowError)  # edit 2: its row

    assert QuotaWindowError in E.gateway_errors()
    err = error_map.from_body(
        429,
        b'{"error": {"code": "quota_window_exceeded", "message": "window full"}}',
        ErrorContext(host="api.example.com", url="https://api.example.com/v1/chat/completions"),
    )
    assert type(err) is QuotaWindowError

    def fail():
        raise err

    with pytest.raises(lc.ModelRateLimitError) as caught:
        _error_boundary.call(fail)
    twin = type(caught.value)
    assert twin is lz.QuotaWindowError and twin.__module__ == "langchain_zzz.errors"
    assert isinstance(caught.value, QuotaWindowError) and isinstance(caught.value, lz.RateLimitError)
    assert isinstance(caught.value, openai.RateLimitError)
    assert langchain_parents(QuotaWindowError) == (lc.ModelRateLimitError,)
    assert type(pickle.loads(pickle.dumps(caught.value))) is twin

    doc = load_doc_renderer()()
    assert re.search(r"\| `QuotaWindowError` \| `openai.RateLimitError` \| `ModelRateLimitError` \| .* Wait for", doc)
    assert "| `quota_window_exceeded` | `QuotaWindowError` |" in doc

    monkeypatch.undo()
    assert QuotaWindowError not in E.gateway_errors()
    assert "QuotaWindowError" not in load_doc_renderer()()
