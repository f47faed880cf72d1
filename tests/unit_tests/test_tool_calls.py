"""Tool-call accumulation across relay quirks, validation, and the partial JSON parser."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core.tool_calls import ToolCallAccumulator, parse_partial_json, parse_tool_calls
from zzz_core.types import ToolCall, ToolCallDelta


def run(*feeds: list[dict]) -> tuple[list[ToolCallDelta], list[ToolCall]]:
    acc = ToolCallAccumulator()
    deltas: list[ToolCallDelta] = []
    for raw in feeds:
        deltas.extend(acc.feed(raw))
    return deltas, acc.finish()


def frag(index=None, id=None, name=None, args=None, type_="function"):  # type: ignore[no-untyped-def]
    d: dict = {}
    if index is not None:
        d["index"] = index
    if id is not None:
        d["id"] = id
    if type_ is not None:
        d["type"] = type_
    fn: dict = {}
    if name is not None:
        fn["name"] = name
    if args is not None:
        fn["arguments"] = args
    d["function"] = fn
    return d


def test_openai_shaped_stream() -> None:
    deltas, calls = run(
        [frag(0, "call_a", "get_weather", "")],
        [{"index": 0, "function": {"arguments": '{"city": '}}],
        [{"index": 0, "function": {"arguments": '"Beijing"}'}}],
    )
    assert deltas == [
        ToolCallDelta(0, "call_a", "get_weather", ""),
        ToolCallDelta(0, None, None, '{"city": '),
        ToolCallDelta(0, None, None, '"Beijing"}'),
    ]
    assert calls == [ToolCall("call_a", "get_weather", '{"city": "Beijing"}', 0, {"city": "Beijing"})]


def test_repeated_id_and_name_are_never_concatenated() -> None:
    deltas, calls = run(
        [frag(0, "call_1", "search", '{"q"')],
        [frag(0, "call_1", "search", ': "x"}')],
    )
    assert [(c.id, c.name, c.args) for c in calls] == [("call_1", "search", {"q": "x"})]
    assert deltas[1] == ToolCallDelta(0, None, None, ': "x"}')


def test_missing_index_resolved_by_id() -> None:
    _, calls = run(
        [frag(None, "a", "f", '{"x":')],
        [frag(None, "b", "g", '{"y":')],
        [frag(None, "a", None, "1}")],
        [frag(None, "b", None, "2}")],
    )
    assert [(c.index, c.id, c.name, c.args) for c in calls] == [(0, "a", "f", {"x": 1}), (1, "b", "g", {"y": 2})]


def test_missing_index_and_id_continue_the_most_recent_call() -> None:
    _, calls = run(
        [frag(None, "a", "f", "")],
        [{"function": {"arguments": '{"x": '}}],
        [{"function": {"arguments": "1}"}}],
    )
    assert [(c.id, c.args) for c in calls] == [("a", {"x": 1})]


def test_whole_calls_without_ids_or_indexes() -> None:
    _, calls = run(
        [frag(name="f", args='{"a": 1}', type_=None)],
        [frag(name="g", args='{"b": 2}', type_=None)],
        [frag(name="h", args="{}"), frag(name="h", args="{}")],
    )
    assert [(c.id, c.name, c.args) for c in calls] == [
        ("call_0", "f", {"a": 1}),
        ("call_1", "g", {"b": 2}),
        ("call_2", "h", {}),
        ("call_3", "h", {}),
    ]


def test_sparse_indexes_starting_at_one_stay_distinct_and_ordered() -> None:
    _, calls = run(
        [frag(5, "e", "later", "{}")],
        [frag(1, "b", "first", "")],
        [frag(1, None, None, '{"k": true}')],
    )
    assert [(c.index, c.id, c.name, c.args) for c in calls] == [(1, "b", "first", {"k": True}), (5, "e", "later", {})]


def test_parallel_calls_interleaved_in_one_delta() -> None:
    _, calls = run(
        [frag(0, "a", "f", '{"n":'), frag(1, "b", "g", '{"m":')],
        [frag(1, None, None, "2}"), frag(0, None, None, "1}")],
    )
    assert [(c.id, c.args) for c in calls] == [("a", {"n": 1}), ("b", {"m": 2})]


def test_same_index_with_a_new_id_is_a_new_call() -> None:
    _, calls = run(
        [frag(0, "a", "f", '{"x": 1}')],
        [frag(0, "b", "g", "")],
        [frag(0, None, None, '{"y": 2}')],
    )
    assert [(c.index, c.id, c.name, c.args) for c in calls] == [(0, "a", "f", {"x": 1}), (1, "b", "g", {"y": 2})]


def test_function_missing_or_null_and_type_missing() -> None:
    deltas, calls = run(
        [{"index": 0, "id": "a", "function": None}],
        [{"index": 0}],
        [{"index": 0, "function": {"name": "f", "arguments": None}}],
        [{"index": 0, "function": {"arguments": "{}"}}],
        ["not a dict"],  # type: ignore[list-item]
    )
    assert deltas == [ToolCallDelta(0, "a"), ToolCallDelta(0, None, "f"), ToolCallDelta(0, None, None, "{}")]
    assert calls == [ToolCall("a", "f", "{}", 0, {})]


def test_name_streamed_in_pieces_before_arguments() -> None:
    deltas, calls = run(
        [frag(0, "a", "get_", "")],
        [frag(0, None, "weather", "")],
        [frag(0, None, "get_weather", '{"c": 1}')],  # cumulative repeat: nothing new
        [frag(0, None, "other", "")],  # after arguments started: ignored
    )
    assert calls[0].name == "get_weather"
    assert [d.name for d in deltas] == ["get_", "weather", None]


def test_cumulative_name_takes_only_the_new_part() -> None:
    deltas, calls = run([frag(0, "a", "get", "")], [frag(0, None, "get_time", "")])
    assert calls[0].name == "get_time"
    assert deltas[1].name == "_time"


def test_dict_arguments_are_serialized() -> None:
    _, calls = run([frag(0, "a", "f", {"x": "中"})])  # type: ignore[arg-type]
    assert calls[0].arguments == '{"x": "中"}' and calls[0].args == {"x": "中"}


def test_invalid_and_non_object_arguments_are_reported() -> None:
    _, calls = run([frag(0, "a", "f", '{"x": ')], [frag(1, "b", "g", "[1, 2]")], [frag(2, "c", "h", "  ")])
    bad, listy, empty = calls
    assert bad.args is None and bad.arguments == '{"x": ' and bad.error.startswith("invalid JSON arguments: ")
    assert listy.args is None and "expected an object, got list" in listy.error
    assert empty.args == {} and empty.error is None


def test_missing_ids_are_deterministic_and_missing_name_is_reported() -> None:
    _, calls = run([{"index": 3, "function": {"arguments": "{}"}}])
    assert calls == [ToolCall("call_3", "", "{}", 3, {}, "tool call without a function name")]


def test_finish_is_repeatable() -> None:
    acc = ToolCallAccumulator()
    acc.feed([frag(0, "a", "f", "{}")])
    assert acc.finish() == acc.finish()


def test_parse_tool_calls_non_streamed() -> None:
    raw = [
        {"id": "call_x", "type": "function", "function": {"name": "f", "arguments": '{"a": [1]}'}},
        {"function": {"name": "g", "arguments": "oops"}},
        {"id": "z", "function": None},
        None,
    ]
    calls = parse_tool_calls(raw)  # type: ignore[arg-type]
    assert calls[0] == ToolCall("call_x", "f", '{"a": [1]}', 0, {"a": [1]})
    assert (calls[1].id, calls[1].args, calls[1].arguments) == ("call_1", None, "oops")
    assert calls[1].error.startswith("invalid JSON arguments")
    assert (calls[2].id, calls[2].args, calls[2].error) == ("z", {}, "tool call without a function name")
    assert len(calls) == 3
    assert parse_tool_calls(None) == [] and parse_tool_calls([]) == []


# --- partial JSON ---------------------------------------------------------------


def test_partial_json_table() -> None:
    cases = {
        '{"a": "hel': {"a": "hel"},
        '{"a": 1, "b': {"a": 1},
        '{"a": 1, "b"': {"a": 1},
        '{"a": 1, "b":': {"a": 1},
        '{"a": 1,': {"a": 1},
        '{"a": [1, 2': {"a": [1, 2]},
        '{"a": [1, ': {"a": [1]},
        '{"a": {"b": tr': {"a": {}},
        '{"a": {"b": true': {"a": {"b": True}},
        '{"a": "x\\u4e': {"a": "x"},
        '{"a": "x\\': {"a": "x"},
        '{"a": "line\nbreak': {"a": "line\nbreak"},
        '{"a": 12': {"a": 12},
        '{"a": -': {},
        '{"a": 1.': {"a": 1},
        '{"a": [{"b": "c"}, {"d': {"a": [{"b": "c"}, {}]},
        "{": {},
        '  {"a": null}  ': {"a": None},
        '{"a": 1}{"b": 2}': {"a": 1},
    }
    for text, expected in cases.items():
        assert parse_partial_json(text) == expected, text


def test_partial_json_returns_none_when_nothing_sensible() -> None:
    for text in ["", "   ", "x", "[1, 2]", '"str"', "42", "{]"[1:], None, 5]:
        assert parse_partial_json(text) is None, text  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(obj=st.dictionaries(st.text(max_size=5), json_values, max_size=4), ascii_=st.booleans())
def test_partial_json_on_every_prefix(obj, ascii_) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps(obj, ensure_ascii=ascii_)
    assert parse_partial_json(text) == obj
    for i in range(len(text)):
        value = parse_partial_json(text[:i])
        assert value is None or isinstance(value, dict)
        if text[:i].strip().startswith("{"):
            assert isinstance(value, dict)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet='{}[]",:0123456789.-+eEtrunfalsx\\ \n', max_size=40))
def test_partial_json_never_raises(text) -> None:  # type: ignore[no-untyped-def]
    value = parse_partial_json(text)
    assert value is None or isinstance(value, dict)


# --- chunking property ------------------------------------------------------------

calls_strategy = st.lists(
    st.tuples(
        st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True),
        st.dictionaries(st.text(max_size=4), json_values, max_size=3),
    ),
    min_size=1,
    max_size=4,
)


def pieces(text: str, rnd: random.Random) -> list[str]:
    cuts = sorted(rnd.sample(range(len(text) + 1), k=min(len(text) + 1, rnd.randint(0, 4))))
    out, start = [], 0
    for c in cuts:
        out.append(text[start:c])
        start = c
    out.append(text[start:])
    return out


@settings(max_examples=200, deadline=None)
@given(
    calls=calls_strategy,
    mode=st.sampled_from(["indexed", "indexed_repeat", "id_every", "id_first", "whole"]),
    base=st.integers(min_value=0, max_value=2),
    step=st.integers(min_value=1, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_any_chunking_gives_the_same_calls(calls, mode, base, step, seed) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(seed)
    streams: list[list[dict]] = []
    for k, (name, args) in enumerate(calls):
        cid, text = f"id{k}", json.dumps(args, ensure_ascii=rnd.random() < 0.5)
        if mode == "whole":
            streams.append([frag(None if rnd.random() < 0.5 else base + k * step, cid, name, text)])
            continue
        parts = pieces(text, rnd)
        frags = []
        for j, part in enumerate(parts):
            first = j == 0
            index = base + k * step if mode.startswith("indexed") else None
            repeat = mode in ("indexed_repeat", "id_every")
            frags.append(
                frag(
                    index,
                    cid if first or repeat else None,
                    name if first or mode == "indexed_repeat" else None,
                    part,
                    "function" if first else None,
                )
            )
        streams.append(frags)
    # Interleave calls where the wire format allows it; id_first must stay sequential.
    feeds: list[list[dict]] = []
    if mode in ("id_first", "whole"):
        feeds = [[f] for s in streams for f in s]
    else:
        queues = [list(s) for s in streams]
        while any(queues):
            live = [q for q in queues if q]
            batch = [q.pop(0) for q in rnd.sample(live, k=rnd.randint(1, len(live)))]
            feeds.append(batch)
    _, got = run(*feeds)
    assert sorted((c.id, c.name, c.args, c.error) for c in got) == sorted(
        (f"id{k}", name, args, None) for k, (name, args) in enumerate(calls)
    )
    assert [c.index for c in got] == sorted({c.index for c in got})
    if mode.startswith("indexed"):
        assert [c.index for c in got] == [base + k * step for k in range(len(calls))]


def test_wire_index_taken_by_an_index_less_call_gets_a_fresh_index() -> None:
    _, calls = run([frag(None, "a", "f", "{}")], [frag(0, "b", "g", "")], [frag(0, None, None, '{"z": 0}')])
    assert [(c.index, c.id, c.args) for c in calls] == [(0, "a", {}), (1, "b", {"z": 0})]


def test_id_arriving_on_a_later_fragment_is_registered() -> None:
    _, calls = run(
        [{"index": 0, "function": {"name": "f", "arguments": ""}}],
        [{"index": 0, "id": "late", "function": {"arguments": '{"a":'}}],
        [{"id": "late", "function": {"arguments": " 1}"}}],  # no index: found by the id
    )
    assert [(c.id, c.args) for c in calls] == [("late", {"a": 1})]


def test_digit_string_index() -> None:
    _, calls = run([frag("1", "a", "f", "")], [frag("1", None, None, "{}")])  # type: ignore[arg-type]
    assert [(c.index, c.id, c.args) for c in calls] == [(1, "a", {})]
