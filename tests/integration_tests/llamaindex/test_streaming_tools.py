"""Streamed tool calls, including relays that omit `index` or repeat `id` on every fragment."""

from __future__ import annotations

import pytest
from llama_index.core.tools import FunctionTool


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return city


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return city


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]
ASK = "Call get_weather and get_time for Paris."
EXPECTED = [("call_1", "get_weather", {"city": "Paris"}), ("call_2", "get_time", {"city": "Paris"})]


def _selections(llm, response):
    return [(s.tool_id, s.tool_name, s.tool_kwargs) for s in llm.get_tool_calls_from_response(response, False)]


@pytest.mark.parametrize("style", ["standard", "no_index", "repeat_id", "whole"])
def test_stream_chat_with_tools(sim, make_llm, style):
    llm = make_llm("gpt-4o-mini", default_headers={"X-ZZZ-Tool-Delta-Style": style})
    responses = list(llm.stream_chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True))
    assert sim.requests[-1].header("x-zzz-tool-delta-style") == style
    partial = [_selections(llm, r) for r in responses]  # FunctionAgent does this on every chunk
    assert partial[-1] == EXPECTED  # no call_1call_1, no lost or merged calls
    for sel in partial:
        assert all(tid in ("", "call_1", "call_2") for tid, _, _ in sel)
        assert [name for _, name, _ in sel] == ["get_weather", "get_time"][: len(sel)]
    message = responses[-1].message
    legacy = message.additional_kwargs["tool_calls"]  # where parts of llama-index-core look
    assert [(t.id, t.function.name, t.function.arguments) for t in legacy] == [
        ("call_1", "get_weather", '{"city":"Paris"}'),
        ("call_2", "get_time", '{"city":"Paris"}'),
    ]


@pytest.mark.parametrize("style", ["no_index", "repeat_id"])
async def test_astream_chat_with_tools(make_llm, style):
    llm = make_llm("gpt-4o-mini", default_headers={"X-ZZZ-Tool-Delta-Style": style})
    gen = await llm.astream_chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True)
    responses = [r async for r in gen]
    assert _selections(llm, responses[-1]) == EXPECTED


def test_chat_with_tools_single_call_unless_parallel(sim, make_llm):
    llm = make_llm("gpt-4o-mini")
    single = llm.chat_with_tools(TOOLS, user_msg=ASK)
    assert _selections(llm, single) == EXPECTED[:1]
    assert "parallel_tool_calls" not in sim.requests[-1].body
    both = llm.chat_with_tools(TOOLS, user_msg=ASK, allow_parallel_tool_calls=True)
    assert _selections(llm, both) == EXPECTED
    assert sim.requests[-1].body["parallel_tool_calls"] is True


def test_predict_and_call(make_llm):
    out = make_llm("deepseek-chat").predict_and_call(TOOLS, user_msg="What is get_time for Rome?")
    assert out.sources[0].tool_name == "get_time" and out.response == "Rome"


def test_stream_chat_with_tools_single_call_unless_parallel(sim, make_llm):
    """A streamed tool turn is cut to its first call, like a non-streamed one."""
    llm = make_llm("gpt-4o-mini")
    responses = list(llm.stream_chat_with_tools(TOOLS, user_msg=ASK))
    assert "parallel_tool_calls" not in sim.requests[-1].body
    assert all(len(_selections(llm, r)) <= 1 for r in responses)
    assert _selections(llm, responses[-1]) == EXPECTED[:1]
    assert len(responses[-1].message.additional_kwargs["tool_calls"]) == 1


async def test_astream_chat_with_tools_single_call_unless_parallel(make_llm):
    llm = make_llm("gpt-4o-mini")
    gen = await llm.astream_chat_with_tools(TOOLS, user_msg=ASK)
    responses = [r async for r in gen]
    assert all(len(_selections(llm, r)) <= 1 for r in responses)
    assert _selections(llm, responses[-1]) == EXPECTED[:1]
