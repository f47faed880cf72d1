"""Embedding answers split as text: vectors are checked and copied, never decoded and printed again."""

from __future__ import annotations

import base64
import json
import struct

import pytest

from zzz_core.bulk.inputs import BulkItem, iter_items
from zzz_core.bulk.packing import pack_key, split_answer
from zzz_core.bulk.results import ResultsFile, iter_outcomes, load_index, read_results, success_lines
from zzz_core.bulk.vectors import RawVector, checked_vectors, loads_embeddings


def answer(vectors: list[str], *, spaces: bool = False, order: list[int] | None = None) -> bytes:
    """An /v1/embeddings answer whose vectors are the given JSON texts, as OpenAI lays it out."""
    sep = ": " if spaces else ":"
    order = order if order is not None else list(range(len(vectors)))
    data = ",".join(f'{{"object"{sep}"embedding","index"{sep}{i},"embedding"{sep}{vectors[i]}}}' for i in order)
    usage = '"usage":{"prompt_tokens":10,"total_tokens":10}'
    return f'{{"object":"list","data":[{data}],"model":"text-embedding-3-small",{usage}}}'.encode()


def items(n: int, **params: object) -> list[BulkItem]:
    lines = [{"custom_id": f"c{i}", "input": f"text number {i}", **params} for i in range(n)]
    return list(iter_items(lines, kind="embeddings", model="text-embedding-3-small"))


FLOATS = ["[0.0123456789,-0.5,1e-07]", "[-0.25,0.125,3.0]", "[1,2,-3]"]


def test_float_vectors_come_back_as_their_own_text_and_the_rest_as_json_loads_reads_it() -> None:
    raw = answer(FLOATS)
    payload = loads_embeddings(raw)
    assert [e["embedding"] for e in payload["data"]] == [RawVector(v.encode()) for v in FLOATS]
    plain = json.loads(raw)
    for entry in plain["data"]:
        entry["embedding"] = RawVector(json.dumps(entry["embedding"], separators=(",", ":")).encode())
    assert {k: v for k, v in payload.items() if k != "data"} == {k: v for k, v in plain.items() if k != "data"}
    assert [e["index"] for e in payload["data"]] == [0, 1, 2]
    assert payload["data"][1]["embedding"].floats() == [-0.25, 0.125, 3.0]


def test_spaces_around_the_colon_and_inside_the_vector_are_read_too() -> None:
    payload = loads_embeddings(answer(["[0.5, -0.5]", "[ 1.0 ,2.0 ]"], spaces=True))
    assert [e["embedding"].text for e in payload["data"]] == [b"[0.5, -0.5]", b"[ 1.0 ,2.0 ]"]
    assert len(checked_vectors(payload, 2)) == 2


@pytest.mark.parametrize(
    "raw",
    [
        b'{"data":[{"index":0,"embedding":[[1,2],[3]]}]}',  # nested: no placeholder may stay
        b'{"data":[{"index":0,"embedding":["a]b"]}]}',  # a string with a bracket inside
        b'{"other":{"embedding":[1,2]},"data":[{"index":0,"embedding":[3]}]}',  # an array outside data
        b'{"code":1001,"msg":"\\u4f59\\u989d\\u4e0d\\u8db3"}',  # an error envelope: no vectors at all
        b'{"data":[{"index":0,"embedding":"AAAAAA=="}]}',  # base64: parsed as it is
    ],
)
def test_anything_unusual_reads_exactly_as_json_loads(raw: bytes) -> None:
    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return json.loads(value.text) if isinstance(value, RawVector) else value

    assert plain(loads_embeddings(raw)) == json.loads(raw)


