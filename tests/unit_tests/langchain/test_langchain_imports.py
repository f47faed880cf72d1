"""The public surface of langchain_zzz, pinned."""

from __future__ import annotations

import subprocess
import sys

import langchain_zzz


def test_all() -> None:
    assert langchain_zzz.__all__ == [
        "ChatZZZ", "ZZZ", "ZZZCostCallbackHandler", "ZZZEmbeddings", "ZZZRerank", "zzz_cost"
    ]  # fmt: skip
    for name in langchain_zzz.__all__:
        assert getattr(langchain_zzz, name).__module__.startswith("langchain_zzz.")


def test_a_clear_error_without_langchain_core() -> None:
    code = "import sys; sys.modules['langchain_core'] = None; import langchain_zzz"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert 'langchain_zzz needs LangChain: pip install "zzz-relay[langchain]"' in done.stderr
