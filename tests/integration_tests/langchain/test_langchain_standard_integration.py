"""langchain-tests' standard integration suites for ChatZZZ and ZZZEmbeddings.

Two pairs of classes run the same suites: against the gateway simulator (always;
127.0.0.1 only) and against the real gateway (only when ``ZZZ_API_KEY`` is set;
models from ``ZZZ_TEST_CHAT_MODEL``, ``ZZZ_TEST_REASONING_MODEL``,
``ZZZ_TEST_EMBED_MODEL``).

Standard tests that do not run, and why:

* ``test_audio_inputs`` -- skipped: the model under test (gpt-4o-mini) takes no
  audio.  ChatZZZ sends LangChain audio blocks as ``input_audio`` parts (for
  gpt-4o-audio models), which the simulator cannot tell apart from text.
* ``test_video_inputs`` is not a standard test in langchain-tests 1.1.9; Chat
  Completions has no video input anyway (``supports_video_inputs`` is False).
* ``test_stream_time`` -- skipped ("VCR not set up"): vcrpy does not intercept
  httpx2, the transport of openai 3.x, so there is no cassette to replay.
* ``test_serdes`` is a unit test (see tests/unit_tests/langchain).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests
from lc_testkit import sim_params

from langchain_zzz import ChatZZZ, ZZZEmbeddings
from zzz_testing import GatewaySimulator

LIVE = bool(os.environ.get("ZZZ_API_KEY"))
live = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE, reason="talks to the real gateway; set ZZZ_API_KEY to run"),
]


class _Sim:
    """Where the module's simulator listens (set by the fixture below)."""

    sim: GatewaySimulator | None = None


@pytest.fixture(scope="module", autouse=True)
def _module_sim(sim: GatewaySimulator) -> Iterator[None]:
    _Sim.sim = sim
    yield
    _Sim.sim = None


def _sim_params(**extra: Any) -> dict[str, Any]:
    assert _Sim.sim is not None, "the module simulator is not running"
    return sim_params(_Sim.sim, **extra)


def _invoke(llm: BaseChatModel, text: str, stream: bool) -> AIMessage:
    if not stream:
        return llm.invoke(text)  # type: ignore[return-value]
    full = None
    for chunk in llm.stream(text):
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessage)
    return full


class _ChatZZZStandard(ChatModelIntegrationTests):
    """The capabilities ChatZZZ has (set truthfully; see the module docstring for what is off)."""

    reasoning_model = "deepseek-reasoner"

    @property
    def chat_model_class(self) -> type[ChatZZZ]:
        return ChatZZZ

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str | None:
        return "gpt-4o"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        details = ["reasoning_output", "cache_read_input"]
        return {"invoke": details, "stream": details}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = ChatZZZ(**{**self.chat_model_params, "model": self.reasoning_model})
        return _invoke(llm, "Why is the sky blue? Think first.", stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        llm = ChatZZZ(**self.chat_model_params)
        return _invoke(llm, "Summarise the rules of go. " * 200, stream)


class TestChatZZZSimulator(_ChatZZZStandard):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _sim_params(model="gpt-4o-mini")


@pytest.mark.live
@pytest.mark.skipif(not LIVE, reason="talks to the real gateway; set ZZZ_API_KEY to run")
class TestChatZZZLive(_ChatZZZStandard):
    reasoning_model = os.environ.get("ZZZ_TEST_REASONING_MODEL", "deepseek-reasoner")

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": os.environ.get("ZZZ_TEST_CHAT_MODEL", "gpt-4o-mini")}


class TestZZZEmbeddingsSimulator(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[ZZZEmbeddings]:
        return ZZZEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return _sim_params(model="text-embedding-3-small")


@pytest.mark.live
@pytest.mark.skipif(not LIVE, reason="talks to the real gateway; set ZZZ_API_KEY to run")
class TestZZZEmbeddingsLive(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[ZZZEmbeddings]:
        return ZZZEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": os.environ.get("ZZZ_TEST_EMBED_MODEL", "text-embedding-3-small")}
