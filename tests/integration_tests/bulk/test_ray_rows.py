"""zzz_core.bulk.ray's map_batches callables called in-process, as a Ray worker calls them
(no Ray needed: these also run where Ray is not installed).  Against the simulator.

On a real local Ray: tests/integration_tests/test_ray.py.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from bulk_kit import KEY

from langchain_zzz import ZZZ as LCCompletions
from langchain_zzz import ChatZZZ, ZZZEmbeddings
from llamaindex_zzz import ZZZ as LIChat
from llamaindex_zzz import ZZZEmbedding
from zzz_core.bulk.ray import ChatRows, CompletionRows, EmbeddingRows
from zzz_testing import Fault
from zzz_testing import embed as sim_embed

CHAT = "/chat/completions"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZZZ_API_KEY", KEY)  # as runtime_env's env_vars put it on a worker


def test_chat_rows_from_settings_keep_row_order_and_apply_params(zzz_simulator) -> None:
    rows = ChatRows("gpt-4o-mini", base_url=zzz_simulator.base_url, params={"temperature": 0.2})
    messages = np.empty(3, dtype=object)  # how Ray Data hands a batch over: numpy, object dtype
    messages[:] = [[{"role": "user", "content": f"q{i}"}] for i in range(3)]
    batch = {"custom_id": np.array(["a", "b", "c"], dtype=object), "messages": messages}
    out = rows(batch)
    assert out["custom_id"] == ["a", "b", "c"] and out["status"] == ["ok"] * 3
    assert out["content"] == [f"This is a simulated answer to: q{i}" for i in range(3)]
    assert {r.body["temperature"] for r in zzz_simulator.requests} == {0.2}
    lines = [json.loads(r) for r in out["result"]]
    assert [line["custom_id"] for line in lines] == ["a", "b", "c"] and all(line["error"] is None for line in lines)


def test_rows_without_ids_get_stable_ones(zzz_simulator) -> None:
    rows = ChatRows("gpt-4o-mini", base_url=zzz_simulator.base_url)
    first = rows({"prompt": ["x", "y"]})["custom_id"]
    again = ChatRows("gpt-4o-mini", base_url=zzz_simulator.base_url)({"prompt": ["x", "y"]})["custom_id"]
    assert first == again and len(set(first)) == 2


def test_the_key_is_refused_as_an_argument_and_never_pickled(zzz_simulator) -> None:
    with pytest.raises(ValueError, match="runtime_env"):
        ChatRows("gpt-4o-mini", base_url=zzz_simulator.base_url, api_key=KEY)
    for rows in (
        ChatRows("gpt-4o-mini", base_url=zzz_simulator.base_url),
        EmbeddingRows(ZZZEmbeddings(model="text-embedding-3-small", api_key=KEY, base_url=zzz_simulator.base_url)),
        ChatRows(LIChat("gpt-4o-mini", api_key=KEY, base_url=zzz_simulator.base_url)),
    ):
        assert KEY.encode() not in pickle.dumps(rows)


def test_embedding_rows_group_texts_per_request_and_record_one_line_per_row(zzz_simulator) -> None:
    texts = [f"text {i}" for i in range(5)]
    rows = EmbeddingRows(
        ZZZEmbedding(model_name="text-embedding-3-small", dimensions=64, base_url=zzz_simulator.base_url),
        texts_per_request=2,
    )
    out = rows({"custom_id": [f"e{i}" for i in range(5)], "text": texts})
    assert zzz_simulator.count("/embeddings") == 3  # 2 + 2 + 1
    for text, vector in zip(texts, out["embedding"], strict=True):
        assert vector == pytest.approx(sim_embed(text, 64), abs=1e-6)
    lines = [json.loads(r) for r in out["result"]]
    assert [line["custom_id"] for line in lines] == [f"e{i}" for i in range(5)]
    with_usage = [line["custom_id"] for line in lines if line["response"]["body"]["usage"]]
    assert with_usage == ["e0", "e2", "e4"]  # a request's usage once, on its first row


def test_a_failed_embedding_request_fails_each_of_its_rows(zzz_simulator) -> None:
    zzz_simulator.inject(Fault.error("invalid_request"), times=1, path="/embeddings")
    rows = EmbeddingRows("text-embedding-3-small", base_url=zzz_simulator.base_url, texts_per_request=2, concurrency=1)
    out = rows({"custom_id": ["a", "b", "c"], "text": ["x", "y", "z"]})
    assert out["status"] == ["failed", "failed", "ok"]
    ids = {json.loads(r)["id"] for r in out["result"]}
    assert len(ids) == 3  # every row its own line


def test_a_balance_stop_leaves_the_rest_not_sent_and_halts_the_run(zzz_simulator) -> None:
    zzz_simulator.set_credits(2)
    rows = ChatRows(ChatZZZ(model="gpt-4o-mini", base_url=zzz_simulator.base_url), concurrency=1)
    out = rows({"prompt": ["p0", "p1", "p2", "p3"]})
    assert out["status"] == ["ok", "ok", "not_sent", "not_sent"]
    assert out["result"][2:] == [None, None] and out["error"][2].startswith("InsufficientBalanceError: ")
    sent = zzz_simulator.count(CHAT)
    later = rows({"prompt": ["p4"]})  # the run's next batch in this worker sends nothing
    assert later["status"] == ["not_sent"] and zzz_simulator.count(CHAT) == sent


def test_each_skin_builds_its_requests_from_its_own_fields(zzz_simulator) -> None:
    url = zzz_simulator.base_url
    lc_chat = ChatZZZ(model="gpt-4o-mini", temperature=0.3, max_tokens=7, base_url=url)
    assert lc_chat.bulk_request("chat", "hi") == lc_chat.bulk_request("chat", [{"role": "user", "content": "hi"}])
    body = lc_chat.bulk_request("chat", "hi")
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0.3 and "stream" not in body
    with pytest.raises(ValueError, match="ChatZZZ makes chat requests"):
        lc_chat.bulk_request("embeddings", "hi")
    li_chat = LIChat("gpt-4o-mini", temperature=0.4, base_url=url)
    assert li_chat.bulk_request("chat", "hi")["temperature"] == 0.4
    assert li_chat.bulk_request("completions", "hi")["prompt"] == "hi"
    assert li_chat.config.base_url == url
    assert LCCompletions(model="gpt-3.5-turbo-instruct", base_url=url).bulk_request("completions", "p")["prompt"] == "p"
    assert (
        ZZZEmbeddings(model="text-embedding-3-small", dimensions=32, base_url=url).bulk_request(
            "embeddings", ["a", "b"]
        )["dimensions"]
        == 32
    )
    out = CompletionRows(LCCompletions(model="gpt-3.5-turbo-instruct", base_url=url))({"prompt": ["say hi"]})
    assert out["status"] == ["ok"] and out["text"][0]


def test_a_model_object_and_params_do_not_mix(zzz_simulator) -> None:
    chat = ChatZZZ(model="gpt-4o-mini", base_url=zzz_simulator.base_url)
    with pytest.raises(TypeError, match="params="):
        ChatRows(chat, params={"temperature": 0})
    with pytest.raises(TypeError, match="model name or a zzz model object"):
        ChatRows(object())
    with pytest.raises(KeyError, match="column="):
        ChatRows(chat)({"question": ["hi"]})
