"""Payload decoding and the stream assemblers."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core.decode import (
    ChatStreamAssembler,
    CompletionStreamAssembler,
    parse_chat_response,
    parse_completion_response,
    parse_embedding_response,
    parse_models,
)
from zzz_core.types import ChatChunk, ToolCall, ToolCallDelta, Usage

USAGE = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}


def delta(content=None, index=0, finish=None, **fields):  # type: ignore[no-untyped-def]
    d = dict(fields)
    if content is not None:
        d["content"] = content
    return {"index": index, "delta": d, "finish_reason": finish}


def event(*choices, **top):  # type: ignore[no-untyped-def]
    return {
        "id": "chatcmpl-1",
        "model": "deepseek-r1",
        "object": "chat.completion.chunk",
        "choices": list(choices),
        **top,
    }


# --- non-streamed chat -------------------------------------------------------------


def test_chat_response_full() -> None:
    payload = {
        "id": "chatcmpl-9",
        "model": "gpt-4o-mini",
        "created": 1700000000,
        "system_fingerprint": "fp_1",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
                "finish_reason": "tool_calls",
                "logprobs": {"content": [{"token": "x", "logprob": -0.1}]},
            },
            {"index": 1, "message": {"role": "assistant", "content": "hi", "refusal": "no"}, "finish_reason": "stop"},
        ],
        "usage": USAGE,
    }
    result = parse_chat_response(payload, host="api.zhizengzeng.com")
    first, second = result.choices
    assert first.content is None and first.tool_calls == [ToolCall("call_a", "f", "{}", 0, {})]
    assert first.finish_reason == "tool_calls" and first.logprobs == {"content": [{"token": "x", "logprob": -0.1}]}
    assert (second.index, second.content, second.refusal, second.reasoning) == (1, "hi", "no", None)
    assert (result.id, result.model, result.created, result.system_fingerprint) == (
        "chatcmpl-9",
        "gpt-4o-mini",
        1700000000,
        "fp_1",
    )
    assert result.usage == Usage(9, 3, 12, raw=USAGE)
    assert result.host == "api.zhizengzeng.com" and result.raw is payload


def test_chat_response_zhizengzeng_empty_id_and_null_model() -> None:
    result = parse_chat_response({"id": "", "model": None, "choices": [{"message": {"content": "ok"}}]})
    assert (result.id, result.model, result.usage) == (None, None, None)
    assert result.choices[0].content == "ok" and result.choices[0].role == "assistant"


def test_chat_response_reasoning_sources() -> None:
    both = {"content": "A", "reasoning_content": "R", "reasoning": "R"}
    tagged = {"content": "<think>\nR2\n</think>\n\nA2"}
    result = parse_chat_response({"choices": [{"message": both}, {"message": tagged}]})
    assert [(c.index, c.content, c.reasoning) for c in result.choices] == [(0, "A", "R"), (1, "A2", "R2")]


def test_chat_response_content_parts_and_legacy_function_call() -> None:
    msg = {
        "content": [
            {"type": "text", "text": "a"},
            {"type": "image_url", "image_url": {}},
            {"type": "text", "text": "b"},
        ],
        "function_call": {"name": "f", "arguments": '{"x": 1}'},
    }
    choice = parse_chat_response({"choices": [{"message": msg}]}).choices[0]
    assert choice.content == "ab"
    assert choice.tool_calls == [ToolCall("call_0", "f", '{"x": 1}', 0, {"x": 1})]


# --- streamed chat -----------------------------------------------------------------


def test_stream_new_api_shape_with_usage_only_chunk() -> None:
    asm = ChatStreamAssembler()
    assert asm.feed(event(delta("", role="assistant"))) == [
        ChatChunk(0, "", "", [], None, None, None, "chatcmpl-1", "deepseek-r1", None, "assistant")
    ]
    assert not asm.delivered
    asm.feed(event(delta("Hel")))
    assert asm.delivered and asm.content_so_far() == "Hel"
    asm.feed(event(delta("lo", finish="stop")))
    assert asm.saw_finish_reason
    usage_chunks = asm.feed(event(usage=USAGE))
    assert usage_chunks == [ChatChunk(usage=Usage(9, 3, 12, raw=USAGE), id="chatcmpl-1", model="deepseek-r1")]
    assert asm.finish() == []
    result = asm.result(host="h")
    assert (result.choices[0].content, result.choices[0].finish_reason, result.choices[0].role) == (
        "Hello",
        "stop",
        "assistant",
    )
    assert result.usage.total_tokens == 12 and result.id == "chatcmpl-1" and result.host == "h"  # type: ignore[union-attr]


def test_usage_on_the_last_content_chunk_is_attached_to_it() -> None:
    asm = ChatStreamAssembler()
    asm.feed(event(delta("a")))
    (chunk,) = asm.feed(event(delta("b", finish="stop"), usage=USAGE))
    assert chunk.content == "b" and chunk.usage is not None and chunk.usage.total_tokens == 12
    assert asm.finish() == []


def test_cumulative_usage_on_every_chunk_is_delivered_once() -> None:
    asm = ChatStreamAssembler()
    chunks = []
    for n, text in enumerate(["a", "b", "c"], start=1):
        chunks += asm.feed(event(delta(text), usage={"prompt_tokens": 5, "completion_tokens": n}))
    chunks += asm.finish()
    with_usage = [c for c in chunks if c.usage is not None]
    assert len(with_usage) == 1 and with_usage[0].usage.completion_tokens == 3  # type: ignore[union-attr]
    assert asm.result().usage.total_tokens == 8  # type: ignore[union-attr]


def test_stream_think_tags_split_across_chunks() -> None:
    asm = ChatStreamAssembler()
    parts = ["<th", "ink>\nfoo", " bar\n</thi", "nk>\n\nans", "wer"]
    chunks = [c for p in parts for c in asm.feed(event(delta(p)))]
    assert [(c.content, c.reasoning) for c in chunks] == [
        ("", ""),
        ("", "foo"),
        ("", " bar"),
        ("ans", ""),
        ("wer", ""),
    ]
    assert asm.content_so_far() == "answer"
    choice = asm.result().choices[0]
    assert (choice.content, choice.reasoning) == ("answer", "foo bar")


def test_plain_content_drops_the_splitter() -> None:
    asm = ChatStreamAssembler()
    asm.feed(event(delta("Hi")))
    assert asm._choices[0].think is None  # nothing per chunk afterwards
    (chunk,) = asm.feed(event(delta("<think>not a tag</think>")))
    assert (chunk.content, chunk.reasoning) == ("<think>not a tag</think>", "")


def test_reasoning_fields_stream_not_doubled() -> None:
    asm = ChatStreamAssembler()
    asm.feed(event(delta(None, reasoning_content="Let me", reasoning="Let me")))
    asm.feed(event(delta(None, reasoning_content=" think", reasoning=" think")))
    asm.feed(event(delta("Done", finish="stop")))
    assert asm.delivered
    assert (asm.result().choices[0].reasoning, asm.result().choices[0].content) == ("Let me think", "Done")


def test_finish_flushes_an_unclosed_think_block() -> None:
    asm = ChatStreamAssembler()
    asm.feed(event(delta("<think>half </thi")))
    assert asm.finish() == [ChatChunk(0, "", " </thi", id="chatcmpl-1", model="deepseek-r1")]
    assert asm.result().choices[0].reasoning == "half </thi"
    assert asm.result().choices[0].content is None


def test_undecided_prefix_is_released_by_result() -> None:
    asm = ChatStreamAssembler()
    asm.feed(event(delta("<")))
    assert asm.content_so_far() == ""
    assert asm.result().choices[0].content == "<"


def test_stream_tool_calls_and_two_choices() -> None:
    asm = ChatStreamAssembler()
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
    chunks = asm.feed(event(delta(None, index=0, tool_calls=[call]), delta("x", index=1)))
    assert chunks[0].tool_calls == [ToolCallDelta(0, "call_1", "f", "")] and chunks[1].content == "x"
    assert asm.delivered
    repeat = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": '{"a": 1}'}}
    asm.feed(event(delta(None, index=0, tool_calls=[repeat], finish="tool_calls"), delta("y", index=1, finish="stop")))
    result = asm.result()
    assert result.choices[0].tool_calls == [ToolCall("call_1", "f", '{"a": 1}', 0, {"a": 1})]
    assert result.choices[0].finish_reason == "tool_calls"
    assert (result.choices[1].content, result.choices[1].finish_reason) == ("xy", "stop")
    assert asm.content_so_far(1) == "xy" and asm.content_so_far(5) == ""


def test_stream_logprobs_and_fingerprint() -> None:
    asm = ChatStreamAssembler()
    asm.feed(event({"index": 0, "delta": {"content": "a"}, "logprobs": {"content": [{"token": "a"}]}}))
    (chunk,) = asm.feed(
        event(
            {"index": 0, "delta": {"content": "b"}, "logprobs": {"content": [{"token": "b"}]}}, system_fingerprint="fp"
        )
    )
    assert chunk.system_fingerprint == "fp" and chunk.logprobs == {"content": [{"token": "b"}]}
    result = asm.result()
    assert result.choices[0].logprobs == {"content": [{"token": "a"}, {"token": "b"}]}
    assert result.system_fingerprint == "fp"


def test_stream_empty_id_and_missing_choices() -> None:
    asm = ChatStreamAssembler()
    assert asm.feed({"id": "", "model": None}) == []
    assert asm.feed({"id": "", "model": None, "choices": [{"delta": {"content": "z"}}]})[0].id is None
    assert asm.result().id is None and asm.result().choices[0].content == "z"


@settings(max_examples=200, deadline=None)
@given(
    reasoning=st.text(alphabet="ab \n<>/", max_size=15).filter(lambda s: "</think>" not in s),
    answer=st.text(alphabet="ab \n<", max_size=15),
    cuts=st.lists(st.integers(0, 60), max_size=8),
)
def test_streamed_result_matches_non_streamed(reasoning, answer, cuts) -> None:  # type: ignore[no-untyped-def]
    content = "<think>" + reasoning + "</think>\n" + answer
    marks = sorted({c % (len(content) + 1) for c in cuts} | {0, len(content)})
    asm = ChatStreamAssembler()
    for a, b in zip(marks, marks[1:], strict=False):
        asm.feed(event(delta(content[a:b])))
    whole = parse_chat_response({"choices": [{"message": {"content": content}}]}).choices[0]
    streamed = asm.result().choices[0]
    assert (streamed.content or "", streamed.reasoning) == (whole.content, whole.reasoning)


# --- completions -------------------------------------------------------------------


def test_completion_response_and_stream() -> None:
    payload = {
        "id": "cmpl-1",
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"text": "hi", "index": 0}],
        "usage": USAGE,
    }
    result = parse_completion_response(payload, host="h")
    assert (result.choices[0].text, result.usage.total_tokens, result.host) == ("hi", 12, "h")  # type: ignore[union-attr]
    asm = CompletionStreamAssembler()
    asm.feed({"id": "cmpl-1", "choices": [{"index": 0, "text": ""}]})
    assert not asm.delivered
    (chunk,) = asm.feed({"id": "cmpl-1", "choices": [{"index": 0, "text": "Hel"}]})
    assert chunk.text == "Hel" and asm.delivered and asm.content_so_far() == "Hel"
    asm.feed({"id": "cmpl-1", "choices": [{"index": 0, "text": "lo", "finish_reason": "length"}]})
    assert asm.saw_finish_reason
    (usage_chunk,) = asm.feed({"id": "cmpl-1", "choices": [], "usage": USAGE})
    assert usage_chunk.usage.total_tokens == 12 and usage_chunk.text == ""  # type: ignore[union-attr]
    done = asm.result()
    assert (done.choices[0].text, done.choices[0].finish_reason, done.id) == ("Hello", "length", "cmpl-1")


# --- embeddings and models ---------------------------------------------------------


def b64(*floats: float) -> str:
    return base64.b64encode(struct.pack(f"<{len(floats)}f", *floats)).decode()


def test_embeddings_ordered_by_index_and_base64_decoded() -> None:
    payload = {
        "model": "text-embedding-3-small",
        "data": [
            {"index": 2, "embedding": [3.0, 3.5]},
            {"index": 0, "embedding": b64(0.5, -1.25)},
            {"index": 1, "embedding": [1.0, 1.5]},
        ],
        "usage": {"prompt_tokens": 6, "total_tokens": 6},
    }
    result = parse_embedding_response(payload, expected=3, host="h")
    assert result.vectors == [[0.5, -1.25], [1.0, 1.5], [3.0, 3.5]]
    assert (result.model, result.usage.total_tokens, result.host) == ("text-embedding-3-small", 6, "h")  # type: ignore[union-attr]


def test_embeddings_with_broken_indexes_keep_list_order() -> None:
    payload = {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]}
    assert parse_embedding_response(payload).vectors == [[1.0], [2.0]]


def test_embedding_count_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="0 embeddings for 2 inputs"):
        parse_embedding_response({"data": []}, expected=2)
    with pytest.raises(ValueError, match="0 embeddings for 1 inputs"):
        parse_embedding_response({"object": "list"}, expected=1)
    with pytest.raises(ValueError, match="no 'embedding'"):
        parse_embedding_response({"data": [{"index": 0}]})
    with pytest.raises(ValueError):
        parse_embedding_response({"data": [{"index": 0, "embedding": "abc"}]})


def test_parse_models_new_api_and_one_api() -> None:
    payload = json.loads(
        '{"object":"list","data":['
        '{"id":"gpt-4o-mini","object":"model","created":1626777600,"owned_by":"openai",'
        '"supported_endpoint_types":["openai"]},'
        '{"id":"claude-sonnet-4","object":"model","owned_by":"custom","supported_endpoint_types":["openai","anthropic"]},'
        '{"id":"glm-4","object":"model","created":1626777600,"owned_by":"zhipu","permission":[],"root":"glm-4"},'
        '{"object":"model"}]}'
    )
    models = parse_models(payload)
    assert [(m.id, m.owned_by, m.created, m.supported_endpoint_types) for m in models] == [
        ("gpt-4o-mini", "openai", 1626777600, ["openai"]),
        ("claude-sonnet-4", "custom", None, ["openai", "anthropic"]),
        ("glm-4", "zhipu", 1626777600, []),
    ]
    assert models[2].raw["root"] == "glm-4"
    assert parse_models({"data": None}) == [] and parse_models({}) == []


def test_stream_end_names_tool_calls_that_never_got_an_id() -> None:
    from zzz_core.decode import ChatStreamAssembler

    asm = ChatStreamAssembler()
    streamed = asm.feed({"choices": [{"delta": {"tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}}]})
    streamed += asm.feed(
        {"choices": [{"delta": {"tool_calls": [{"index": 1, "id": "c9", "function": {"name": "g"}}]}}]}
    )
    assert [d.id for c in streamed for d in c.tool_calls] == [None, "c9"]
    tail = asm.finish()
    assert [(d.index, d.id, d.name) for c in tail for d in c.tool_calls] == [(0, "call_0", None)]
    assert asm.finish() == []
    assert [tc.id for tc in asm.result().choices[0].tool_calls] == ["call_0", "c9"]
