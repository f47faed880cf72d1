"""Reasoning signatures travel back through ChatZZZ (issue 15 item 2, wire-facts-2 §5).

The simulator's ``gemini-3*`` models sign the first tool call of a step and answer 400
"Function call is missing a thought_signature" to a history that dropped it; its
``openrouter/*`` models do the same with signed ``reasoning_details``, and its
``claude*-thinking`` models with Claude ``thinking_blocks`` as LiteLLM-based relays send them.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from lc_testkit import sim_params

from langchain_zzz import ChatZZZ
from zzz_core import InvalidRequestError
from zzz_testing import GatewaySimulator
from zzz_testing.signatures import reasoning_details, thinking_blocks, tool_call_extra

GEMINI = "gemini-3-pro-preview"
ROUTER = "openrouter/anthropic/claude-sonnet-4.5"
CLAUDE = "claude-sonnet-4-5-thinking"
ASK = "Use get_weather and get_time for Beijing."


@tool
def get_weather(city: str) -> str:
    """Get the current weather of a city."""
    return f"sunny in {city}"


@tool
def get_time(city: str) -> str:
    """Get the local time of a city."""
    return f"12:00 in {city}"


TOOLS = {"get_weather": get_weather, "get_time": get_time}


def model(sim: GatewaySimulator, name: str) -> Any:
    return ChatZZZ(**sim_params(sim, model=name)).bind_tools(list(TOOLS.values()))


def first_turn(llm: Any, streamed: bool) -> AIMessage:
    if not streamed:
        return llm.invoke([HumanMessage(ASK)])
    full = None
    for chunk in llm.stream([HumanMessage(ASK)]):
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessageChunk)
    return full


def tool_results(ai: AIMessage) -> list[ToolMessage]:
    return [ToolMessage(TOOLS[c["name"]].invoke(c["args"]), tool_call_id=c["id"]) for c in ai.tool_calls]


def second_turn(llm: Any, ai: AIMessage, streamed: bool) -> str:
    history = [HumanMessage(ASK), ai, *tool_results(ai)]
    if not streamed:
        return llm.invoke(history).text
    return "".join(c.text for c in llm.stream(history))


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_gemini_thought_signature_goes_back(fresh: GatewaySimulator, streamed: bool) -> None:
    llm = model(fresh, GEMINI)
    ai = first_turn(llm, streamed)
    first = ai.tool_calls[0]["id"]
    assert ai.additional_kwargs["tool_call_extra_content"] == {first: tool_call_extra(first)}  # whole, not doubled
    answer = second_turn(llm, ai, streamed)
    assert "sunny in Beijing" in answer and "12:00 in Beijing" in answer
    sent = fresh.requests[-1].body["messages"][1]
    assert sent["tool_calls"][0]["extra_content"] == tool_call_extra(first)
    assert "extra_content" not in sent["tool_calls"][1]
    assert "tool_call_extra_content" not in sent  # a local key, never a wire field
    assert fresh.count("/chat/completions") == 2


def test_gemini_history_without_the_signature_is_rejected(fresh: GatewaySimulator) -> None:
    """The control: the simulator does refuse a history that lost the signature."""
    llm = model(fresh, GEMINI)
    ai = llm.invoke([HumanMessage(ASK)])
    bare = AIMessage(content="", tool_calls=ai.tool_calls)
    with pytest.raises(InvalidRequestError, match="missing a thought_signature"):
        llm.invoke([HumanMessage(ASK), bare, *tool_results(ai)])


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_openrouter_reasoning_details_go_back(fresh: GatewaySimulator, streamed: bool) -> None:
    llm = model(fresh, ROUTER)
    ai = first_turn(llm, streamed)
    reasoning = ai.additional_kwargs["reasoning_content"]
    assert ai.additional_kwargs["reasoning_details"] == reasoning_details(reasoning)  # fragments merged
    answer = second_turn(llm, ai, streamed)
    assert "sunny in Beijing" in answer
    assert fresh.requests[-1].body["messages"][1]["reasoning_details"] == reasoning_details(reasoning)


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_claude_thinking_blocks_go_back(fresh: GatewaySimulator, streamed: bool) -> None:
    llm = model(fresh, CLAUDE)
    ai = first_turn(llm, streamed)
    reasoning = ai.additional_kwargs["reasoning_content"]
    assert ai.additional_kwargs["thinking_blocks"] == thinking_blocks(reasoning)  # fragments merged, signed once
    answer = second_turn(llm, ai, streamed)
    assert "sunny in Beijing" in answer and "12:00 in Beijing" in answer
    sent = fresh.requests[-1].body["messages"][1]
    assert sent["thinking_blocks"] == thinking_blocks(reasoning)
    assert fresh.count("/chat/completions") == 2 and fresh.requests[-1].ok


def test_claude_history_without_thinking_blocks_is_rejected(fresh: GatewaySimulator) -> None:
    """The controls: a dropped block and a garbled signature are both refused, as Anthropic does."""
    llm = model(fresh, CLAUDE)
    ai = llm.invoke([HumanMessage(ASK)])
    bare = AIMessage(content="", tool_calls=ai.tool_calls, additional_kwargs={"reasoning_content": "x"})
    with pytest.raises(InvalidRequestError, match="must start with a thinking block"):
        llm.invoke([HumanMessage(ASK), bare, *tool_results(ai)])
    block = dict(ai.additional_kwargs["thinking_blocks"][0])
    block["signature"] += block["signature"]  # what concatenating two chunks' signatures would send
    garbled = AIMessage(content="", tool_calls=ai.tool_calls, additional_kwargs={"thinking_blocks": [block]})
    with pytest.raises(InvalidRequestError, match="Invalid `signature`"):
        llm.invoke([HumanMessage(ASK), garbled, *tool_results(ai)])


async def test_claude_thinking_blocks_go_back_async(fresh: GatewaySimulator) -> None:
    llm = model(fresh, CLAUDE)
    full = None
    async for chunk in llm.astream([HumanMessage(ASK)]):
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessageChunk)
    kept = full.additional_kwargs["thinking_blocks"]
    assert kept == thinking_blocks(full.additional_kwargs["reasoning_content"])
    answer = await llm.ainvoke([HumanMessage(ASK), full, *tool_results(full)])
    assert "sunny in Beijing" in answer.text
    assert fresh.requests[-1].body["messages"][1]["thinking_blocks"] == kept


@pytest.mark.parametrize("stream_mode", [None, "messages"], ids=["invoke", "stream"])
def test_create_agent_tool_loop_with_signatures(fresh: GatewaySimulator, stream_mode: str | None) -> None:
    agent = create_agent(ChatZZZ(**sim_params(fresh, model=GEMINI)), tools=list(TOOLS.values()))
    state = {"messages": [HumanMessage(ASK)]}
    if stream_mode is None:
        text = agent.invoke(state)["messages"][-1].text
    else:
        parts = [msg for msg, _ in agent.stream(state, stream_mode="messages") if isinstance(msg, AIMessageChunk)]
        text = "".join(p.text for p in parts)  # the model streamed both turns
    assert "sunny in Beijing" in text and "12:00 in Beijing" in text
    assert fresh.count("/chat/completions") == 2
    assert fresh.requests[-1].ok
    sent = fresh.requests[-1].body["messages"][1]
    assert sent["tool_calls"][0]["extra_content"] == tool_call_extra(sent["tool_calls"][0]["id"])


@pytest.mark.parametrize("stream_mode", [None, "messages"], ids=["invoke", "stream"])
def test_create_agent_tool_loop_with_claude_thinking(fresh: GatewaySimulator, stream_mode: str | None) -> None:
    """The agent keeps the streamed or whole message as it came; its thinking_blocks go back signed."""
    agent = create_agent(ChatZZZ(**sim_params(fresh, model=CLAUDE)), tools=list(TOOLS.values()))
    state = {"messages": [HumanMessage(ASK)]}
    if stream_mode is None:
        text = agent.invoke(state)["messages"][-1].text
    else:
        parts = [msg for msg, _ in agent.stream(state, stream_mode="messages") if isinstance(msg, AIMessageChunk)]
        text = "".join(p.text for p in parts)
    assert "sunny in Beijing" in text and "12:00 in Beijing" in text
    assert fresh.count("/chat/completions") == 2 and fresh.requests[-1].ok
    sent = fresh.requests[-1].body["messages"][1]
    assert sent["thinking_blocks"] == thinking_blocks(sent["thinking_blocks"][0]["thinking"])


def test_deepseek_reasoning_content_still_replayed(fresh: GatewaySimulator) -> None:
    llm = model(fresh, "deepseek-reasoner")
    ai = first_turn(llm, True)
    assert ai.additional_kwargs["reasoning_content"]
    second_turn(llm, ai, True)
    sent = fresh.requests[-1].body["messages"][1]
    assert sent["reasoning_content"] == ai.additional_kwargs["reasoning_content"]
    assert "reasoning_details" not in sent and "tool_call_extra_content" not in sent


async def test_gemini_thought_signature_goes_back_async(fresh: GatewaySimulator) -> None:
    llm = model(fresh, GEMINI)
    full = None
    async for chunk in llm.astream([HumanMessage(ASK)]):
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessageChunk)
    first = full.tool_calls[0]["id"]
    assert full.additional_kwargs["tool_call_extra_content"] == {first: tool_call_extra(first)}
    answer = await llm.ainvoke([HumanMessage(ASK), full, *tool_results(full)])
    assert "sunny in Beijing" in answer.text
    assert fresh.requests[-1].body["messages"][1]["tool_calls"][0]["extra_content"] == tool_call_extra(first)
