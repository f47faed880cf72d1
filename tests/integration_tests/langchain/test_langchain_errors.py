"""Gateway failures through ChatZZZ: every category, every call path, the attempt count,
LangChain's retry and fallback runnables, and the key kept out of everything."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import openai
import pytest
from langchain_core import exceptions as lc
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from lc_testkit import KEY, sim_params

import zzz_core
from langchain_zzz import ChatZZZ
from langchain_zzz import errors as lz
from zzz_testing import Fault, GatewaySimulator, error_body

MAX_RETRIES = 2

# category -> (langchain_zzz class, LangChain parent, openai parent, zzz_core class, retried)
CASES: dict[str, tuple[type, type, type, type, bool]] = {
    "auth": (lz.AuthenticationError, lc.ModelAuthenticationError, openai.AuthenticationError,
             zzz_core.AuthenticationError, False),
    "permission": (lz.PermissionDeniedError, lc.ModelPermissionDeniedError, openai.PermissionDeniedError,
                   zzz_core.PermissionDeniedError, False),
    "balance": (lz.InsufficientBalanceError, lc.ModelPermissionDeniedError, openai.PermissionDeniedError,
                zzz_core.InsufficientBalanceError, False),
    "rate_limit": (lz.RateLimitError, lc.ModelRateLimitError, openai.RateLimitError, zzz_core.RateLimitError, True),
    "model_not_found": (lz.ModelNotFoundError, lc.ModelNotFoundError, openai.NotFoundError,
                        zzz_core.ModelNotFoundError, False),
    "invalid_request": (lz.InvalidRequestError, lc.ModelInvalidRequestError, openai.BadRequestError,
                        zzz_core.InvalidRequestError, False),
    "context_length": (lz.ContextLengthExceededError, lc.ContextOverflowError, openai.BadRequestError,
                       zzz_core.ContextLengthExceededError, False),
    "content_filter": (lz.ContentFilterError, lc.ModelInvalidRequestError, openai.BadRequestError,
                       zzz_core.ContentFilterError, False),
    "server_error": (lz.GatewayServerError, lc.ModelAPIError, openai.InternalServerError,
                     zzz_core.GatewayServerError, True),
    "connection": (lz.GatewayConnectionError, lc.ModelConnectionError, openai.APIConnectionError,
                   zzz_core.GatewayConnectionError, True),
    "timeout": (lz.GatewayTimeoutError, lc.ModelTimeoutError, openai.APITimeoutError,
                zzz_core.GatewayTimeoutError, True),
}  # fmt: skip


def _invoke(llm: ChatZZZ) -> Any:
    return llm.invoke("hello")


def _stream(llm: ChatZZZ) -> Any:
    return list(llm.stream("hello"))


async def _ainvoke(llm: ChatZZZ) -> Any:
    return await llm.ainvoke("hello")


async def _astream(llm: ChatZZZ) -> Any:
    return [c async for c in llm.astream("hello")]


PATHS: dict[str, Callable[[ChatZZZ], Any]] = {
    "invoke": _invoke, "stream": _stream, "ainvoke": _ainvoke, "astream": _astream,
}  # fmt: skip


async def _call(path: str, llm: ChatZZZ) -> None:
    result = PATHS[path](llm)
    if hasattr(result, "__await__"):
        await result


def _llm(sim: GatewaySimulator, category: str) -> ChatZZZ:
    """A model whose calls fail with ``category``."""
    if category == "connection":
        sim.set_down(True)
        return ChatZZZ(**sim_params(sim, model="gpt-4o-mini", max_retries=MAX_RETRIES))
    if category == "timeout":
        sim.inject(Fault.slow_first_byte(1.0), times=None)
        return ChatZZZ(**sim_params(sim, model="gpt-4o-mini", max_retries=MAX_RETRIES, timeout=0.15))
    sim.inject(Fault.error(category), times=None)
    return ChatZZZ(**sim_params(sim, model="gpt-4o-mini", max_retries=MAX_RETRIES))


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("category", list(CASES))
async def test_every_error_category_on_every_path(fresh: GatewaySimulator, category: str, path: str) -> None:
    ours, lc_parent, openai_parent, core, retried = CASES[category]
    llm = _llm(fresh, category)
    with pytest.raises(ours) as info:
        await _call(path, llm)
    exc = info.value
    assert isinstance(exc, lc_parent) and isinstance(exc, openai_parent) and isinstance(exc, core)
    assert isinstance(exc, lc.ModelError)
    assert exc.is_retryable is retried and exc.retryable is retried
    attempts = MAX_RETRIES + 1 if retried else 1
    assert exc.attempts == attempts
    if category != "connection":
        assert fresh.count("/chat/completions") == attempts  # what the gateway saw
    if category not in ("connection", "timeout"):
        gateway_msg = error_body(fresh.dialect, category, model="gpt-4o-mini")[1]["msg"]
        assert exc.msg == gateway_msg and gateway_msg in str(exc)
    assert KEY not in str(exc) and KEY not in repr(exc)


@pytest.mark.parametrize("style", ["data_envelope", "data_error_object", "event_error"])
def test_error_event_inside_a_stream(fresh: GatewaySimulator, style: str) -> None:
    fresh.inject(Fault.sse_error("balance", style=style))
    with pytest.raises(lz.InsufficientBalanceError) as info:
        list(ChatZZZ(**sim_params(fresh, model="gpt-4o-mini")).stream("hello"))
    assert isinstance(info.value, lc.ModelPermissionDeniedError) and info.value.attempts == 1


def test_a_stream_broken_after_content_is_not_retried(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.mid_stream_drop(3))
    seen: list[str] = []
    with pytest.raises(lz.StreamInterruptedError) as info:
        for chunk in ChatZZZ(**sim_params(fresh, model="gpt-4o-mini")).stream("hello there"):
            seen.append(chunk.text)
    assert isinstance(info.value, lc.ModelConnectionError)
    assert info.value.partial_content == "".join(seen) != ""
    assert fresh.count("/chat/completions") == 1


def test_balance_answered_with_http_200_envelope(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.error("balance", shape="envelope_200"))
    with pytest.raises(lc.ModelPermissionDeniedError) as info:
        ChatZZZ(**sim_params(fresh, model="gpt-4o-mini")).invoke("hello")
    assert info.value.status_code == 200 and info.value.code == 1001


def test_with_retry_recovers_from_a_rate_limit(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.rate_limit(retry_after=0), times=2)
    llm = ChatZZZ(**sim_params(fresh, model="gpt-4o-mini", max_retries=0))
    with pytest.raises(lc.ModelRateLimitError):
        llm.invoke("hello")  # zzz_core's loop does not retry with max_retries=0
    retrying = llm.with_retry(
        retry_if_exception_type=(lc.ModelRateLimitError,), wait_exponential_jitter=False, stop_after_attempt=3
    )
    assert retrying.invoke("hello").text == "This is a simulated answer to: hello"
    assert fresh.count("/chat/completions") == 3


async def test_with_retry_does_not_retry_insufficient_balance(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.error("balance"), times=None)
    llm = ChatZZZ(**sim_params(fresh, model="gpt-4o-mini"))
    retrying = llm.with_retry(retry_if_exception_type=(lc.ModelRateLimitError,), stop_after_attempt=3)
    with pytest.raises(lz.InsufficientBalanceError):
        await retrying.ainvoke("hello")
    assert fresh.count("/chat/completions") == 1


@pytest.mark.parametrize("use_async", [False, True])
async def test_with_fallbacks_moves_to_another_model_on_insufficient_balance(
    fresh: GatewaySimulator, use_async: bool
) -> None:
    fresh.inject(Fault.error("balance"), times=None, model="gpt-4o")
    primary = ChatZZZ(**sim_params(fresh, model="gpt-4o"))
    backup = ChatZZZ(**sim_params(fresh, model="deepseek-chat"))
    chain = primary.with_fallbacks([backup], exceptions_to_handle=(lc.ModelPermissionDeniedError,))
    msg = await chain.ainvoke("hello") if use_async else chain.invoke("hello")
    assert msg.response_metadata["model_name"] == "deepseek-chat"
    assert [r.body["model"] for r in fresh.requests] == ["gpt-4o", "deepseek-chat"]


# ---------------------------------------------------------------------- the key
class _Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.seen.append((serialized, kwargs))

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.seen.append((response, kwargs))

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.seen.append((repr(error), str(error), kwargs))


def test_the_key_never_shows(fresh: GatewaySimulator) -> None:
    llm = ChatZZZ(**sim_params(fresh, model="gpt-4o-mini", temperature=0.2))
    recorder = _Recorder()
    llm.invoke("hello", config={"callbacks": [recorder]})
    list(llm.stream("hello", config={"callbacks": [recorder]}))
    fresh.inject(Fault.error("auth"))
    with pytest.raises(lz.AuthenticationError) as info:
        llm.invoke("hello", config={"callbacks": [recorder]})
    shown = [
        repr(llm), str(llm), dumps(llm), str(dumpd(llm)), str(llm._get_ls_params()), str(llm.asdict()),
        str(llm._get_invocation_params()), str(recorder.seen), str(info.value), repr(info.value),
        str(pickle.loads(pickle.dumps(info.value)).__dict__), str(llm.config), repr(llm.config),
        str([r.headers for r in fresh.requests]),
    ]  # fmt: skip
    for text in shown:
        assert KEY not in text
    assert '"id": ["ZZZ_API_KEY"]' in dumps(llm)
    assert llm.api_key is not None and llm.api_key.get_secret_value() == KEY
