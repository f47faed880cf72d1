"""Importing a skin does not load openai: it loads with the first client (import-time goal)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "statement",
    [
        "import zzz_core; from zzz_core import ZZZConfig, build_chat_request, get_profile, InvalidInputError",
        "from langchain_zzz import ChatZZZ, ZZZ, ZZZEmbeddings",
        "from llamaindex_zzz import ZZZ, ZZZEmbedding",
    ],
)
def test_import_does_not_load_openai(statement):
    code = f"import sys; {statement}; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_constructing_a_model_loads_it():
    code = (
        "import sys; from langchain_zzz import ChatZZZ; "
        "ChatZZZ(model='gpt-4o-mini', api_key='sk-x', base_url='http://127.0.0.1:9/v1'); print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "True"


def test_chat_users_do_not_load_completions_or_tool_helpers():
    code = (
        "import sys, langchain_zzz; from langchain_zzz import ChatZZZ; "
        "print(sorted(m for m in ('langchain_zzz.llms', 'langchain_zzz._tools') if m in sys.modules)); "
        "from langchain_zzz import ZZZ; print(ZZZ.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "langchain_zzz.llms"]


def test_unknown_names_are_attribute_errors():
    import langchain_zzz

    with pytest.raises(AttributeError, match="ChatOpenAI"):
        langchain_zzz.ChatOpenAI  # noqa: B018
    assert "ZZZ" in langchain_zzz.__all__
