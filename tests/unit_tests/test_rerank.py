"""The pure parts of rerank: request planning, batching, merging, decoding, the normalizer's
rule for routes a gateway may not have, and the simulator's scoring."""

from __future__ import annotations

import pytest

from zzz_core import InvalidInputError, error_map, presets
from zzz_core import errors as E
from zzz_core.decode import parse_rerank_response, rerank_text
from zzz_core.error_map import ErrorContext
from zzz_core.rerank import batch_limit, merge_rerank, plan_rerank
from zzz_testing.rerank import RerankRejected, relevance, rerank_answer

DOCS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def test_a_plan_clamps_top_n_and_sends_everything_in_one_request_without_a_limit():
    plan = plan_rerank("q", DOCS, model="my-reranker", top_n=99)
    assert plan.top_n == 5
    (batch,) = plan.batches
    assert batch.body == {"model": "my-reranker", "query": "q", "documents": DOCS, "top_n": 5,
                          "return_documents": False}  # fmt: skip
    assert "top_n" not in plan_rerank("q", DOCS, model="m").batches[0].body


def test_extra_body_goes_along_but_cannot_replace_the_call_fields():
    body = plan_rerank("q", DOCS, model="m", extra_body={"max_chunk_per_doc": 64, "query": "x"}).batches[0].body
    assert body["max_chunk_per_doc"] == 64 and body["query"] == "q"


def test_batches_follow_the_smallest_known_limit(monkeypatch):
    assert batch_limit("bge-reranker-v2-m3", "custom") is None
    assert batch_limit("gte-rerank-v2", "custom") == 500  # the profile's
    preset = presets.GatewayPreset(name="tiny", base_url="https://x/v1", rerank_max_documents=2)
    monkeypatch.setitem(presets.PRESETS, "tiny", preset)
    assert batch_limit("gte-rerank-v2", "tiny") == 2  # the preset's, smaller
    assert batch_limit("gte-rerank-v2", "tiny", 3) == 3  # the call's wins
    plan = plan_rerank("q", DOCS, model="m", gateway="tiny", top_n=3)
    assert [(b.offset, b.documents, b.body["top_n"]) for b in plan.batches] == [
        (0, ["alpha", "beta"], 2), (2, ["gamma", "delta"], 2), (4, ["epsilon"], 1)]  # fmt: skip


@pytest.mark.parametrize(
    "args,match",
    [
        (("", DOCS), "non-empty query"),
        (("q", "text"), "list of strings"),
        (("q", [b"bytes"]), r"positions \[0\]"),
        (("q", DOCS, {"model": ""}), "model name"),
        (("q", DOCS, {"top_n": True}), "top_n"),
        (("q", DOCS, {"max_documents": -1}), "max_documents"),
    ],
)
def test_bad_calls_are_refused_with_what_to_do(args, match):
    query, docs, *kw = args
    with pytest.raises(InvalidInputError, match=match):
        plan_rerank(query, docs, **{"model": "m", **(kw[0] if kw else {})})


def test_decoding_sorts_by_score_then_index_and_takes_the_text_from_what_was_sent():
    payload = {"results": [{"index": 2, "relevance_score": 0.5}, {"index": 0, "relevance_score": 0.9},
                           {"index": 1, "relevance_score": 0.5, "document": {"text": "echo"}}],
               "usage": {"prompt_tokens": 30, "total_tokens": 30}}  # fmt: skip
    docs = ["a", {"id": 7}, "c"]
    result = parse_rerank_response(payload, docs, offset=10, host="h")
    assert [(h.index, h.relevance_score) for h in result.results] == [(10, 0.9), (11, 0.5), (12, 0.5)]
    assert [h.text for h in result.results] == ["a", "echo", "c"]  # an object without text: the echo
    assert result.results[1].document == {"id": 7} and result.usage.total_tokens == 30 and result.host == "h"


@pytest.mark.parametrize(
    "item",
    [{"index": 3, "relevance_score": 0.1}, {"index": "0", "relevance_score": 0.1},
     {"index": 0, "relevance_score": "hi"}, {"index": 0}],
)  # fmt: skip
def test_decoding_refuses_what_it_cannot_place(item):
    with pytest.raises(ValueError):
        parse_rerank_response({"results": [item]}, ["a", "b"])


