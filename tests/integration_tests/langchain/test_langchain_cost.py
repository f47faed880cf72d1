"""What LangChain runs cost: per-call cost on messages, zzz_cost() run totals and budgets, on the simulator."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import warnings
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.exceptions import ModelError
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import tool
from langchain_core.tracers.base import BaseTracer
from langchain_core.vectorstores import InMemoryVectorStore
from lc_testkit import sim_params

import zzz_core
from langchain_zzz import ChatZZZ, ZZZEmbeddings, zzz_cost
from zzz_core.pricing import PricingWarning, price_call, reset_price_cache
from zzz_testing import GatewaySimulator
from zzz_testing.answers import count_tokens

EMBED = "text-embedding-3-small"


@pytest.fixture(autouse=True)
def _fresh_prices(monkeypatch):
    monkeypatch.delenv("ZZZ_PRICES", raising=False)
    monkeypatch.delenv("ZZZ_PRICE_GROUP", raising=False)
    reset_price_cache()
    yield
    reset_price_cache()


@tool
def get_weather(city: str) -> str:
    """Get the current weather of a city."""
    return f"sunny in {city}"


@tool
def get_time(city: str) -> str:
    """Get the local time of a city."""
    return f"12:00 in {city}"


def chat(sim: GatewaySimulator, model: str = "gpt-4o-mini", **kwargs: Any) -> ChatZZZ:
    return ChatZZZ(**sim_params(sim, model=model, **kwargs))


def cost(message: Any) -> float:
    return message.response_metadata["cost"]["amount"]


def embedding_cost(texts: list[str]) -> float:
    """What the simulator's usage for one embeddings request of ``texts`` costs, computed apart."""
    return price_call(EMBED, {"prompt_tokens": max(1, sum(count_tokens(t) for t in texts))}).amount


# ------------------------------------------------------------------ per call
def test_each_message_carries_its_cost(fresh: GatewaySimulator) -> None:
    msg = chat(fresh).invoke("hello")
    usage = msg.usage_metadata
    expected = usage["input_tokens"] * 0.15e-6 + usage["output_tokens"] * 0.60e-6  # gpt-4o-mini list price
    assert msg.response_metadata["cost"] == {
        "amount": pytest.approx(expected),
        "currency": "USD",
        "source": "list price https://openai.com/api/pricing/ (2024-10-01)",
    }


def test_a_stream_puts_the_cost_on_the_usage_chunk(fresh: GatewaySimulator) -> None:
    chunks = list(chat(fresh).stream("tell me a story about costs"))
    with_cost = [c for c in chunks if "cost" in c.response_metadata]
    assert len(with_cost) == 1 and with_cost[0].usage_metadata is not None
    full = chunks[0]
    for c in chunks[1:]:
        full += c
    assert full.response_metadata["cost"] == with_cost[0].response_metadata["cost"]


def test_cached_and_reasoning_tokens_are_priced(fresh: GatewaySimulator) -> None:
    llm = chat(fresh, "deepseek-reasoner", default_headers={"X-ZZZ-Cached-Tokens": "3"})
    msg = llm.invoke("why is the sky blue on a clear day")
    u = msg.usage_metadata
    assert u["input_token_details"]["cache_read"] == 3 and u["output_token_details"]["reasoning"] > 0
    expected = (u["input_tokens"] - 3) * 2e-6 + 3 * 0.2e-6 + u["output_tokens"] * 3e-6  # CNY list price
    assert cost(msg) == pytest.approx(expected) and msg.response_metadata["cost"]["currency"] == "CNY"


def test_object_prices_override_the_list_price(fresh: GatewaySimulator) -> None:
    prices = {"gpt-4o-*": {"input": 1, "output": 2, "currency": "CNY"}}
    msg = chat(fresh, prices=prices).invoke("hello")
    u = msg.usage_metadata
    assert msg.response_metadata["cost"]["source"] == "prices="
    assert cost(msg) == pytest.approx(u["input_tokens"] * 1e-6 + u["output_tokens"] * 2e-6)


