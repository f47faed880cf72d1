"""LangChain messages <-> OpenAI dicts and zzz_core results -> LangChain messages (pure, offline)."""

from __future__ import annotations

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_zzz._messages import StreamConverter, to_chat_result, to_openai_messages, usage_metadata
from zzz_core import ChatChoice, ChatChunk, ChatResult, ToolCall, ToolCallDelta, Usage
from zzz_core.decode import ChatStreamAssembler

B64 = "iVBORw0KGgo="


def test_roles_names_and_plain_text() -> None:
    out = to_openai_messages([
        SystemMessage("be brief"),
        SystemMessage("dev note", additional_kwargs={"__openai_role__": "developer"}),
        HumanMessage("hi", name="alice"),
        AIMessage("hello"),
        ChatMessage(role="user", content="custom"),
    ])  # fmt: skip
    assert out == [
        {"role": "system", "content": "be brief"},
        {"role": "developer", "content": "dev note"},
        {"role": "user", "content": "hi", "name": "alice"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "custom"},
    ]


def test_user_parts_standard_openai_and_anthropic_blocks() -> None:
    msg = HumanMessage([
        {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
        {"type": "image", "url": "https://x/cat.png"},
        {"type": "image", "base64": B64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": "https://x/dog.png"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": B64}},
        {"type": "file", "base64": B64, "mime_type": "application/pdf", "filename": "a.pdf"},
        {"type": "input_audio", "input_audio": {"data": B64, "format": "wav"}},
    ])  # fmt: skip
    assert to_openai_messages([msg])[0]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64}"}},
        {"type": "image_url", "image_url": {"url": "https://x/dog.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{B64}"}},
        {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{B64}", "filename": "a.pdf"}},
        {"type": "input_audio", "input_audio": {"data": B64, "format": "wav"}},
    ]
    all_text = HumanMessage([{"type": "text", "text": "a"}, "b"])
    assert to_openai_messages([all_text])[0]["content"] == "a\nb"


def test_assistant_tool_calls_reasoning_and_foreign_blocks() -> None:
    msg = AIMessage(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "北京"}},
        ],
        tool_calls=[{"name": "get_weather", "args": {"city": "北京"}, "id": "t1", "type": "tool_call"}],
        invalid_tool_calls=[
            {"name": "bad", "args": '{"x": ', "id": "t2", "error": "bad json", "type": "invalid_tool_call"}
        ],
    )
    assert to_openai_messages([msg])[0] == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "北京"}'}},
            {"id": "t2", "type": "function", "function": {"name": "bad", "arguments": '{"x": '}},
        ],
        "reasoning_content": "hmm",
    }
    replay = AIMessage("", additional_kwargs={"reasoning_content": "because"},
                       tool_calls=[{"name": "f", "args": {}, "id": "c1", "type": "tool_call"}])  # fmt: skip
    entry = to_openai_messages([replay])[0]
    assert entry["content"] is None and entry["reasoning_content"] == "because"
    v1 = AIMessage([{"type": "reasoning", "reasoning": "r"}, {"type": "text", "text": "t"},
                    {"type": "tool_call", "id": "c", "name": "f", "args": {}}])  # fmt: skip
    assert to_openai_messages([v1])[0] == {"role": "assistant", "content": "t", "reasoning_content": "r"}


def test_tool_message_media_follow_the_run_of_tool_messages() -> None:
    calls = [{"name": "shot", "args": {}, "id": i, "type": "tool_call"} for i in ("1", "2")]
    out = to_openai_messages([
        HumanMessage("take screenshots"),
        AIMessage("", tool_calls=calls),
        ToolMessage([{"type": "text", "text": "first"}, {"type": "image", "base64": B64, "mime_type": "image/png"}],
                    tool_call_id="1"),
        ToolMessage([{"type": "image_url", "image_url": {"url": "https://x/2.png"}}], tool_call_id="2"),
        HumanMessage("compare them"),
    ])  # fmt: skip
    assert [m["role"] for m in out] == ["user", "assistant", "tool", "tool", "user", "user"]
    assert out[2] == {"role": "tool", "tool_call_id": "1", "content": "first"}
    assert out[3]["content"] and "image" not in out[3]["content"]
    assert out[4]["content"][1:] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64}"}},
        {"type": "image_url", "image_url": {"url": "https://x/2.png"}},
    ]
    assert to_openai_messages([ToolMessage("plain", tool_call_id="9")]) == [
        {"role": "tool", "tool_call_id": "9", "content": "plain"}
    ]


def test_usage_metadata_details() -> None:
    assert usage_metadata(None) is None
    assert usage_metadata(Usage(10, 5, 15)) == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert usage_metadata(Usage(10, 5, 15, cached_tokens=4, reasoning_tokens=3)) == {
        "input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
        "input_token_details": {"cache_read": 4}, "output_token_details": {"reasoning": 3},
    }  # fmt: skip


