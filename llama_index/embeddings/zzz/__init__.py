"""``from llama_index.embeddings.zzz import ZZZEmbedding``: the import path LlamaIndex users look for.

Re-exports :class:`llamaindex_zzz.ZZZEmbedding` in the framework's namespace package
(as ``llama_index.embeddings.openai_like`` does for ``OpenAILikeEmbedding``).
``llama_index`` and ``llama_index.embeddings`` have no ``__init__.py`` on purpose: they are
implicit namespace packages shared with ``llama-index-core``.
"""

from llamaindex_zzz.embeddings import ZZZEmbedding

__all__ = ["ZZZEmbedding"]
