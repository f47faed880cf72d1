"""Reasoning fields and the <think> splitter, whole and streamed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core.reasoning import ThinkSplitter, extract_reasoning, split_think


def stream(parts: list[str]) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    splitter = ThinkSplitter()
    return [splitter.feed(p) for p in parts], splitter.flush()


def joined(parts: list[str]) -> tuple[str, str | None]:
    fed, tail = stream(parts)
    content = "".join(c for c, _ in fed) + tail[0]
    reasoning = "".join(r for _, r in fed) + tail[1]
    return content, reasoning or None


# --- extract_reasoning --------------------------------------------------------------


def test_reasoning_content_first() -> None:
    assert extract_reasoning({"reasoning_content": "a", "reasoning": "b"}) == "a"


def test_new_api_duplicate_fields_are_not_doubled() -> None:
    assert extract_reasoning({"reasoning_content": "same", "reasoning": "same"}) == "same"


def test_falls_back_to_reasoning_when_content_field_empty_or_null() -> None:
    assert extract_reasoning({"reasoning_content": "", "reasoning": "r"}) == "r"
    assert extract_reasoning({"reasoning_content": None, "reasoning": "r"}) == "r"


def test_openrouter_shapes() -> None:
    assert extract_reasoning({"reasoning": {"text": "t", "effort": "high"}}) == "t"
    assert extract_reasoning({"reasoning": [{"type": "reasoning.text", "text": "x"}, {"text": "y"}]}) == "xy"
    details = [
        {"type": "reasoning.summary", "summary": "s"},
        {"type": "reasoning.encrypted", "data": "opaque"},
        {"type": "reasoning.text", "text": "t"},
    ]
    assert extract_reasoning({"reasoning": None, "reasoning_details": details}) == "st"


def test_no_reasoning() -> None:
    assert extract_reasoning({"content": "hi"}) is None
    assert extract_reasoning({"reasoning_content": "", "reasoning": ""}) is None
    assert extract_reasoning({"reasoning": {"effort": "low"}}) is None
    assert extract_reasoning({"reasoning": 3}) is None


# --- split_think --------------------------------------------------------------------


def test_split_think_basic() -> None:
    assert split_think("<think>\nplan\n</think>\n\nThe answer.") == ("The answer.", "plan")


def test_split_think_leading_whitespace_and_no_block() -> None:
    assert split_think("  \n<think>r</think>a") == ("a", "r")
    assert split_think("plain <think>not reasoning</think>") == ("plain <think>not reasoning</think>", None)
    assert split_think("  hi") == ("  hi", None)


def test_split_think_unclosed_and_empty() -> None:
    assert split_think("<think>\nstill thinking ") == ("", "still thinking")
    assert split_think("<think>\n\n</think>\n\nanswer") == ("answer", None)
    assert split_think("<thinking>x</thinking>") == ("<thinking>x</thinking>", None)


# --- ThinkSplitter ------------------------------------------------------------------


def test_splitter_tags_split_across_deltas() -> None:
    fed, tail = stream(["<th", "ink>\nfoo", " bar</thi", "nk>\nanswer", " more"])
    assert fed == [("", ""), ("", "foo"), ("", " bar"), ("answer", ""), (" more", "")]
    assert tail == ("", "")


def test_splitter_passes_plain_text_through_at_once() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hello") == ("Hello", "")
    assert splitter.passthrough
    assert splitter.feed("<think>x</think>") == ("<think>x</think>", "")


def test_splitter_buffers_only_a_possible_tag_prefix() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("\n") == ("", "")
    assert splitter.feed("<thi") == ("", "")
    assert splitter.feed("s is <b>") == ("\n<this is <b>", "")
    assert splitter.passthrough


def test_splitter_holds_only_a_partial_close_suffix() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("<think>a <b> c </") == ("", "a <b> c")
    assert splitter.feed("x") == ("", " </x")
    assert splitter.feed("</think") == ("", "")
    assert splitter.feed(">\r\n") == ("", "")
    assert splitter.feed("\nok") == ("ok", "")


def test_splitter_new_api_thinking_to_content_shape() -> None:
    parts = ["<think>\n", "step 1", "\n\nstep 2", "\n</think>\n", "Final", " answer"]
    fed, tail = stream(parts)
    assert "".join(r for _, r in fed) == "step 1\n\nstep 2"
    assert "".join(c for c, _ in fed) == "Final answer"
    assert tail == ("", "")


def test_splitter_flush_unclosed_block_is_reasoning() -> None:
    fed, tail = stream(["<think>deep", " thought </thin"])
    assert fed == [("", "deep"), ("", " thought")]
    assert tail == ("", " </thin")  # the held space comes back with the held suffix


def test_splitter_flush_undecided_prefix_is_content() -> None:
    assert stream(["  <thin"]) == ([("", "")], ("  <thin", ""))
    assert stream(["   "]) == ([("", "")], ("   ", ""))


# --- properties ---------------------------------------------------------------------

chunk_text = st.text(alphabet=st.sampled_from(list("ab \n<>/thinké中\r")), max_size=20)


def cut(text: str, points: list[int]) -> list[str]:
    marks = sorted({p % (len(text) + 1) for p in points})
    out, start = [], 0
    for m in marks:
        out.append(text[start:m])
        start = m
    out.append(text[start:])
    return out


@settings(max_examples=200, deadline=None)
@given(
    lead=st.sampled_from(["", " ", "\n", " \n "]),
    reasoning=chunk_text.filter(lambda s: "</think>" not in s),
    answer=chunk_text,
    closed=st.booleans(),
    points=st.lists(st.integers(min_value=0, max_value=200), max_size=10),
)
def test_any_split_matches_split_think(lead, reasoning, answer, closed, points) -> None:  # type: ignore[no-untyped-def]
    whole = lead + "<think>" + reasoning + ("</think>" + answer if closed else "")
    expected = (answer.lstrip("\r\n") if closed else "", reasoning.strip() or None)
    assert split_think(whole) == expected
    assert joined(cut(whole, points)) == expected
    assert joined(list(whole)) == expected


@settings(max_examples=200, deadline=None)
@given(text=chunk_text, points=st.lists(st.integers(min_value=0, max_value=200), max_size=10))
def test_any_text_any_split_agrees_with_split_think(text, points) -> None:  # type: ignore[no-untyped-def]
    assert joined(cut(text, points)) == split_think(text)
    if text.strip() and not text.lstrip().startswith("<"):
        fed, _ = stream(cut(text, points))
        assert "".join(c for c, _ in fed) == text  # nothing held back once decided
