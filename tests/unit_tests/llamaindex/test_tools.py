"""Tool preparation rules and reading tool calls back, including partial streamed JSON."""

from __future__ import annotations

import json

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llamaindex_zzz import ZZZ


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the weather for a city."""
    return city


def get_time(city: str) -> str:
    """Get the local time."""
    return city


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


@pytest.fixture
def llm(key) -> ZZZ:
    return ZZZ(model="gpt-4o-mini", api_key=key)


def response_with(*blocks, **additional) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", blocks=list(blocks), additional_kwargs=additional))


def test_prepare_sends_no_parallel_field_and_no_tool_choice_by_default(llm):
    kw = llm._prepare_chat_with_tools(TOOLS, user_msg="hi", chat_history=[ChatMessage(role="system", content="s")])
    assert [m.role.value for m in kw["messages"]] == ["system", "user"]
    assert [t["function"]["name"] for t in kw["tools"]] == ["get_weather", "get_time"]
    assert kw["tools"][0]["function"]["parameters"]["required"] == ["city"]
    assert "tool_choice" not in kw and "parallel_tool_calls" not in kw
    body = llm._chat_body(kw.pop("messages"), False, kw)
    assert "parallel_tool_calls" not in body and "tool_choice" not in body


def test_parallel_only_when_allowed_and_the_model_makes_parallel_calls(key, llm):
    assert llm._prepare_chat_with_tools(TOOLS, allow_parallel_tool_calls=True)["parallel_tool_calls"] is True
    # deepseek-chat's profile does not list parallel calls: the field (which relays may reject) stays out
    ds = ZZZ(model="deepseek-chat", api_key=key)
    assert "parallel_tool_calls" not in ds._prepare_chat_with_tools(TOOLS, allow_parallel_tool_calls=True)
    # an explicit parallel_tool_calls is the caller's and is sent as given
    kw = ds._prepare_chat_with_tools(TOOLS, parallel_tool_calls=False)
    assert ds._chat_body(kw.pop("messages") or [ChatMessage(content="x")], False, kw)["parallel_tool_calls"] is False


def test_tool_choice_rules(llm):
    assert llm._prepare_chat_with_tools(TOOLS, tool_required=True)["tool_choice"] == "required"
    kw = llm._prepare_chat_with_tools(TOOLS, user_msg="x", tool_choice="get_time")
    body = llm._chat_body(kw.pop("messages"), False, kw)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert "tools" not in llm._prepare_chat_with_tools([], user_msg="x", tool_required=True)


def test_strict_tools(key):
    kw = ZZZ(model="gpt-4o", api_key=key, strict=True)._prepare_chat_with_tools(TOOLS)
    fn = kw["tools"][0]["function"]
    assert fn["strict"] is True and fn["parameters"]["additionalProperties"] is False
    assert fn["parameters"]["required"] == ["city", "unit"]


def test_tool_calls_from_blocks(llm):
    resp = response_with(
        TextBlock(text="calling"),
        ToolCallBlock(tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"}),
        ToolCallBlock(tool_call_id="call_2", tool_name="get_time", tool_kwargs='{"city": "Rome"}'),
    )
    sel = llm.get_tool_calls_from_response(resp)
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in sel] == [
        ("call_1", "get_weather", {"city": "Paris"}),
        ("call_2", "get_time", {"city": "Rome"}),
    ]


def test_tool_calls_from_legacy_additional_kwargs(llm):
    legacy = [{"id": "call_7", "type": "function", "function": {"name": "get_time", "arguments": '{"city": "Oslo"}'}}]
    sel = llm.get_tool_calls_from_response(response_with(tool_calls=legacy))
    assert [(s.tool_id, s.tool_name, s.tool_kwargs) for s in sel] == [("call_7", "get_time", {"city": "Oslo"})]


def test_no_tool_call(llm):
    with pytest.raises(ValueError, match="0 tool calls"):
        llm.get_tool_calls_from_response(response_with(TextBlock(text="plain")))
    assert llm.get_tool_calls_from_response(response_with(TextBlock(text="plain")), error_on_no_tool_call=False) == []


def test_every_prefix_of_streamed_arguments_parses(llm):
    """FunctionAgent calls get_tool_calls_from_response on every streamed chunk."""
    full = json.dumps({"city": 'São Paulo "centro"', "days": [1, 2.5, -3e2], "ok": True, "none": None, "n": {"a": "b"}})
    seen_keys: list[set[str]] = []
    for i in range(len(full) + 1):
        resp = response_with(ToolCallBlock(tool_call_id="c", tool_name="get_weather", tool_kwargs=full[:i]))
        (sel,) = llm.get_tool_calls_from_response(resp, error_on_no_tool_call=False)
        assert isinstance(sel.tool_kwargs, dict)
        seen_keys.append(set(sel.tool_kwargs))
    assert sel.tool_kwargs == json.loads(full)
    assert all(a <= b for a, b in zip(seen_keys, seen_keys[1:], strict=False))  # keys only ever appear
    garbage = response_with(ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs="not json at all"))
    assert llm.get_tool_calls_from_response(garbage)[0].tool_kwargs == {}


def test_force_single_tool_call_unless_parallel(llm):
    def two():
        return response_with(
            ToolCallBlock(tool_call_id="a", tool_name="get_weather", tool_kwargs={}),
            ToolCallBlock(tool_call_id="b", tool_name="get_time", tool_kwargs={}),
        )

    assert len(llm._validate_chat_with_tools_response(two(), TOOLS).message.blocks) == 1
    assert len(llm._validate_chat_with_tools_response(two(), TOOLS, allow_parallel_tool_calls=True).message.blocks) == 2
