"""ZZZ (completions) and ZZZEmbeddings offline: construction, request bodies, validation."""

from __future__ import annotations

import pytest
from langchain_core.load import dumps
from pydantic import ValidationError

import zzz_core
from langchain_zzz import ZZZ, ZZZEmbeddings

KEY = "sk-zk-SECRET-lc-unit-4b8d2f6a1c"


def completions(**kwargs: object) -> ZZZ:
    return ZZZ(**{"model": "gpt-3.5-turbo-instruct", "api_key": KEY, **kwargs})


def embeddings(**kwargs: object) -> ZZZEmbeddings:
    return ZZZEmbeddings(**{"model": "text-embedding-3-small", "api_key": KEY, **kwargs})


def test_completion_body() -> None:
    llm = completions(suffix="!", echo=True, best_of=3, n=2, logprobs=1, stop=["\n"], seed=7, temperature=0.1)
    body, model = llm._request(["a", "b"], None, stream=False, user="u1", top_k=3)
    assert model == "gpt-3.5-turbo-instruct"
    assert body == {
        "model": "gpt-3.5-turbo-instruct", "prompt": ["a", "b"], "max_tokens": 256, "temperature": 0.1, "n": 2,
        "stop": ["\n"], "suffix": "!", "echo": True, "best_of": 3, "logprobs": 1, "seed": 7, "user": "u1",
        "top_k": 3,
    }  # fmt: skip
    streamed, _ = completions()._request("a", ["x"], stream=True)
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}
    assert streamed["stop"] == ["x"]


def test_completion_identity(key_env: str) -> None:
    llm = ZZZ(model="gpt-3.5-turbo-instruct", max_tokens=5)
    assert llm._llm_type == "zzz-completions"
    assert llm._get_ls_params()["ls_provider"] == "zzz" and llm._get_ls_params()["ls_model_type"] == "llm"
    assert key_env not in dumps(llm) and key_env not in repr(llm)
    assert llm.get_num_tokens("你好 world") == 3
    with pytest.raises(ValidationError, match="did you mean 'max_tokens'"):
        completions(max_token=5)
    with pytest.raises(ValueError, match="cannot be streamed"):
        list(completions(n=2)._stream("a"))


def test_embedding_body_and_validation() -> None:
    emb = embeddings(dimensions=256, encoding_format="float", model_kwargs={"user": "u"})
    assert emb._body(["a", "b"]) == {
        "model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 256, "encoding_format": "float",
        "user": "u",
    }  # fmt: skip
    with pytest.raises(zzz_core.InvalidInputError, match="input 1 is an empty string"):
        emb.embed_documents(["a", ""])
    with pytest.raises(zzz_core.InvalidInputError, match="not a string"):
        emb.embed_query(None)  # type: ignore[arg-type]
    with pytest.raises(zzz_core.InvalidInputError, match="at most 1536"):
        embeddings(dimensions=4096).embed_documents(["a"])
    with pytest.raises(zzz_core.InvalidInputError, match="always returns 1536"):
        embeddings(model="text-embedding-ada-002", dimensions=256).embed_documents(["a"])
    assert emb.embed_documents([]) == []


def test_embedding_settings(key_env: str) -> None:
    emb = ZZZEmbeddings(model="text-embedding-3-small")
    assert emb.chunk_size == 256 and emb.max_concurrency == 4 and emb.lc_secrets == {"api_key": "ZZZ_API_KEY"}
    assert key_env not in repr(emb)
    with pytest.raises(ValidationError, match="at least 1"):
        embeddings(chunk_size=0)
