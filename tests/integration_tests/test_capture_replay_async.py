"""Replaying a capture through the async paths: zzz_core's, ChatZZZ's and ZZZ's (LlamaIndex), embeddings too.

The capture is made once per dialect against a live simulator with the usual failures set up
(as in ``test_capture_replay.py``, plus OpenAI's 400 for an oversized ``max_tokens``).  The
replay must answer every async call as the recorded probes say, and the deliberate-failure
probes must raise the same typed errors as the live gateway did: zzz_core's class, ``openai``'s
class for the status and, in LangChain, the ``langchain_core`` ``Model*Error``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import langchain_core.exceptions as lc
import openai
import pytest

from zzz_cli import main
from zzz_core import errors as E
from zzz_core.gateway import Gateway
from zzz_testing import GatewaySimulator
from zzz_testing.replay import load_capture

pytestmark = [
    pytest.mark.filterwarnings("ignore:could not read the gateway's prices"),
    pytest.mark.filterwarnings("ignore::zzz_core.pricing.PricingWarning"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

KEY = "sk-zkR8t2Vq9LmX4cNb7Hs1Pd6Wf3Jk5Gy0Ae"
BAD_KEY = "sk-zzz-capture-deliberately-invalid-key-0000"
PRESET = {"zhizengzeng": "zhizengzeng", "newapi": "4z"}
MODEL = "gpt-4o-mini"
NO_SUCH_MODEL = "zzz-capture-no-such-model"
HI = "Reply with the single word OK."
_ENV = ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS", "OPENAI_API_KEY", "OPENAI_BASE_URL")


class Captured:
    """One dialect's capture file, its probes by name, the live simulator it came from and its replay."""

    def __init__(self, dialect: str, path: Path, live: GatewaySimulator, replay: GatewaySimulator) -> None:
        self.dialect, self.path, self.live, self.replay = dialect, path, live, replay
        self.probes = {p["name"]: p for p in load_capture(path)["probes"]}

    def recorded_content(self) -> str:
        return self.probes["chat"]["body"]["choices"][0]["message"]["content"]

    def recorded_stream(self) -> str:
        deltas = [json.loads(e) for e in self.probes["stream"]["sse"] if e != "[DONE]"]
        return "".join(d["choices"][0]["delta"].get("content") or "" for d in deltas if d["choices"])

    def recorded_vector(self) -> list[float]:
        return self.probes["embedding"]["body"]["data"][0]["embedding"]

    @property
    def embedding_model(self) -> str:
        return self.probes["embedding"]["request"]["body"]["model"]

    def settings(self, target: GatewaySimulator) -> dict[str, Any]:
        return {"base_url": target.base_url, "gateway": PRESET[self.dialect], "max_retries": 0}


@pytest.fixture(scope="module", params=["zhizengzeng", "newapi"])
def cap(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captured]:
    """A capture made once per dialect (the CLI, as a user runs it), with the live simulator still up."""
    dialect = request.param
    out = tmp_path_factory.mktemp("capture") / f"capture-{dialect}.json"
    live = GatewaySimulator(dialect, api_keys=[KEY])
    live.inject("model_not_found", times=None, model=NO_SUCH_MODEL)
    live.reject(MODEL, "parallel_tool_calls", "max_tokens_too_large")
    with live, pytest.MonkeyPatch.context() as mp:
        for var in _ENV:
            mp.delenv(var, raising=False)
        mp.setenv("ZZZ_API_KEY", KEY)
        assert main(["--base-url", live.base_url, "--gateway", PRESET[dialect], "capture", "-o", str(out)]) == 0
        with GatewaySimulator(dialect, replay=out, api_keys=[KEY]) as replay:
            yield Captured(dialect, out, live, replay)


# ------------------------------------------------------------------ zzz_core
def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": HI}], "max_tokens": 16, **extra}


