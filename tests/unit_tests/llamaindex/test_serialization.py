"""The key never appears in repr, str, to_dict/to_json, model_dump, the callback payload or a pickle."""

from __future__ import annotations

import json
import pickle

import pytest

from llamaindex_zzz import ZZZ, ZZZEmbedding
from zzz_core import ConfigurationError


def _objects(key):
    return [
        ZZZ(
            model="deepseek-chat", api_key=key, base_url="https://relay.example.com/v1", default_headers={"X-Team": "a"}
        ),
        ZZZEmbedding(model_name="text-embedding-3-small", api_key=key, base_url="https://relay.example.com/v1"),
    ]


def test_key_never_serialized(key):
    for obj in _objects(key):
        texts = [repr(obj), str(obj), json.dumps(obj.to_dict(), default=str), obj.to_json(), obj.model_dump_json(),
                 json.dumps(obj.to_payload(), default=str)]  # fmt: skip
        for text in texts:
            assert key not in text
            assert "SECRET" not in text
        assert "api_key" not in obj.to_dict()
        assert obj._config.api_key.get_secret_value() == key  # but it is used


def test_round_trip_through_to_dict(key_env):
    llm = ZZZ(model="deepseek-chat", base_url="https://relay.example.com/v1", temperature=0.3, max_retries=4)
    copy = ZZZ.from_dict(llm.to_dict())
    assert (copy.model, copy.base_url, copy.temperature, copy.max_retries) == ("deepseek-chat", llm.base_url, 0.3, 4)
    assert copy._gateway is llm._gateway  # the same configuration shares one gateway
    emb = ZZZEmbedding.from_json(ZZZEmbedding(model="text-embedding-v4", dimensions=256).to_json())
    assert (emb.model_name, emb.dimensions, emb.base_url) == (
        "text-embedding-v4",
        256,
        "https://api.zhizengzeng.com/v1",
    )


def test_pickle_carries_no_key(key, monkeypatch):
    for obj in _objects(key):
        data = pickle.dumps(obj)
        assert key.encode() not in data
        with pytest.raises(ConfigurationError, match="ZZZ_API_KEY"):
            pickle.loads(data)  # the copy needs the key from the environment
        monkeypatch.setenv("ZZZ_API_KEY", key)
        copy = pickle.loads(data)
        assert copy._config.api_key.get_secret_value() == key
        monkeypatch.delenv("ZZZ_API_KEY")


def test_embedding_accepts_model_or_model_name(key):
    assert ZZZEmbedding(model="bge-m3", api_key=key).model_name == "bge-m3"
    assert ZZZEmbedding("bge-m3", api_key=key).model_name == "bge-m3"
    assert ZZZEmbedding(model_name="bge-m3", api_key=key).embed_batch_size == 100
    with pytest.raises(ValueError, match="disagree"):
        ZZZEmbedding(model="a", model_name="b", api_key=key)


def test_embedding_dimensions_checked_at_construction(key):
    from zzz_core import InvalidInputError

    assert ZZZEmbedding(model="text-embedding-3-small", dimensions=256, api_key=key).dimensions == 256
    with pytest.raises(InvalidInputError, match="1536"):
        ZZZEmbedding(model="text-embedding-ada-002", dimensions=256, api_key=key)
    with pytest.raises(InvalidInputError, match="at most 1536"):
        ZZZEmbedding(model="text-embedding-3-small", dimensions=4096, api_key=key)
