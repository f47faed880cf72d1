"""zzz_core.signatures and the decoders: provider fields that must travel back unchanged."""

from __future__ import annotations

from zzz_core.decode import ChatStreamAssembler, parse_chat_response
from zzz_core.signatures import (
    DETAILS_KEY,
    EXTRA_KEY,
    ReasoningDetailsMerger,
    attach_provider_fields,
    provider_fields,
)
from zzz_core.tool_calls import ToolCallAccumulator, parse_tool_calls

SIG = {"google": {"thought_signature": "CuMBAY89a1" * 20}}


def _delta(**delta):
    return {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": delta}]}


def test_non_streamed_extra_content_and_details_are_kept_verbatim():
    details = [{"type": "reasoning.text", "text": "hm", "signature": "sig", "index": 0}]
    result = parse_chat_response(
        {
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "reasoning_details": details,
                        "tool_calls": [
                            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"},
                             "extra_content": SIG},
                            {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
                        ],
                    },
                }
            ]
        }
    )  # fmt: skip
    choice = result.choices[0]
    assert [c.extra for c in choice.tool_calls] == [SIG, None]
    assert choice.reasoning == "hm"
    assert provider_fields(choice) == {EXTRA_KEY: {"a": SIG}, DETAILS_KEY: details}


def test_plain_answers_have_no_provider_fields():
    result = parse_chat_response({"choices": [{"message": {"content": "hi", "reasoning_content": "r"}}]})
    assert provider_fields(result.choices[0]) == {}
    assert (
        parse_tool_calls([{"id": "x", "function": {"name": "f", "arguments": "{}"}, "extra_content": {}}])[0].extra
        is None
    )


def test_streamed_signature_on_the_first_delta_is_kept_once():
    acc = ToolCallAccumulator()
    acc.feed([{"index": 0, "id": "a", "function": {"name": "f", "arguments": ""}, "extra_content": SIG}])
    acc.feed([{"index": 0, "function": {"arguments": '{"x"'}, "extra_content": SIG}])  # a relay repeating it
    acc.feed([{"index": 0, "function": {"arguments": ": 1}"}}])
    acc.feed([{"index": 1, "id": "b", "function": {"name": "g", "arguments": "{}"}}])
    calls = acc.finish()
    assert [(c.id, c.args, c.extra) for c in calls] == [("a", {"x": 1}, SIG), ("b", {}, None)]


def test_streamed_reasoning_details_merge_by_index():
    asm = ChatStreamAssembler()
    asm.feed(_delta(reasoning="Let ", reasoning_details=[{"type": "reasoning.text", "text": "Let ", "index": 0,
                                                           "format": "anthropic-claude-v1"}]))  # fmt: skip
    asm.feed(_delta(reasoning="me", reasoning_details=[{"type": "reasoning.text", "text": "me", "index": 0}]))
    asm.feed(_delta(reasoning_details=[{"type": "reasoning.text", "text": "", "signature": "Er12", "index": 0}]))
    asm.feed(_delta(reasoning_details=[{"type": "reasoning.encrypted", "data": "xyz", "index": 1}]))
    choice = asm.result().choices[0]
    assert choice.reasoning == "Let me"
    assert choice.reasoning_details == [
        {"type": "reasoning.text", "text": "Let me", "index": 0, "format": "anthropic-claude-v1", "signature": "Er12"},
        {"type": "reasoning.encrypted", "data": "xyz", "index": 1},
    ]


def test_merger_without_index_uses_list_position():
    merger = ReasoningDetailsMerger()
    merger.feed([{"type": "reasoning.summary", "summary": "a"}])
    merger.feed([{"type": "reasoning.summary", "summary": "b"}, "junk"])
    merger.feed("not a list")
    assert merger.result() == [{"type": "reasoning.summary", "summary": "ab"}]
    assert ReasoningDetailsMerger().result() is None


def test_attach_puts_fields_back_by_tool_call_id():
    entry = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "b", "function": {}}, {"id": "a", "function": {}}],
    }
    kept = {EXTRA_KEY: {"a": SIG, "gone": SIG}, DETAILS_KEY: [{"type": "reasoning.encrypted", "data": "x"}]}
    out = attach_provider_fields(entry, kept)
    assert out is entry
    assert [c.get("extra_content") for c in entry["tool_calls"]] == [None, SIG]
    assert entry[DETAILS_KEY] == kept[DETAILS_KEY]
    assert EXTRA_KEY not in entry
    plain = {"role": "assistant", "content": "hi"}
    assert attach_provider_fields(plain, {}) == {"role": "assistant", "content": "hi"}