async def test_async_gateway_answers_as_recorded(cap: Captured) -> None:
    async with Gateway.from_settings(api_key=KEY, **cap.settings(cap.replay)) as gw:
        result = await gw.achat(_chat())
        assert result.choices[0].content == cap.recorded_content()
        stream = gw.achat_stream(_chat())
        streamed = "".join([c.content async for c in stream])
        assert streamed == cap.recorded_stream() and stream.result().choices[0].content == streamed
        models = [m.id for m in await gw.amodels()]
        assert models == [m["id"] for m in cap.probes["models"]["body"]["data"] if isinstance(m, dict)]
        embedded = await gw.aembed({"model": cap.embedding_model, "input": ["hello"]})
        assert embedded.vectors[0] == pytest.approx(cap.recorded_vector())


async def _gateway_errors(cap: Captured, target: GatewaySimulator) -> list[tuple[type, int | None]]:
    calls = [
        (KEY, _chat(model=NO_SUCH_MODEL), False),
        (BAD_KEY, _chat(), False),
        (BAD_KEY, _chat(), True),  # a stream's failure is raised from its first iteration
        (KEY, _chat(max_tokens=10_000_000), False),
        (KEY, {"model": MODEL, "messages": [], "max_tokens": 16}, False),
    ]
    out = []
    for key, body, streamed in calls:
        async with Gateway.from_settings(api_key=key, **cap.settings(target)) as gw:
            with pytest.raises(E.ZZZError) as info:
                if streamed:
                    async for _ in gw.achat_stream(body):
                        pass
                else:
                    await gw.achat(body)
        out.append((type(info.value), getattr(info.value, "status_code", None)))
    return out


async def test_async_gateway_failure_probes_raise_the_live_typed_errors(cap: Captured) -> None:
    replayed = await _gateway_errors(cap, cap.replay)
    assert replayed == await _gateway_errors(cap, cap.live)
    classes = [c for c, _ in replayed]
    # each class is zzz_core's named class, or its twin that is also openai's class for the status
    assert [E.named_class(c) for c in classes[:3]] == [
        E.ModelNotFoundError,
        E.AuthenticationError,
        E.AuthenticationError,
    ]
    assert E.named_class(classes[3]) is E.named_class(classes[4]) is E.InvalidRequestError
    assert [s for _, s in replayed] == [cap.probes["unknown_model"]["status"], 401, 401, 400, 400]
    assert issubclass(classes[1], openai.AuthenticationError) and issubclass(classes[3], openai.BadRequestError)


async def test_async_negotiation_resends_without_the_rejected_parameter(cap: Captured) -> None:
    """The unsupported-parameter probe's 400 makes zzz_core resend without it: the resend is the chat probe."""
    cap.replay.clear_requests()
    async with Gateway.from_settings(api_key=KEY, **cap.settings(cap.replay)) as gw:
        result = await gw.achat(_chat(parallel_tool_calls=True))
    assert result.choices[0].content == cap.recorded_content()
    assert [("parallel_tool_calls" in r.body) for r in cap.replay.requests] == [True, False]


# ----------------------------------------------------------------- LangChain
async def test_langchain_ainvoke_and_astream_replay(cap: Captured) -> None:
    from langchain_core.messages import HumanMessage

    from langchain_zzz import ChatZZZ

    llm = ChatZZZ(model=MODEL, api_key=KEY, max_tokens=16, **cap.settings(cap.replay))
    answer = await llm.ainvoke([HumanMessage(HI)])
    assert answer.content == cap.recorded_content()
    streamed = "".join([str(c.content) async for c in llm.astream([HumanMessage(HI)])])
    assert streamed == cap.recorded_stream()


async def _langchain_errors(cap: Captured, target: GatewaySimulator) -> list[type]:
    from langchain_zzz import ChatZZZ

    cases = [(NO_SUCH_MODEL, KEY, 16, False), (MODEL, BAD_KEY, 16, False), (MODEL, BAD_KEY, 16, True),
             (MODEL, KEY, 10_000_000, False)]  # fmt: skip
    out = []
    for model, key, max_tokens, streamed in cases:
        llm = ChatZZZ(model=model, api_key=key, max_tokens=max_tokens, **cap.settings(target))
        with pytest.raises(lc.ModelError) as info:
            if streamed:
                async for _ in llm.astream(HI):
                    pass
            else:
                await llm.ainvoke(HI)
        assert isinstance(info.value, E.ZZZError)
        out.append(type(info.value))
    return out


