from __future__ import annotations

import llamaindex_zzz


def test_public_api_is_pinned():
    assert llamaindex_zzz.__all__ == ["ZZZ", "ZZZEmbedding"]
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms.function_calling import FunctionCallingLLM

    from llamaindex_zzz import ZZZ, ZZZEmbedding

    assert issubclass(ZZZ, FunctionCallingLLM)
    assert issubclass(ZZZEmbedding, BaseEmbedding)
