"""The runner's embedding path records vectors as the gateway sent them (zzz_core.bulk.vectors):
float lines read back as floats with plain json and with the library's reader, base64 lines as
base64 that the reader decodes, and an unusable answer is a typed error on each of its items."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from bulk_kit import KEY, recorded, write_input

from zzz_core import Gateway, ZZZConfig, build_embedding_request
from zzz_core.bulk import iter_outcomes, load_index, run_bulk
from zzz_testing import Fault

MODEL = "text-embedding-3-small"


def _embed_alone(sim, text: str, dims: int) -> list[float]:
    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url))
    return gw.embed(build_embedding_request(MODEL, [text], dimensions=dims)).vectors[0]


def _lines(path, n: int, **params) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"custom_id": f"q{i}", "input": f"item {i}", **params}) + "\n")


def test_float_lines_read_back_as_floats_with_plain_json_and_the_reader(tmp_path, zzz_simulator, settings):
    _lines(tmp_path / "in.jsonl", 300, dimensions=64)
    out = tmp_path / "out.jsonl"
    report = run_bulk(tmp_path / "in.jsonl", out, kind="embed", model=MODEL, **settings)
    assert report.complete and report.succeeded == 300 and zzz_simulator.count("/embeddings") == 2
    sent = [r.body for r in zzz_simulator.requests]
    assert all("encoding_format" not in body for body in sent)  # floats asked, as the lines did
    by_id = {r["custom_id"]: r for r in recorded(out)}
    for i in (0, 255, 299):
        vector = by_id[f"q{i}"]["response"]["body"]["data"][0]["embedding"]
        assert isinstance(vector, list) and all(isinstance(v, float) for v in vector) and len(vector) == 64
        assert vector == pytest.approx(_embed_alone(zzz_simulator, f"item {i}", 64), abs=1e-6)
    outcomes = {o.custom_id: o for o in iter_outcomes(out)}
    assert outcomes["q7"].vectors == [by_id["q7"]["response"]["body"]["data"][0]["embedding"]]


def test_base64_lines_keep_base64_and_the_reader_decodes_it(tmp_path, zzz_simulator, settings):
    _lines(tmp_path / "in.jsonl", 20, dimensions=32, encoding_format="base64")
    out = tmp_path / "out.jsonl"
    report = run_bulk(tmp_path / "in.jsonl", out, kind="embed", model=MODEL, **settings)
    assert report.complete and report.succeeded == 20
    line = {r["custom_id"]: r for r in recorded(out)}["q3"]
    text = line["response"]["body"]["data"][0]["embedding"]
    assert isinstance(text, str)
    floats = list(struct.unpack("<32f", base64.b64decode(text)))
    outcome = next(o for o in iter_outcomes(out) if o.custom_id == "q3")
    assert outcome.vectors == [floats]
    assert floats == pytest.approx(_embed_alone(zzz_simulator, "item 3", 32), abs=1e-6)


@pytest.mark.parametrize("style", ["short", "nan", "empty"])
@pytest.mark.parametrize("b64", [False, True], ids=["floats", "base64"])
def test_an_unusable_answer_is_a_typed_error_on_each_item_then_retry_failed_fills_them(
    tmp_path, zzz_simulator, settings, style, b64
):
    _lines(tmp_path / "in.jsonl", 10, **({"encoding_format": "base64"} if b64 else {}))
    out = tmp_path / "out.jsonl"
    zzz_simulator.inject(Fault.mangled_embeddings(style), times=1, path="/embeddings")
    report = run_bulk(tmp_path / "in.jsonl", out, kind="embed", model=MODEL, **settings)
    assert report.complete and report.failed == 10 and report.succeeded == 0  # nothing lost, nothing written wrong
    for line in recorded(out):
        assert line["response"] is not None and line["error"]["class"] == "GatewayError"
        assert line["error"]["code"] == "malformed_response" and "did not decode" in line["error"]["message"]
    index = load_index(out)
    assert index.failed == 10 and index.ok == 0
    report = run_bulk(tmp_path / "in.jsonl", out, kind="embed", model=MODEL, retry_failed=True, **settings)
    assert report.succeeded == 10 and report.failed == 0
    assert {o.custom_id for o in iter_outcomes(out) if o.ok and o.vectors} == {f"q{i}" for i in range(10)}


def test_resume_skips_the_texts_already_recorded(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 300, kind="embeddings"), tmp_path / "out.jsonl"
    zzz_simulator.set_credits(1)  # one packed request of 256 is answered, then the balance is empty
    first = run_bulk(src, out, kind="embed", model=MODEL, **settings)
    assert first.stopped == "account" and first.succeeded == 256
    zzz_simulator.top_up(None)
    zzz_simulator.clear_requests()
    again = run_bulk(src, out, kind="embed", model=MODEL, **settings)
    assert again.complete and again.already_done == 256 and again.succeeded == 44
    assert zzz_simulator.count("/embeddings") == 1
    assert [len(r.body["input"]) for r in zzz_simulator.requests] == [44]
    assert sorted(r["custom_id"] for r in recorded(out)) == sorted(f"q{i}" for i in range(300))


def test_an_unpacked_item_with_a_nan_answer_is_a_typed_error_too(tmp_path, zzz_simulator, settings):
    _lines(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    zzz_simulator.inject(Fault.mangled_embeddings("nan"), times=1, path="/embeddings")
    report = run_bulk(tmp_path / "in.jsonl", out, kind="embed", model=MODEL, embed_batch_size=1, **settings)
    assert report.complete and report.failed == 1 and report.succeeded == 2
    failed = [r for r in recorded(out) if r["error"] is not None]  # every line parses as JSON
    assert [r["error"]["code"] for r in failed] == ["malformed_response"]
