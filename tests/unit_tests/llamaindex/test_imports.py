from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import llamaindex_zzz


def test_public_api_is_pinned():
    assert llamaindex_zzz.__all__ == ["ZZZ", "ZZZCostRun", "ZZZEmbedding", "ZZZRerank", "zzz_cost"]
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.llms.function_calling import FunctionCallingLLM

    from llamaindex_zzz import ZZZ, ZZZEmbedding

    assert issubclass(ZZZ, FunctionCallingLLM)
    assert issubclass(ZZZEmbedding, BaseEmbedding)


# -- the llama_index.*.zzz re-exports: where LlamaIndex users look for an integration ------------
ROOT = Path(__file__).resolve().parents[3]
REEXPORTS = {
    "llama_index.llms.zzz": "ZZZ",
    "llama_index.embeddings.zzz": "ZZZEmbedding",
    "llama_index.postprocessor.zzz_rerank": "ZZZRerank",
}


@pytest.mark.parametrize(("module", "name"), sorted(REEXPORTS.items()))
def test_the_framework_namespace_path_gives_the_same_class(module, name):
    reexport = importlib.import_module(module)
    assert reexport.__all__ == [name]
    assert getattr(reexport, name) is getattr(llamaindex_zzz, name)


def test_llama_index_stays_an_implicit_namespace_package():
    """An ``__init__.py`` above our folders would shadow llama-index-core's ``llama_index``."""
    for folder in ("llama_index", "llama_index/llms", "llama_index/embeddings", "llama_index/postprocessor"):
        assert not (ROOT / folder / "__init__.py").exists(), folder
    import llama_index.core

    assert llama_index.core.__file__  # still importable next to our folders


def test_package_discovery_ships_the_reexports_and_claims_no_namespace():
    """What setuptools finds with the pyproject's own settings (as ``pip install`` builds the wheel)."""
    tomllib = pytest.importorskip("tomllib")
    setuptools = pytest.importorskip("setuptools")
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"][
        "find"
    ]
    assert find.get("namespaces", True)
    found = setuptools.find_namespace_packages(where=str(ROOT), include=find["include"])
    assert set(REEXPORTS) <= set(found)
    assert not {"llama_index", "llama_index.llms", "llama_index.embeddings", "llama_index.postprocessor"} & set(found)
    assert not [p for p in found if p.split(".")[0] in ("tests", "benchmarks", "examples", "scripts")]


def test_the_reexports_import_from_another_directory(tmp_path):
    """Not only from the repository root: as an installed distribution (editable or a wheel)."""
    code = (
        "from llama_index.llms.zzz import ZZZ; from llama_index.embeddings.zzz import ZZZEmbedding; print(ZZZ.__name__)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    if "No module named 'llama_index.llms'" in run.stderr:
        pytest.skip("this environment's install predates the re-exports: pip install -e . again")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ZZZ"