async def test_langchain_async_failure_probes_raise_typed_errors(cap: Captured) -> None:
    replayed = await _langchain_errors(cap, cap.replay)
    assert replayed == await _langchain_errors(cap, cap.live)
    assert issubclass(replayed[0], E.ModelNotFoundError)
    for cls in replayed[1:3]:
        assert issubclass(cls, E.AuthenticationError)
        assert issubclass(cls, openai.AuthenticationError) and issubclass(cls, lc.ModelAuthenticationError)
    assert issubclass(replayed[3], E.InvalidRequestError) and issubclass(replayed[3], openai.BadRequestError)
    assert issubclass(replayed[3], lc.ModelInvalidRequestError)


async def test_langchain_async_embeddings_replay(cap: Captured) -> None:
    from langchain_zzz import ZZZEmbeddings

    emb = ZZZEmbeddings(model=cap.embedding_model, api_key=KEY, **cap.settings(cap.replay))
    assert await emb.aembed_query("hello") == pytest.approx(cap.recorded_vector())
    assert await emb.aembed_documents(["hello"]) == [pytest.approx(cap.recorded_vector())]
    bad = ZZZEmbeddings(model=cap.embedding_model, api_key=BAD_KEY, **cap.settings(cap.replay))
    with pytest.raises(E.AuthenticationError) as info:
        await bad.aembed_query("hello")
    assert isinstance(info.value, openai.AuthenticationError) and isinstance(info.value, lc.ModelAuthenticationError)


# ---------------------------------------------------------------- LlamaIndex
async def test_llamaindex_achat_and_astream_chat_replay(cap: Captured) -> None:
    from llama_index.core.llms import ChatMessage

    from llamaindex_zzz import ZZZ

    llm = ZZZ(model=MODEL, api_key=KEY, max_tokens=16, **cap.settings(cap.replay))
    answer = await llm.achat([ChatMessage(role="user", content=HI)])
    assert answer.message.content == cap.recorded_content()
    last = None
    async for last in await llm.astream_chat([ChatMessage(role="user", content=HI)]):  # noqa: B007
        pass
    assert last is not None and last.message.content == cap.recorded_stream()


async def _llamaindex_errors(cap: Captured, target: GatewaySimulator) -> list[type]:
    from llama_index.core.llms import ChatMessage

    from llamaindex_zzz import ZZZ

    cases = [(NO_SUCH_MODEL, KEY, 16, False), (MODEL, BAD_KEY, 16, False), (MODEL, BAD_KEY, 16, True),
             (MODEL, KEY, 10_000_000, False)]  # fmt: skip
    out = []
    for model, key, max_tokens, streamed in cases:
        llm = ZZZ(model=model, api_key=key, max_tokens=max_tokens, **cap.settings(target))
        messages = [ChatMessage(role="user", content=HI)]
        with pytest.raises(E.ZZZError) as info:
            if streamed:
                async for _ in await llm.astream_chat(messages):
                    pass
            else:
                await llm.achat(messages)
        out.append(type(info.value))
    return out


async def test_llamaindex_async_failure_probes_raise_typed_errors(cap: Captured) -> None:
    replayed = await _llamaindex_errors(cap, cap.replay)
    assert replayed == await _llamaindex_errors(cap, cap.live)
    named = [E.named_class(c) for c in replayed]
    assert named == [E.ModelNotFoundError, E.AuthenticationError, E.AuthenticationError, E.InvalidRequestError]


async def test_llamaindex_async_embeddings_replay(cap: Captured) -> None:
    from llamaindex_zzz import ZZZEmbedding

    emb = ZZZEmbedding(model_name=cap.embedding_model, api_key=KEY, **cap.settings(cap.replay))
    assert await emb.aget_query_embedding("hello") == pytest.approx(cap.recorded_vector())
    assert await emb.aget_text_embedding_batch(["hello"]) == [pytest.approx(cap.recorded_vector())]
    bad = ZZZEmbedding(model_name=cap.embedding_model, api_key=BAD_KEY, **cap.settings(cap.replay))
    with pytest.raises(E.AuthenticationError):
        await bad.aget_text_embedding("hello")
