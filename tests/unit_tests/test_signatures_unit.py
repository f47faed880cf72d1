"""zzz_core.signatures and the decoders: provider fields that must travel back unchanged."""

from __future__ import annotations

from zzz_core.decode import ChatStreamAssembler, parse_chat_response
from zzz_core.reasoning import extract_reasoning
from zzz_core.signatures import (
    BLOCKS_KEY,
    DETAILS_KEY,
    EXTRA_KEY,
    ReasoningDetailsMerger,
    ThinkingBlocksMerger,
    attach_provider_fields,
    provider_fields,
)
from zzz_core.tool_calls import ToolCallAccumulator, parse_tool_calls
from zzz_testing import signatures as sim_signatures

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


# ---------------------------------------------------- Claude thinking_blocks (LiteLLM's shape)
def _thinking(text, sig=None):
    return [{"type": "thinking", "thinking": text, "signature": sig}]


def test_non_streamed_thinking_blocks_are_kept_and_sent_back():
    blocks = [{"type": "thinking", "thinking": "hm", "signature": "EpSig"}, {"type": "redacted_thinking", "data": "x"}]
    msg = {"role": "assistant", "content": None, "reasoning_content": "hm", "thinking_blocks": blocks,
           "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}  # fmt: skip
    choice = parse_chat_response({"choices": [{"index": 0, "message": msg}]}).choices[0]
    assert choice.thinking_blocks == blocks and choice.reasoning == "hm"
    kept = provider_fields(choice)
    assert kept == {BLOCKS_KEY: blocks}
    entry = attach_provider_fields({"role": "assistant", "content": None, "tool_calls": [{"id": "a"}]}, kept)
    assert entry[BLOCKS_KEY] == blocks


def test_streamed_thinking_blocks_merge_into_signed_blocks():
    """LiteLLM's stream: text pieces with signature null, then the signature alone; a second block after it."""
    asm = ChatStreamAssembler()
    asm.feed(_delta(reasoning_content="Let ", thinking_blocks=_thinking("Let ")))
    asm.feed(_delta(reasoning_content="me", thinking_blocks=_thinking("me")))
    asm.feed(_delta(reasoning_content="", thinking_blocks=_thinking("", "EpOne")))
    asm.feed(_delta(thinking_blocks=[{"type": "redacted_thinking", "data": "enc"}]))
    asm.feed(_delta(reasoning_content="again", thinking_blocks=_thinking("again")))
    asm.feed(_delta(thinking_blocks=_thinking("", "EpTw")))
    asm.feed(_delta(thinking_blocks=_thinking("", "o")))  # a signature split over two deltas
    asm.feed(_delta(content="answer"))
    choice = asm.result().choices[0]
    assert choice.reasoning == "Let meagain"
    assert choice.thinking_blocks == [
        {"type": "thinking", "thinking": "Let me", "signature": "EpOne"},
        {"type": "redacted_thinking", "data": "enc"},
        {"type": "thinking", "thinking": "again", "signature": "EpTwo"},
    ]


def test_thinking_blocks_with_an_index_merge_by_it():
    merger = ThinkingBlocksMerger()
    merger.feed([{"type": "thinking", "thinking": "a", "index": 0}, {"type": "thinking", "thinking": "x", "index": 1}])
    merger.feed([{"type": "thinking", "thinking": "b", "signature": "S", "index": 0}, "junk"])
    merger.feed("not a list")
    assert merger.result() == [
        {"type": "thinking", "thinking": "ab", "index": 0, "signature": "S"},
        {"type": "thinking", "thinking": "x", "index": 1},
    ]
    assert ThinkingBlocksMerger().result() is None


def test_reasoning_falls_back_to_thinking_blocks_text():
    assert extract_reasoning({"thinking_blocks": _thinking("a") + _thinking("b", "S")}) == "ab"
    assert extract_reasoning({"thinking_blocks": [{"type": "redacted_thinking", "data": "x"}]}) is None
    assert extract_reasoning({"reasoning_content": "r", "thinking_blocks": _thinking("a")}) == "r"


def test_simulator_claude_check_wants_the_signed_block_on_the_last_tool_call_turn():
    model = "claude-opus-4-1-thinking"
    assert sim_signatures.sends_thinking_blocks(model)
    assert not sim_signatures.sends_thinking_blocks("claude-sonnet-4-5")
    assert not sim_signatures.sends_thinking_blocks("claude-sonnet-4-5-nothinking")
    call = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    good = {"role": "assistant", "tool_calls": call, "thinking_blocks": sim_signatures.thinking_blocks("why")}
    bare = {"role": "assistant", "tool_calls": call}
    user, tool = {"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "c1", "content": "r"}
    assert sim_signatures.check_history(model, [user, good, tool]) is None
    assert sim_signatures.check_history(model, [user, bare, tool, good, tool]) is None  # earlier turns may drop it
    missing = sim_signatures.check_history(model, [user, good, tool, bare, tool])
    assert missing is not None and missing.startswith("messages.3.content.0.type: Expected `thinking`")
    forged = {**good, "thinking_blocks": [{**good["thinking_blocks"][0], "thinking": "edited"}]}
    assert sim_signatures.check_history(model, [user, forged, tool]) == (
        "messages.1.content.0: Invalid `signature` in `thinking` block"
    )
    redacted = {**bare, "thinking_blocks": [{"type": "redacted_thinking", "data": "enc"}]}
    assert sim_signatures.check_history(model, [user, redacted, tool]) is None