def test_decoding_refuses_an_index_listed_twice():
    item = {"index": 0, "relevance_score": 0.1}
    with pytest.raises(ValueError, match="index 0"):
        parse_rerank_response({"results": [item, item]}, ["a", "b"])


def test_rerank_text():
    assert rerank_text("x") == "x" and rerank_text({"text": "y"}) == "y" and rerank_text({"t": 1}) is None


def test_merge_keeps_one_order_across_batches_and_sums_usage():
    plan = plan_rerank("q", DOCS, model="m", top_n=2, max_documents=2)
    answers = [
        {"results": [{"index": 1, "relevance_score": 0.4}, {"index": 0, "relevance_score": 0.2}],
         "usage": {"prompt_tokens": 5, "total_tokens": 5}},
        {"results": [{"index": 0, "relevance_score": 0.4}, {"index": 1, "relevance_score": 0.9}],
         "usage": {"prompt_tokens": 6, "total_tokens": 6}},
        {"results": [{"index": 0, "relevance_score": 0.1}], "usage": {"prompt_tokens": 2, "total_tokens": 2}},
    ]  # fmt: skip
    parts = [parse_rerank_response(a, b.documents, offset=b.offset) for a, b in zip(answers, plan.batches, strict=True)]
    merged = merge_rerank(plan, parts)
    assert [(h.index, h.text) for h in merged.results] == [(3, "delta"), (1, "beta")]  # 0.4 tie: index 1 before 2
    assert merged.usage.total_tokens == 13 and merged.requests == 3 and merged.model == "m"


@pytest.mark.parametrize(
    "status,body,url,cls",
    [
        (404, b'{"error": {"message": "Invalid URL (POST /v1/rerank)"}}', "http://h/v1/rerank",
         E.EndpointNotSupportedError),
        (405, b"", "http://h/v1/rerank", E.EndpointNotSupportedError),
        (501, b"<html><title>501 Not Implemented</title></html>", "http://h/v1/rerank", E.EndpointNotSupportedError),
        (404, b'{"error": {"message": "model bge-x does not exist"}}', "http://h/v1/rerank", E.ModelNotFoundError),
        (404, b'{"error": {"message": "Invalid URL"}}', "http://h/v1/chat/completions", E.InvalidRequestError),
        (400, b'{"error": {"message": "documents is empty"}}', "http://h/v1/rerank", E.InvalidRequestError),
    ],
)  # fmt: skip
def test_only_optional_routes_read_404_405_501_as_not_supported(status, body, url, cls):
    err = error_map.from_body(status, body, ErrorContext(host="h", url=url))
    assert isinstance(err, cls) and not err.retryable and err.status_code == status
    assert isinstance(err, E.EndpointNotSupportedError) is (cls is E.EndpointNotSupportedError)


def test_the_simulator_scores_the_answering_passage_highest_and_orders_ties_by_index():
    q = "When did Mount Fuji last erupt?"
    answer = "Long records of the Edo period say the volcano last erupted in 1707, when ash from Mount Fuji fell."
    assert relevance(q, answer) > relevance(q, "Mount Fuji is in Japan.") > relevance(q, "Paris has a tower.")
    assert 0 < relevance(q, "Paris has a tower.") < relevance(q, answer) < 1
    out = rerank_answer({"model": "m", "query": q, "documents": ["same", answer, "same"], "top_n": 2})
    assert [r["index"] for r in out["results"]] == [1, 0] and out["results"][0]["document"]["text"] == answer
    assert "document" not in rerank_answer({"model": "m", "query": q, "documents": ["a"],
                                            "return_documents": False})["results"][0]  # fmt: skip
    assert out["usage"]["prompt_tokens"] == out["usage"]["total_tokens"] > 0


@pytest.mark.parametrize(
    "body,match",
    [({"model": "m", "query": "", "documents": ["a"]}, "query is empty"),
     ({"model": "m", "query": "q", "documents": []}, "documents is empty"),
     ({"model": "m", "query": "q", "documents": ["a"], "top_n": 0}, "top_n")],
)  # fmt: skip
def test_the_simulator_refuses_as_new_api_does(body, match):
    with pytest.raises(RerankRejected, match=match):
        rerank_answer(body)
