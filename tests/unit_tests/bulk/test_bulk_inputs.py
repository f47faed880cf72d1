"""Reading bulk inputs: the line forms, stable ids, line-numbered errors, duplicates."""

from __future__ import annotations

import json

import pytest

from zzz_core.bulk.inputs import BulkInputError, iter_items, parse_item, scan, stable_id


def _write(tmp_path, lines):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    return path


def test_batch_api_line_and_shorthands(tmp_path):
    path = _write(tmp_path, [
        {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}},
        {"custom_id": "b", "messages": [{"role": "user", "content": "你好"}], "temperature": 0},
        "",
        {"prompt": "Once upon"},
        {"input": "embed me"},
    ])  # fmt: skip
    items = list(iter_items(path, model="m"))
    assert [i.kind for i in items] == ["chat", "chat", "completions", "embeddings"]
    assert items[0].body["model"] == "gpt-4o"  # kept: model= only fills a missing one
    assert items[1].body == {"messages": [{"role": "user", "content": "你好"}], "temperature": 0, "model": "m"}
    assert [i.line for i in items] == [1, 2, 4, 5]
    assert items[2].custom_id == stable_id({"prompt": "Once upon"})
    assert items[3].url == "/v1/embeddings"


def test_stable_id_ignores_key_order_and_spacing():
    assert stable_id({"a": 1, "b": [1, 2]}) == stable_id(json.loads('{ "b": [1,2], "a": 1 }'))
    assert stable_id({"a": 1}) != stable_id({"a": 2})


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"custom_id": 3, "input": "x"}', "custom_id must be a non-empty string"),
        ('{"text": "x"}', "shorthands"),
        ('{"messages": [], "model": "m"}', "messages must be a non-empty list"),
        ('{"messages": ["hi"]}', "messages[0]"),
        ('{"input": ""}', "input must be"),
        ('{"prompt": 3}', "prompt must be"),
        ('{"url": "/v1/images", "body": {}}', "unsupported url"),
        ('{"url": "/v1/embeddings", "method": "GET", "body": {"input": "x"}}', 'method must be "POST"'),
        ('{"url": "/v1/embeddings", "body": "x"}', "body must be a JSON object"),
        ('{"url": "/v1/embeddings", "body": {"input": "x"}, "extra": 1}', "unexpected keys"),
        ('{"input": "x", "stream": true}', "stream is not supported"),
    ],
)
def test_malformed_line_names_its_number(tmp_path, line, needle):
    path = _write(tmp_path, [{"input": "fine"}, line])
    with pytest.raises(BulkInputError) as info:
        scan(path, model="m")
    assert info.value.line == 2
    assert f"{path}:line 2: " in str(info.value)
    assert needle in str(info.value)


def test_a_line_that_is_not_utf8_is_named(tmp_path):
    # json.loads(bytes) raises UnicodeDecodeError, itself a ValueError: it must not be read as a JSONDecodeError.
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"input": "fine"}\n{"input": "\xff\xfe"}\n')
    with pytest.raises(BulkInputError) as info:
        scan(path, model="m")
    assert info.value.line == 2
    assert "not UTF-8 text" in str(info.value)


def test_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(BulkInputError, match="pass --model"):
        scan(_write(tmp_path, [{"input": "x"}]))


def test_kind_mismatch(tmp_path):
    with pytest.raises(BulkInputError, match="zzz bulk embed"):
        scan(_write(tmp_path, [{"input": "x"}]), kind="chat", model="m")


def test_duplicate_custom_id(tmp_path):
    path = _write(tmp_path, [{"custom_id": "x", "input": "a"}, {"custom_id": "y", "input": "b"},
                             {"custom_id": "x", "input": "c"}])  # fmt: skip
    with pytest.raises(BulkInputError, match="line 3: custom_id 'x' was already used on line 1"):
        scan(path, model="m")


def test_identical_lines_without_id_are_a_duplicate(tmp_path):
    path = _write(tmp_path, [{"input": "a"}, {"input": "b"}, {"input": "a"}])
    with pytest.raises(BulkInputError, match="line 3: repeats line 1 exactly"):
        scan(path, model="m")


def test_scan_counts_and_iterables():
    source = [{"input": "a"}, '{"input": "b"}', {"messages": [{"role": "user", "content": "q"}]}]
    summary = scan(source, model="m")
    assert summary.count == 3 and summary.kinds == {"embeddings", "chat"}
    with pytest.raises(BulkInputError, match="line 2"):
        list(iter_items([{"input": "a"}, "{"], model="m"))


def test_parse_item_does_not_modify_the_callers_body():
    body = {"input": "x"}
    item = parse_item({"url": "/v1/embeddings", "body": body}, line=1, model="m")
    assert item.body["model"] == "m" and "model" not in body


def test_chat_lines_pair_ids_with_conversations_lazily():
    from zzz_core.bulk.inputs import chat_lines

    msgs = [[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]
    assert list(chat_lines(msgs, ids=["x", "y"], temperature=0)) == [
        {"messages": msgs[0], "temperature": 0, "custom_id": "x"},
        {"messages": msgs[1], "temperature": 0, "custom_id": "y"},
    ]
    assert "custom_id" not in next(chat_lines(msgs))
    lines = chat_lines(msgs, ids=["x"])
    assert next(lines)["custom_id"] == "x"
    with pytest.raises(ValueError, match="give one id per request"):
        next(lines)


def test_duplicate_among_many_ids_names_both_lines():
    # Enough ids that every bucket of the check holds several (256 buckets).
    source = [{"custom_id": f"id-{i}", "input": "x"} for i in range(5000)]
    source.append({"custom_id": "id-1234", "input": "y"})
    with pytest.raises(BulkInputError, match="line 5001: custom_id 'id-1234' was already used on line 1235"):
        scan(source, model="m")
    assert scan(source[:-1], model="m").count == 5000


def test_a_hash_collision_is_not_reported_as_a_duplicate(monkeypatch):
    import zzz_core.bulk.inputs as inputs

    # Every id hashes alike: the check must compare the ids themselves before it reports.
    monkeypatch.setattr(inputs, "_scan_hash", lambda custom_id: 7)
    assert scan([{"custom_id": f"q{i}", "input": "x"} for i in range(50)], model="m").count == 50
    with pytest.raises(BulkInputError, match="line 3: custom_id 'q0' was already used on line 1"):
        scan([{"custom_id": "q0", "input": "x"}, {"custom_id": "q1", "input": "x"},
              {"custom_id": "q0", "input": "x"}], model="m")  # fmt: skip


def test_the_duplicate_check_keeps_about_8_bytes_per_item():
    import tracemalloc

    n = 60_000
    source = [{"custom_id": f"item-{i}", "input": "x"} for i in range(n)]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        assert scan(source, model="m").count == n
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # The hashes in arrays are 8 bytes each (+ the arrays' growth room); sorting all of
    # them at once would box each into a Python int in a list, 40 bytes more per item.
    assert peak < 12 * n + 200_000, f"{peak / n:.1f} bytes per item"