def test_chat_result_conversion() -> None:
    result = ChatResult(
        choices=[
            ChatChoice(content="ok", reasoning="think", finish_reason="tool_calls", logprobs={"content": []},
                       tool_calls=[ToolCall("c1", "f", '{"a": 1}', 0, {"a": 1}),
                                   ToolCall("c2", "g", '{"a": ', 1, None, "invalid JSON arguments")]),
            ChatChoice(index=1, content="second", finish_reason="stop"),
        ],
        id="chatcmpl-1", model="gpt-4o-mini-2024", usage=Usage(3, 4, 7, raw={"prompt_tokens": 3}),
        system_fingerprint="fp", host="relay:443",
    )  # fmt: skip
    lc = to_chat_result(result, "gpt-4o-mini")
    first = lc.generations[0].message
    assert first.content == "ok" and first.additional_kwargs == {"reasoning_content": "think"}
    assert first.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]
    assert first.invalid_tool_calls[0]["args"] == '{"a": ' and first.invalid_tool_calls[0]["id"] == "c2"
    assert first.response_metadata == {
        "model_provider": "zzz", "model_name": "gpt-4o-mini-2024", "id": "chatcmpl-1",
        "system_fingerprint": "fp", "gateway_host": "relay:443", "finish_reason": "tool_calls",
        "logprobs": {"content": []},
    }  # fmt: skip
    assert [b["type"] for b in first.content_blocks] == ["reasoning", "text", "tool_call"]
    assert lc.generations[1].message.content == "second"
    assert lc.llm_output["token_usage"] == {"prompt_tokens": 3} and lc.llm_output["gateway_host"] == "relay:443"


def _stream(events: list[dict]) -> AIMessageChunk:
    asm = ChatStreamAssembler()
    conv = StreamConverter("gpt-4o-mini")
    full = None
    # Like the transport: each event's chunks, then the end-of-stream chunks.
    for chunk in [c for event in events for c in asm.feed(event)] + asm.finish():
        gen = conv.chunk(chunk)
        if gen is not None:
            full = gen.message if full is None else full + gen.message
    last = conv.last(asm.result("relay:443")).message
    assert isinstance(last, AIMessageChunk) and last.chunk_position == "last"
    return last if full is None else full + last


def test_stream_chunks_merge_into_tool_calls_without_index_or_ids() -> None:
    # A relay that omits index and ids: zzz_core resolves the indexes, and its end-of-stream chunk the ids.
    events = [
        {"choices": [{"delta": {"role": "assistant", "reasoning_content": "plan"}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": {"name": "f", "arguments": '{"a"'}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": {"arguments": ": 1}"}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": {"name": "g", "arguments": "{}"}}]}}]},
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}},
    ]
    full = _stream(events)
    assert [(c["name"], c["args"], c["id"]) for c in full.tool_calls] == [
        ("f", {"a": 1}, "call_0"),
        ("g", {}, "call_1"),
    ]
    assert full.additional_kwargs["reasoning_content"] == "plan"
    assert full.usage_metadata["total_tokens"] == 7
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_stream_malformed_arguments_become_invalid_tool_calls() -> None:
    events = [
        {"choices": [{"delta": {"tool_calls": [
            {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a": }'}}]}}]},
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]  # fmt: skip
    full = _stream(events)
    assert full.tool_calls == [] and full.invalid_tool_calls[0]["name"] == "f"


def test_stream_converter_skips_empty_chunks() -> None:
    conv = StreamConverter("m")
    assert conv.chunk(ChatChunk(role="assistant")) is None
    assert conv.chunk(ChatChunk(finish_reason="stop")) is None
    assert conv.chunk(ChatChunk(index=1, content="other choice")) is None
    gen = conv.chunk(ChatChunk(tool_calls=[ToolCallDelta(0, "c", "f", "")]))
    assert gen is not None and gen.message.tool_call_chunks[0]["id"] == "c"


def test_stream_chunks_carry_only_what_they_have():
    """LangChain keeps every chunk of a stream: a text chunk sets content and id only (each
    field set grows the model's fields-set), and all chunks share one id string."""
    asm = ChatStreamAssembler()
    conv = StreamConverter("gpt-4o-mini")
    events = [
        {"id": "chatcmpl-" + "x" * 20, "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": w}}]}
        for w in ("a", "b")
    ]
    first, second = (conv.chunk(asm.feed(e)[0]).message for e in events)
    assert first.model_fields_set == second.model_fields_set == {"content", "id"}
    assert first.id is second.id
    assert first.response_metadata == {} and first.additional_kwargs == {} and first.tool_call_chunks == []
    last = conv.last(asm.result()).message
    assert last.response_metadata["model_provider"] == "zzz"
    assert (first + second + last).response_metadata["model_provider"] == "zzz"
