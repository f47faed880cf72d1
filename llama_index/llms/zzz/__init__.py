"""``from llama_index.llms.zzz import ZZZ``: the import path LlamaIndex users look for.

LlamaIndex integrations live in the framework's namespace packages
(``llama_index.llms.openai_like``, ...).  This folder re-exports
:class:`llamaindex_zzz.ZZZ` there; the class itself, and everything about it, is in
``llamaindex_zzz``.  ``llama_index`` and ``llama_index.llms`` have no ``__init__.py``
on purpose: they are implicit namespace packages shared with ``llama-index-core``.
"""

from llamaindex_zzz.llms import ZZZ

__all__ = ["ZZZ"]