def test_an_unpriced_model_has_no_cost_and_one_warning(fresh: GatewaySimulator) -> None:
    llm = chat(fresh, "kimi-k2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with zzz_cost() as cb:
            first, second = llm.invoke("hi"), llm.invoke("hi again")
    assert "cost" not in first.response_metadata and "cost" not in second.response_metadata
    assert [str(w.message) for w in caught if issubclass(w.category, PricingWarning)][0].count("kimi-k2") == 2
    assert len([w for w in caught if issubclass(w.category, PricingWarning)]) == 1
    assert cb.by_model["kimi-k2"]["unpriced_calls"] == 2 and cb.total_cost == 0.0 and cb.total_tokens > 0


# ---------------------------------------------------------------- run totals
def test_agent_with_parallel_tool_calls(fresh: GatewaySimulator) -> None:
    agent = create_agent(chat(fresh), tools=[get_weather, get_time])
    with zzz_cost() as cb:
        state = agent.invoke({"messages": [HumanMessage("Use get_weather and get_time for Beijing.")]})
    ai = [m for m in state["messages"] if isinstance(m, AIMessage)]
    assert len(ai[0].tool_calls) == 2 and len([m for m in state["messages"] if isinstance(m, ToolMessage)]) == 2
    assert cb.calls == len(ai) == fresh.count("/chat/completions") == 2
    assert cb.total_cost == pytest.approx(sum(cost(m) for m in ai)) and cb.currency == "USD"
    assert cb.total_tokens == sum(m.usage_metadata["total_tokens"] for m in ai)
    assert cb.by_model["gpt-4o-mini"]["calls"] == 2


async def test_async_agent_with_parallel_tool_calls(fresh: GatewaySimulator) -> None:
    agent = create_agent(chat(fresh, "glm-4.6"), tools=[get_weather, get_time])
    with zzz_cost() as cb:
        state = await agent.ainvoke({"messages": [HumanMessage("Use get_weather and get_time for Shanghai.")]})
    ai = [m for m in state["messages"] if isinstance(m, AIMessage)]
    assert cb.calls == len(ai) == 2 and cb.total_cost == pytest.approx(sum(cost(m) for m in ai))


def test_rag_counts_embeddings_and_chat(fresh: GatewaySimulator) -> None:
    emb = ZZZEmbeddings(**sim_params(fresh, model=EMBED))
    docs = ["The Great Wall is in China.", "Paris is the capital of France.", "Tea comes from Yunnan."]
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the context.\n{context}"), ("human", "{question}")]
    )
    llm = chat(fresh)
    answers: list[AIMessage] = []
    with zzz_cost() as cb:
        store = InMemoryVectorStore.from_documents([Document(page_content=d) for d in docs], emb)
        retriever = store.as_retriever(search_kwargs={"k": 2})
        fmt = retriever | (lambda found: "\n".join(d.page_content for d in found))
        chain = {"context": fmt, "question": RunnablePassthrough()} | prompt | llm | _keep(answers)
        chain.invoke("Where is the Great Wall?")
    expected = embedding_cost(docs) + embedding_cost(["Where is the Great Wall?"]) + cost(answers[0])
    assert cb.total_cost == pytest.approx(expected)
    assert cb.by_model[EMBED]["calls"] == 2 and cb.by_model["gpt-4o-mini"]["calls"] == 1
    assert fresh.count("/embeddings") == 2


def _keep(into: list[AIMessage]) -> Any:
    def keep(message: AIMessage) -> str:
        into.append(message)
        return message.text

    return keep


async def test_fifty_concurrent_ainvokes(fresh: GatewaySimulator) -> None:
    llm = chat(fresh, "deepseek-chat")
    with zzz_cost() as cb:
        messages = await asyncio.gather(*(llm.ainvoke(f"question number {i} " * (i % 5 + 1)) for i in range(50)))
    assert cb.calls == 50 and cb.currency == "CNY"
    assert cb.total_cost == pytest.approx(sum(cost(m) for m in messages))
    assert cb.total_tokens == sum(m.usage_metadata["total_tokens"] for m in messages)


