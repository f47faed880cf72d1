"""What LlamaIndex runs cost: additional_kwargs["cost"], zzz_cost() totals through the instrumentation, budgets."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent
from llama_index.core.llms import ChatMessage

import zzz_core
from llamaindex_zzz import zzz_cost
from llamaindex_zzz.cost import ZZZCallCostEvent
from zzz_core.pricing import price_call, reset_price_cache
from zzz_testing import GatewaySimulator
from zzz_testing.answers import count_tokens

EMBED = "text-embedding-3-small"
DOCS = ["Mount Fuji last erupted in 1707.", "The Great Wall is in China.", "Tea is grown in Yunnan."]


@pytest.fixture(autouse=True)
def _fresh_prices(monkeypatch):
    monkeypatch.delenv("ZZZ_PRICES", raising=False)
    reset_price_cache()
    yield
    reset_price_cache()


class _Seen(BaseEventHandler):
    """What LlamaIndex's own events say each chat call cost (its end events carry the response)."""

    chat_costs: list[float] = []
    zzz_events: list[ZZZCallCostEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "_Seen"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, LLMChatEndEvent) and event.response is not None:
            self.chat_costs.append(event.response.additional_kwargs["cost"]["amount"])
        elif isinstance(event, ZZZCallCostEvent):
            self.zzz_events.append(event)


