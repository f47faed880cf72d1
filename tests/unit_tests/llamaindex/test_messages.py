"""ChatMessage blocks -> OpenAI dicts, and zzz_core results/chunks -> ChatResponse."""

from __future__ import annotations

import base64
import json

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llamaindex_zzz import ZZZ
from llamaindex_zzz._messages import to_openai_message, to_openai_messages
from llamaindex_zzz._responses import ChatStreamState, chat_response
from zzz_core import ChatChunk, ChatResult, InvalidInputError, ToolCallDelta, Usage
from zzz_core.decode import parse_chat_response

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_text_messages():
    assert to_openai_messages(
        [ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="hi")]
    ) == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    two = ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")])
    assert to_openai_message(two) == {"role": "user", "content": "a\nb"}
    assert to_openai_message(ChatMessage(role=MessageRole.CHATBOT, content="x"))["role"] == "assistant"


def test_image_url_path_and_bytes(tmp_path):
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    msg = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="what is this?"),
            ImageBlock(url="https://example.com/cat.jpg", detail="high"),
            ImageBlock(path=path),
            ImageBlock(image=PNG),
        ],
    )
    out = to_openai_message(msg)
    text, by_url, by_path, by_bytes = out["content"]
    assert text == {"type": "text", "text": "what is this?"}
    assert by_url == {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}}
    expected = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert by_path == {"type": "image_url", "image_url": {"url": expected}}
    assert by_bytes == {"type": "image_url", "image_url": {"url": expected}}


def test_assistant_tool_calls_reasoning_and_tool_results():
    assistant = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="I should look it up."),
            ToolCallBlock(tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "北京"}),
            ToolCallBlock(tool_call_id="call_2", tool_name="get_time", tool_kwargs='{"city":"Paris"}'),
        ],
        # FunctionAgent puts tool_call_id on return_direct assistant messages: not forwarded
        additional_kwargs={"tool_call_id": "x", "something_internal": 1},
    )
    out = to_openai_message(assistant)
    assert out == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "北京"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": '{"city":"Paris"}'}},
        ],
        "reasoning_content": "I should look it up.",
    }
    tool = ChatMessage(
        role="tool", content="sunny", additional_kwargs={"tool_call_id": "call_1", "name": "get_weather"}
    )
    assert to_openai_message(tool) == {
        "role": "tool",
        "content": "sunny",
        "tool_call_id": "call_1",
        "name": "get_weather",
    }


