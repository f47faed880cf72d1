"""Reasoning signatures travel back through ZZZ (issue 15 item 2, wire-facts-2 §5).

The simulator's ``gemini-3*`` models sign the first tool call of a step and answer 400
"Function call is missing a thought_signature" to a history that dropped it; its
``openrouter/*`` models do the same with signed ``reasoning_details``, and its
``claude*-thinking`` models with Claude ``thinking_blocks`` as LiteLLM-based relays send them.
"""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.tools import FunctionTool

from zzz_core import InvalidRequestError
from zzz_testing.signatures import reasoning_details, thinking_blocks, tool_call_extra

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore::zzz_core.pricing.PricingWarning"),
]

GEMINI = "gemini-3-pro-preview"
ROUTER = "openrouter/anthropic/claude-sonnet-4.5"
CLAUDE = "claude-sonnet-4-5-thinking"
ASK = "Use get_weather and get_time for Paris."


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"sunny and 21 degrees in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:30 in {city}"


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]
BY_NAME = {t.metadata.name: t for t in TOOLS}


def first_turn(llm, streamed):
    if not streamed:
        return llm.chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True)
    return list(llm.stream_chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True))[-1]


def second_turn(llm, response, streamed):
    history = [ChatMessage(role=MessageRole.USER, content=ASK), response.message]
    for sel in llm.get_tool_calls_from_response(response, error_on_no_tool_call=True):
        output = BY_NAME[sel.tool_name](**sel.tool_kwargs)
        history.append(
            ChatMessage(role=MessageRole.TOOL, content=str(output), additional_kwargs={"tool_call_id": sel.tool_id})
        )
    if not streamed:
        return llm.chat_with_tools(TOOLS, chat_history=history).message.content
    return list(llm.stream_chat_with_tools(TOOLS, chat_history=history))[-1].message.content


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
def test_gemini_thought_signature_goes_back(sim, make_llm, chat_bodies, streamed):
    llm = make_llm(GEMINI)
    response = first_turn(llm, streamed)
    first = llm.get_tool_calls_from_response(response)[0].tool_id
    assert response.message.additional_kwargs["tool_call_extra_content"] == {first: tool_call_extra(first)}
    answer = second_turn(llm, response, streamed)
    assert "sunny and 21 degrees in Paris" in answer and "10:30 in Paris" in answer
    sent = chat_bodies()[-1]["messages"][1]
    assert sent["tool_calls"][0]["extra_content"] == tool_call_extra(first)
    assert "extra_content" not in sent["tool_calls"][1]
    assert "tool_call_extra_content" not in sent  # a local key, never a wire field


def test_gemini_history_without_the_signature_is_rejected(make_llm):
    """The control: the simulator does refuse a history that lost the signature."""
    llm = make_llm(GEMINI)
    response = first_turn(llm, False)
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    bare = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
    with pytest.raises(InvalidRequestError, match="missing a thought_signature"):
        llm.chat([ChatMessage(role=MessageRole.USER, content=ASK), bare])


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
def test_openrouter_reasoning_details_go_back(make_llm, chat_bodies, streamed):
    llm = make_llm(ROUTER)
    response = first_turn(llm, streamed)
    kept = response.message.additional_kwargs["reasoning_details"]
    assert kept == reasoning_details(kept[0]["text"])  # fragments merged, signature whole
    assert "sunny and 21 degrees in Paris" in second_turn(llm, response, streamed)
    assert chat_bodies()[-1]["messages"][1]["reasoning_details"] == kept


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
def test_claude_thinking_blocks_go_back(make_llm, chat_bodies, streamed):
    llm = make_llm(CLAUDE)
    response = first_turn(llm, streamed)
    kept = response.message.additional_kwargs["thinking_blocks"]
    assert kept == thinking_blocks(kept[0]["thinking"])  # fragments merged, signature whole
    answer = second_turn(llm, response, streamed)
    assert "sunny and 21 degrees in Paris" in answer and "10:30 in Paris" in answer
    bodies = chat_bodies()
    assert len(bodies) == 2 and bodies[-1]["messages"][1]["thinking_blocks"] == kept


def test_claude_history_without_thinking_blocks_is_rejected(make_llm):
    """The control: the simulator refuses a tool-calling history that lost its thinking block."""
    llm = make_llm(CLAUDE)
    response = first_turn(llm, False)
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    bare = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
    with pytest.raises(InvalidRequestError, match="must start with a thinking block"):
        llm.chat([ChatMessage(role=MessageRole.USER, content=ASK), bare])


async def test_claude_thinking_blocks_go_back_async(make_llm, chat_bodies):
    llm = make_llm(CLAUDE)
    responses = [
        r async for r in await llm.astream_chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True)
    ]
    response = responses[-1]
    kept = response.message.additional_kwargs["thinking_blocks"]
    assert kept == thinking_blocks(kept[0]["thinking"])
    history = [ChatMessage(role=MessageRole.USER, content=ASK), response.message]
    for sel in llm.get_tool_calls_from_response(response):
        output = BY_NAME[sel.tool_name](**sel.tool_kwargs)
        history.append(
            ChatMessage(role=MessageRole.TOOL, content=str(output), additional_kwargs={"tool_call_id": sel.tool_id})
        )
    answer = await llm.achat_with_tools(TOOLS, chat_history=history)
    assert "sunny and 21 degrees in Paris" in answer.message.content
    assert chat_bodies()[-1]["messages"][1]["thinking_blocks"] == kept


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_tool_loop_with_signatures(make_llm, chat_bodies, streaming):
    agent = FunctionAgent(tools=[get_weather, get_time], llm=make_llm(GEMINI), streaming=streaming)
    handler = agent.run(ASK)
    events = [ev async for ev in handler.stream_events()]
    result = await handler
    assert [e.tool_name for e in events if isinstance(e, ToolCallResult)] == ["get_weather", "get_time"]
    assert "sunny and 21 degrees in Paris" in str(result)
    bodies = chat_bodies()
    assert len(bodies) == 2
    sent = bodies[1]["messages"][1]
    assert sent["tool_calls"][0]["extra_content"] == tool_call_extra(sent["tool_calls"][0]["id"])


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_tool_loop_with_claude_thinking(make_llm, chat_bodies, streaming):
    agent = FunctionAgent(tools=[get_weather, get_time], llm=make_llm(CLAUDE), streaming=streaming)
    result = await agent.run(ASK)
    assert "sunny and 21 degrees in Paris" in str(result)
    bodies = chat_bodies()
    assert len(bodies) == 2
    sent = bodies[1]["messages"][1]
    assert sent["thinking_blocks"] == thinking_blocks(sent["thinking_blocks"][0]["thinking"])