@pytest.fixture
def seen() -> Any:
    handler = _Seen(chat_costs=[], zzz_events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler
    root.event_handlers.remove(handler)


def embedding_cost(texts: list[str]) -> float:
    return price_call(EMBED, {"prompt_tokens": max(1, sum(count_tokens(t) for t in texts))}).amount


def ask(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# ------------------------------------------------------------------ per call
def test_chat_and_completion_responses_carry_their_cost(make_llm) -> None:
    llm = make_llm("gpt-4o-mini")
    response = llm.chat(ask("hello"))
    extra = response.additional_kwargs
    expected = extra["prompt_tokens"] * 0.15e-6 + extra["completion_tokens"] * 0.60e-6
    assert extra["cost"] == {"amount": pytest.approx(expected), "currency": "USD",
                             "source": "list price https://openai.com/api/pricing/ (2024-10-01)"}  # fmt: skip
    completion = llm.complete("hello")
    assert completion.additional_kwargs["cost"] == extra["cost"]


async def test_a_stream_ends_with_its_cost(make_llm) -> None:
    llm = make_llm("deepseek-reasoner", default_headers={"X-ZZZ-Cached-Tokens": "2"})
    last = None
    async for last in await llm.astream_chat(ask("why is the sky blue today")):  # noqa: B007
        pass
    extra = last.additional_kwargs
    assert extra["cached_tokens"] == 2 and extra["reasoning_tokens"] > 0
    expected = (extra["prompt_tokens"] - 2) * 2e-6 + 2 * 0.2e-6 + extra["completion_tokens"] * 3e-6
    assert extra["cost"]["amount"] == pytest.approx(expected) and extra["cost"]["currency"] == "CNY"
    last_sync = None
    for last_sync in llm.stream_complete("again"):  # noqa: B007
        pass
    assert last_sync.additional_kwargs["cost"]["currency"] == "CNY"


# ---------------------------------------------------------------- run totals
def test_ingestion_and_query_engine(make_llm, make_embedding, seen, sim: GatewaySimulator) -> None:
    llm, embed = make_llm("gpt-4o-mini"), make_embedding(EMBED)
    question = "When did Mount Fuji last erupt?"
    with zzz_cost() as ingest:
        index = VectorStoreIndex.from_documents([Document(text=d) for d in DOCS], embed_model=embed)
    assert ingest.total_cost == pytest.approx(embedding_cost(DOCS)) and ingest.calls == 1
    with zzz_cost() as rag:
        answer = index.as_query_engine(llm=llm).query(question)
    assert "1707" in str(answer)
    assert rag.by_model[EMBED]["calls"] == 1 and rag.by_model["gpt-4o-mini"]["calls"] == len(seen.chat_costs) == 1
    assert rag.total_cost == pytest.approx(embedding_cost([question]) + sum(seen.chat_costs))


@pytest.mark.parametrize("streaming", [False, True])
async def test_function_agent_run(make_llm, seen, streaming: bool) -> None:
    def get_weather(city: str) -> str:
        """Get the current weather of a city."""
        return f"sunny in {city}"

    def get_time(city: str) -> str:
        """Get the local time of a city."""
        return f"12:00 in {city}"

    agent = FunctionAgent(tools=[get_weather, get_time], llm=make_llm("glm-4.6"), streaming=streaming)
    with zzz_cost() as run:
        result = await agent.run("Use get_weather and get_time for Beijing.")
    assert "sunny in Beijing" in str(result) and "12:00 in Beijing" in str(result)
    assert run.calls == len(seen.chat_costs) == 2
    assert run.total_cost == pytest.approx(sum(seen.chat_costs)) and run.currency == "USD"
    assert [e.model for e in seen.zzz_events] == ["glm-4.6", "glm-4.6"]


async def test_fifty_concurrent_calls_and_blocks_that_never_mix(make_llm) -> None:
    async def block(model: str, n: int) -> tuple[Any, list[float]]:
        llm = make_llm(model)
        with zzz_cost() as run:
            responses = await asyncio.gather(*(llm.achat(ask(f"{model} {i}")) for i in range(n)))
        return run, [r.additional_kwargs["cost"]["amount"] for r in responses]

    (a, costs_a), (b, costs_b) = await asyncio.gather(block("deepseek-chat", 50), block("qwen-max", 20))
    assert set(a.by_model) == {"deepseek-chat"} and a.calls == 50 and a.total_cost == pytest.approx(sum(costs_a))
    assert set(b.by_model) == {"qwen-max"} and b.calls == 20 and b.total_cost == pytest.approx(sum(costs_b))


def test_eight_threads_each_with_its_block(make_llm) -> None:
    llm = make_llm("gpt-4o")
    runs: dict[int, Any] = {}
    costs: dict[int, list[float]] = {}

    def work(i: int) -> None:
        with zzz_cost() as run:
            costs[i] = [llm.chat(ask(f"thread {i} call {j}")).additional_kwargs["cost"]["amount"] for j in range(i + 1)]
        runs[i] = run

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, run in runs.items():
        assert run.calls == i + 1 and run.total_cost == pytest.approx(sum(costs[i]))


def test_nested_blocks(make_llm) -> None:
    llm = make_llm("gpt-4o-mini")
    with zzz_cost() as outer:
        llm.chat(ask("one"))
        with zzz_cost() as inner:
            llm.chat(ask("two"))
    assert (outer.calls, inner.calls) == (2, 1) and outer.total_cost > inner.total_cost > 0


# -------------------------------------------------------------------- budgets
async def test_budget_stops_calls_before_they_are_sent(make_llm, make_embedding, sim: GatewaySimulator) -> None:
    llm, embed = make_llm("deepseek-chat"), make_embedding(EMBED)
    with zzz_cost(max_cost=1e-9) as run:
        in_flight = await asyncio.gather(*(llm.achat(ask(f"parallel {i}")) for i in range(4)))
        before = list(sim.requests)
        with pytest.raises(zzz_core.BudgetExceededError) as info:
            await llm.achat(ask("one more"))
        with pytest.raises(zzz_core.BudgetExceededError):
            llm.stream_chat(ask("a stream"))
        with pytest.raises(zzz_core.BudgetExceededError):
            embed.get_text_embedding("not sent")
    assert run.calls == 4 and run.spent == pytest.approx(sum(r.additional_kwargs["cost"]["amount"] for r in in_flight))
    assert "CNY" in str(info.value) and not info.value.retryable
    assert sim.requests == before and sim.count("/chat/completions") == 4


def test_low_balance_warning(make_llm, sim: GatewaySimulator) -> None:
    import warnings

    from zzz_core.pricing import LowBalanceWarning

    llm = make_llm("gpt-4o-mini")
    sim.balance = 3.0
    try:
        with pytest.warns(LowBalanceWarning, match="below low_balance=5"):
            with zzz_cost(low_balance=5, balance_of=llm):
                sim.balance = 30.0  # topped up: the check at the end is quiet
        with warnings.catch_warnings():
            warnings.simplefilter("error", LowBalanceWarning)
            with zzz_cost(low_balance=5, balance_of=llm):
                llm.chat(ask("hi"))
    finally:
        sim.balance = 111.8658