def test_eight_threads_carrying_the_context(fresh: GatewaySimulator) -> None:
    llm = chat(fresh, "qwen-max")
    results: list[AIMessage] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for j in range(3):
            msg = llm.invoke(f"thread {i} call {j}")
            with lock:
                results.append(msg)

    with zzz_cost() as cb:
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(work, i)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        batched = llm.batch([f"batch {i}" for i in range(8)], config={"max_concurrency": 8})
    every = results + batched
    assert cb.calls == len(every) == 32
    assert cb.total_cost == pytest.approx(sum(cost(m) for m in every))


def test_two_blocks_at_once_never_mix(fresh: GatewaySimulator) -> None:
    totals: dict[str, Any] = {}
    sent: dict[str, list[AIMessage]] = {"gpt-4o-mini": [], "deepseek-chat": []}
    barrier = threading.Barrier(2)

    def request(model: str) -> None:
        llm = chat(fresh, model)
        with zzz_cost() as cb:
            barrier.wait()
            for i in range(5):
                sent[model].append(llm.invoke(f"{model} {i}"))
        totals[model] = cb

    threads = [threading.Thread(target=request, args=(m,)) for m in sent]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for model, cb in totals.items():
        assert set(cb.by_model) == {model} and cb.calls == 5
        assert cb.total_cost == pytest.approx(sum(cost(m) for m in sent[model]))


async def test_two_tasks_at_once_never_mix(fresh: GatewaySimulator) -> None:
    async def request(model: str, n: int) -> tuple[Any, list[AIMessage]]:
        with zzz_cost() as cb:
            msgs = [await chat(fresh, model).ainvoke(f"{model} {i}") for i in range(n)]
        return cb, msgs

    (a, msgs_a), (b, msgs_b) = await asyncio.gather(request("gpt-4o", 3), request("glm-4.6", 4))
    assert set(a.by_model) == {"gpt-4o"} and a.calls == 3 and a.total_cost == pytest.approx(sum(map(cost, msgs_a)))
    assert set(b.by_model) == {"glm-4.6"} and b.calls == 4 and b.total_cost == pytest.approx(sum(map(cost, msgs_b)))


def test_nested_blocks_and_chains(fresh: GatewaySimulator) -> None:
    chain = ChatPromptTemplate.from_template("Say {word}") | chat(fresh) | StrOutputParser()
    with zzz_cost() as outer:
        chain.invoke({"word": "one"})
        with zzz_cost() as inner:
            chain.invoke({"word": "two"})
            list(chain.stream({"word": "three"}))
    assert inner.calls == 2 and outer.calls == 3
    assert outer.total_cost > inner.total_cost > 0


# -------------------------------------------------------------------- budgets
def test_budget_stops_the_next_call_before_it_is_sent(fresh: GatewaySimulator) -> None:
    llm = chat(fresh, "deepseek-chat")
    emb = ZZZEmbeddings(**sim_params(fresh, model=EMBED))
    with zzz_cost(max_cost=1e-9) as cb:
        first = llm.invoke("hello")
        with pytest.raises(zzz_core.BudgetExceededError) as info:
            llm.invoke("hello again")
        with pytest.raises(ModelError):
            list(llm.stream("and a stream"))
        with pytest.raises(zzz_core.BudgetExceededError):
            emb.embed_documents(["not sent"])
    err = info.value
    assert isinstance(err, ModelError) and not err.is_retryable
    assert f"spent {cb.spent:.6g} CNY" in str(err) and "max_cost 1e-09 CNY" in str(err)
    assert cb.spent == pytest.approx(cost(first)) and cb.calls == 1
    assert [r.path for r in fresh.requests] == ["/v1/chat/completions"]


async def test_calls_in_flight_when_the_budget_is_crossed_complete_and_count(fresh: GatewaySimulator) -> None:
    llm = chat(fresh, "deepseek-chat")
    with zzz_cost(max_cost=1e-9) as cb:
        in_flight = await asyncio.gather(*(llm.ainvoke(f"parallel {i}") for i in range(5)))
        with pytest.raises(zzz_core.BudgetExceededError):
            await llm.ainvoke("one more")
        with pytest.raises(zzz_core.BudgetExceededError):
            await llm.abatch(["a", "b"])
    assert cb.calls == 5 and cb.spent == pytest.approx(sum(cost(m) for m in in_flight))
    assert fresh.count("/chat/completions") == 5