def test_legacy_tool_calls_in_additional_kwargs():
    legacy = [{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    out = to_openai_message(ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": legacy}))
    assert out == {"role": "assistant", "content": None, "tool_calls": legacy}


def test_unsupported_block_is_refused():
    with pytest.raises(ValueError, match="VideoBlock"):
        to_openai_message(ChatMessage(role="user", blocks=[VideoBlock(url="https://example.com/v.mp4")]))


def _tool_turn() -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="weather in Paris?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="need the weather tool"),
                ToolCallBlock(tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"}),
            ],
        ),
        ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": "call_1"}),
        ChatMessage(role="assistant", blocks=[ThinkingBlock(content="done"), TextBlock(text="It is sunny.")]),
        ChatMessage(role="user", content="thanks"),
    ]


def test_reasoning_is_replayed_only_where_the_model_needs_it(key):
    body = ZZZ(model="deepseek-reasoner", api_key=key)._chat_body(_tool_turn(), False, {})
    assistants = [m for m in body["messages"] if m["role"] == "assistant"]
    assert assistants[0]["reasoning_content"] == "need the weather tool"  # a tool-call turn: replayed
    assert "reasoning_content" not in assistants[1]  # a plain answer: not sent back
    body = ZZZ(model="deepseek-chat", api_key=key)._chat_body(_tool_turn(), False, {})
    assert all("reasoning_content" not in m for m in body["messages"])


def test_request_body_merges_fields_additional_kwargs_and_call_kwargs(key):
    llm = ZZZ(
        model="gpt-4o-mini",
        api_key=key,
        temperature=0.2,
        max_tokens=100,
        additional_kwargs={"top_p": 0.9, "seed": 7, "extra_body": {"vendor_flag": True}, "metadata_tag": "a"},
    )
    body = llm._chat_body([ChatMessage(role="user", content="hi")], True, {"seed": 8, "extra_body": {"x": 1}})
    assert body["temperature"] == 0.2 and body["max_tokens"] == 100 and body["top_p"] == 0.9
    assert body["seed"] == 8  # per-call wins
    assert body["vendor_flag"] is True and body["x"] == 1 and body["metadata_tag"] == "a"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "extra_body" not in body
    # gpt-5 takes max_completion_tokens and refuses temperature: zzz_core decides, with a warning
    with pytest.warns(UserWarning, match="temperature"):
        body = ZZZ(model="gpt-5", api_key=key, temperature=0.2, max_tokens=100)._chat_body(
            [ChatMessage(role="user", content="hi")], False, {}
        )
    assert body["max_completion_tokens"] == 100 and "temperature" not in body and "max_tokens" not in body


def test_messages_must_be_a_list(key):
    with pytest.raises(InvalidInputError, match="list of ChatMessage"):
        ZZZ(model="gpt-4o", api_key=key)._chat_body("hello", False, {})


def test_chat_response_from_result():
    payload = {
        "id": "chatcmpl-1",
        "model": "deepseek-reasoner",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "42",
                    "reasoning_content": "thinking hard",
                    "tool_calls": [
                        {"id": "call_a", "type": "function", "function": {"name": "calc", "arguments": '{"x": 1}'}},
                        {"id": "call_b", "type": "function", "function": {"name": "calc", "arguments": '{"x": '}},
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 20,
            "total_tokens": 30,
            "prompt_cache_hit_tokens": 4,
            "completion_tokens_details": {"reasoning_tokens": 5},
        },
    }
    resp = chat_response(parse_chat_response(payload))
    thinking, text, call_a, call_b = resp.message.blocks
    assert isinstance(thinking, ThinkingBlock) and thinking.content == "thinking hard" and thinking.num_tokens == 5
    assert isinstance(text, TextBlock) and resp.message.content == "42"
    assert (call_a.tool_call_id, call_a.tool_name, call_a.tool_kwargs) == ("call_a", "calc", {"x": 1})
    assert call_b.tool_kwargs == '{"x": '  # invalid arguments are kept as received, not dropped
    assert resp.raw["usage"]["prompt_tokens"] == 10
    assert resp.raw["usage"]["prompt_tokens_details"] == {"cached_tokens": 4}
    assert resp.additional_kwargs == {
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "total_tokens": 30,
        "cached_tokens": 4,
        "reasoning_tokens": 5,
    }
    # LlamaIndex's token counter reads raw["usage"]
    from llama_index.core.callbacks.token_counting import get_tokens_from_response

    assert get_tokens_from_response(resp) == (10, 20)


def test_stream_state_accumulates_text_reasoning_and_calls():
    state = ChatStreamState()
    chunks = [
        ChatChunk(role="assistant", id="c1", model="m"),
        ChatChunk(reasoning="Let me "),
        ChatChunk(reasoning="think."),
        ChatChunk(content="Hello"),
        ChatChunk(content=" world"),
        ChatChunk(tool_calls=[ToolCallDelta(0, id="call_1", name="get_")]),
        ChatChunk(tool_calls=[ToolCallDelta(0, name="weather", arguments='{"ci')]),
        ChatChunk(tool_calls=[ToolCallDelta(0, arguments='ty": "Pa')]),
        ChatChunk(tool_calls=[ToolCallDelta(1, id="call_2", name="get_time", arguments="{}")]),
        ChatChunk(tool_calls=[ToolCallDelta(0, arguments='ris"}')], finish_reason="tool_calls"),
        ChatChunk(usage=Usage(3, 9, 12, reasoning_tokens=2)),
    ]
    out = [r for r in map(state.feed, chunks) if r is not None]
    assert len(out) == len(chunks) - 1  # the empty role chunk yields nothing
    assert [r.additional_kwargs.get("thinking_delta") for r in out[:2]] == ["Let me ", "think."]
    assert [r.delta for r in out[2:4]] == ["Hello", " world"]
    assert out[6].message.blocks[-1].tool_kwargs == {"city": "Pa"}  # partial arguments, parsed leniently
    last = out[-1]
    assert last.message.content == "Hello world"
    assert last.message.blocks[0].content == "Let me think."
    calls = [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in last.message.blocks[2:]]
    assert calls == [("call_1", "get_weather", {"city": "Paris"}), ("call_2", "get_time", {})]
    assert last.raw["usage"]["total_tokens"] == 12 and last.additional_kwargs["total_tokens"] == 12
    assert last.raw["finish_reason"] == "tool_calls"


def test_stream_state_closes_with_the_aggregate_when_it_differs():
    state = ChatStreamState()
    r = state.feed(ChatChunk(tool_calls=[ToolCallDelta(0, name="f", arguments="{}")]))
    assert r.message.blocks[0].tool_call_id is None
    from zzz_core import ChatChoice, ToolCall

    result = ChatResult(choices=[ChatChoice(tool_calls=[ToolCall("call_0", "f", "{}", 0, {})])])
    final = state.finish(result)
    assert final is not None and final.delta == ""
    assert final.message.blocks[0].tool_call_id == "call_0"  # zzz_core names calls the relay left unnamed
    # nothing differs: no extra response
    state = ChatStreamState()
    state.feed(ChatChunk(content="hi"))
    assert state.finish(ChatResult(choices=[ChatChoice(content="hi")])) is None
    # an empty stream still ends with one response
    assert ChatStreamState().finish(ChatResult(choices=[])).message.blocks == []


def test_arguments_json_roundtrip():
    args = {"q": '引号"和换行\n', "n": [1, 2]}
    msg = ChatMessage(role="assistant", blocks=[ToolCallBlock(tool_call_id="c", tool_name="s", tool_kwargs=args)])
    assert json.loads(to_openai_message(msg)["tool_calls"][0]["function"]["arguments"]) == args