@pytest.mark.parametrize(
    "raw", [b'{"data":[{"index":0,"embedding":[0.1,0.2', b'{"data":[{"index":0,"embedding":[1]}', b"<html>"]
)
def test_a_cut_off_or_non_json_answer_raises_as_json_loads_does(raw: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(raw)
    with pytest.raises(ValueError):
        loads_embeddings(raw)


@pytest.mark.parametrize(
    ("vectors", "expected", "message"),
    [
        (FLOATS[:2], 3, "returned 2 embeddings for 3 inputs"),
        (["[0.1,NaN]", "[1,2]"], 2, "not a list of numbers"),
        (["[0.1,2]", "[1,Infinity]"], 2, "not a list of numbers"),
        (["[]", "[1]"], 2, "empty"),
        (["[1,2]", "[1,]"], 2, "empty"),
        (["[1,2]", "[1,2,3]"], 2, "embedding 1 has 3 values, embedding 0 has 2"),
        (["[1.2.3,2]", "[1,2]"], 2, "not valid JSON"),
        (['"not base64!"', '"AAAAAA=="'], 2, "neither a list nor base64"),
        (['"AAAA"', '"AAAA"'], 2, "not whole float32 values"),
    ],
)
def test_an_unusable_answer_is_a_value_error_naming_what_is_wrong(vectors, expected, message) -> None:
    with pytest.raises(ValueError, match=message):
        checked_vectors(loads_embeddings(answer(vectors)), expected)


def test_entries_are_put_in_index_order_and_relays_numbering_all_zero_keep_list_order() -> None:
    payload = loads_embeddings(answer(FLOATS, order=[2, 0, 1]))
    assert [e["index"] for e in checked_vectors(payload, 3)] == [0, 1, 2]
    zeros = {"data": [{"index": 0, "embedding": [float(i)]} for i in range(3)]}
    assert [e["embedding"] for e in checked_vectors(zeros, 3)] == [[0.0], [1.0], [2.0]]


def test_a_packed_answer_becomes_one_results_line_per_item_as_if_sent_alone(tmp_path) -> None:
    floats = [[0.0123456789, -0.5], [-0.25, 0.125], [1e-07, 3.0]]
    b64 = base64.b64encode(struct.pack("<2f", 0.5, -2.0)).decode()
    raw = answer([json.dumps(v, separators=(",", ":")) for v in floats[:2]] + [f'"{b64}"'], order=[1, 2, 0])
    its = items(3, dimensions=2)
    bodies = split_answer(loads_embeddings(raw), its)
    out = ResultsFile(tmp_path / "out.jsonl").open()
    out.write_lines(success_lines(zip([i.custom_id for i in its], bodies, strict=True), request_id='req-"1"'), 3)
    out.close()
    records = list(read_results(tmp_path / "out.jsonl"))  # plain json reads every line
    assert [r["custom_id"] for r in records] == ["c0", "c1", "c2"]
    assert all(r["error"] is None and r["response"]["request_id"] == 'req-"1"' for r in records)
    bodies_read = [r["response"]["body"] for r in records]
    assert [b["data"][0]["embedding"] for b in bodies_read] == [floats[0], floats[1], b64]  # as the gateway sent them
    assert all(b["data"][0]["index"] == 0 and b["data"][0]["object"] == "embedding" for b in bodies_read)
    assert all(b["model"] == "text-embedding-3-small" and b["object"] == "list" for b in bodies_read)
    assert sum(b["usage"]["total_tokens"] for b in bodies_read) == 10  # the shares add up
    # The library's reader decodes either form to floats, and the fast done-index finds every line.
    assert [o.vectors for o in iter_outcomes(tmp_path / "out.jsonl")] == [[floats[0]], [floats[1]], [[0.5, -2.0]]]
    index = load_index(tmp_path / "out.jsonl")
    assert index.done == {"c0", "c1", "c2"} and index.ok == 3 and index.bad_lines == 0


def test_ids_that_need_escaping_are_escaped() -> None:
    ids = ['quote " and \\ back', "换行\n", "\u2028"]
    body = (b'{"data":[]}',)
    lines = success_lines([(i, body) for i in ids]).splitlines()
    assert [json.loads(line)["custom_id"] for line in lines] == ids


def test_pack_key_tells_types_apart_and_lets_equal_parameters_share() -> None:
    one, true, other = items(1, dimensions=1)[0], items(1, dimensions=True)[0], items(2, dimensions=1)[1]
    assert pack_key(one) == pack_key(other) != pack_key(true)
    nested = items(2, extra_body={"a": [1]})
    assert pack_key(nested[0]) == pack_key(nested[1]) is not None
    listed = list(iter_items([{"input": ["a", "b"]}], kind="embeddings", model="m"))[0]
    assert pack_key(listed) is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_parsed_float_lists_with_nan_or_infinity_are_refused(bad: float) -> None:
    payload = json.loads(json.dumps({"data": [{"index": 0, "embedding": [0.5, bad]}]}))  # json reads NaN
    with pytest.raises(ValueError, match="not a finite number"):
        checked_vectors(payload, 1)


def test_an_invalid_embedding_value_never_takes_another_entrys_vector() -> None:
    raw = b'{"embedding":[9,9],"data":[{"index":0,"embedding":0},{"index":1,"embedding":[1,2]}]}'
    payload = loads_embeddings(raw)
    assert payload["data"][0]["embedding"] == 0 and payload["embedding"] == [9, 9]  # read as json.loads reads it
    with pytest.raises(ValueError, match="embedding 0 is not a vector"):
        checked_vectors(payload, 2)