def test_an_agent_stops_at_its_budget(fresh: GatewaySimulator) -> None:
    agent = create_agent(chat(fresh), tools=[get_weather, get_time])
    with zzz_cost(max_cost=1e-9), pytest.raises(zzz_core.BudgetExceededError):
        agent.invoke({"messages": [HumanMessage("Use get_weather and get_time for Beijing.")]})
    assert fresh.count("/chat/completions") == 1  # the tool round ran; the second model call was not sent


# -------------------------------------------------------------------- tracing
class _Runs(BaseTracer):
    def __init__(self) -> None:
        super().__init__()
        self.runs: list[Any] = []

    def _persist_run(self, run: Any) -> None:
        pass

    def _on_llm_end(self, run: Any) -> None:
        self.runs.append(run)


def test_tracers_see_the_same_usage_and_model(fresh: GatewaySimulator) -> None:
    tracer = _Runs()
    with zzz_cost() as cb:
        msg = chat(fresh, "glm-4.6").invoke("hello", config={"callbacks": [tracer]})
    (run,) = tracer.runs
    assert run.extra["metadata"]["ls_model_name"] == "glm-4.6" and run.extra["metadata"]["ls_provider"] == "zzz"
    traced = run.outputs["generations"][0][0]["message"]  # serialized as LangSmith receives it
    traced = traced.get("kwargs", traced)
    assert traced["usage_metadata"] == msg.usage_metadata
    assert traced["response_metadata"]["cost"] == msg.response_metadata["cost"]
    assert cb.by_model["glm-4.6"]["total_tokens"] == msg.usage_metadata["total_tokens"]


# ------------------------------------------------------------ gateway prices
def test_new_api_prices_are_fetched_once_and_used() -> None:
    with GatewaySimulator("newapi") as sim:
        llm = ChatZZZ(**sim_params(sim, model="gpt-4o-mini", gateway="4z"))
        assert sim.count() == 0  # nothing is fetched before a cost is asked for
        msgs = [llm.invoke(f"hello {i}") for i in range(3)]
        assert sim.count("/api/pricing") == 1 and sim.count("/api/status") == 1
    for m in msgs:
        u = m.usage_metadata
        # new-api: model_ratio 0.075 -> 0.075 x 2 = $0.15 per 1M input; completion_ratio 4
        assert cost(m) == pytest.approx(u["input_tokens"] * 0.15e-6 + u["output_tokens"] * 0.6e-6)
        assert m.response_metadata["cost"]["source"].endswith("/api/pricing (group default ×1)")


def test_a_relay_without_published_prices_is_never_asked(fresh: GatewaySimulator) -> None:
    chat(fresh).invoke("hello")
    assert [r.path for r in fresh.requests] == ["/v1/chat/completions"]


# ------------------------------------------------------------------ low balance
def test_low_balance_warns_when_the_block_starts_and_ends(fresh: GatewaySimulator) -> None:
    from zzz_core.pricing import LowBalanceWarning

    llm = chat(fresh)
    fresh.balance = 50.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with zzz_cost(low_balance=10, balance_of=llm):
            llm.invoke("hello")
            fresh.balance = 4.5  # spent elsewhere meanwhile
    low = [str(w.message) for w in caught if issubclass(w.category, LowBalanceWarning)]
    assert len(low) == 1 and "4.5000 CNY, below low_balance=10" in low[0]
    assert fresh.count("/dashboard/billing/credit_grants") == 2
    with pytest.raises(ValueError, match="balance_of"):
        with zzz_cost(low_balance=10):
            pass
    fresh.balance = 111.8658


def test_run_prices_win_over_the_models_own(fresh: GatewaySimulator) -> None:
    run_prices = {"gpt-4o-mini": {"input": 7, "output": 9, "currency": "CNY"}}
    with zzz_cost(prices=run_prices) as cb:
        msg = chat(fresh).invoke("hello")
    u = msg.usage_metadata
    assert msg.response_metadata["cost"]["currency"] == "USD"  # the message keeps the model's own price
    assert cb.currency == "CNY" and cb.total_cost == pytest.approx(u["input_tokens"] * 7e-6 + u["output_tokens"] * 9e-6)
