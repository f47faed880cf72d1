"""``from llama_index.postprocessor.zzz_rerank import ZZZRerank``: the LlamaIndex integration naming.

A re-export of :class:`llamaindex_zzz.ZZZRerank`.  ``llama_index`` and
``llama_index.postprocessor`` are implicit namespace packages (no ``__init__.py``), as
in every LlamaIndex integration package, so this folder adds to them without
shadowing ``llama_index.core``.
"""

from llamaindex_zzz.rerank import ZZZRerank

__all__ = ["ZZZRerank"]
