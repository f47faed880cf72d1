"""Every public module (no leading underscore) says what it exports: ``__all__``, and it holds."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("zzz_core", "zzz_testing", "zzz_cli", "langchain_zzz", "llamaindex_zzz", "llama_index")


def public_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if any(p.startswith("_") for p in parts):  # private modules, and __main__ scripts
                continue
            found[".".join(parts)] = path
    return found


def _declares_all(path: Path) -> bool:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def test_the_walk_finds_the_modules_it_should():
    found = public_modules()
    assert {"zzz_core", "zzz_core.gateway", "zzz_testing.pytest_plugin", "zzz_cli", "langchain_zzz.errors"} <= set(
        found
    )
    assert {"llama_index.llms.zzz", "llama_index.embeddings.zzz", "llama_index.postprocessor.zzz_rerank"} <= set(found)
    assert not [m for m in found if "._" in m or m.startswith("_")]


@pytest.mark.parametrize("module", sorted(public_modules()))
def test_public_module_declares_all_and_every_name_exists(module):
    assert _declares_all(public_modules()[module]), f"{module} has no module-level __all__"
    mod = importlib.import_module(module)
    exported = list(mod.__all__)
    assert len(exported) == len(set(exported)), f"{module}.__all__ lists a name twice"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what it does not have: {missing}"


def test_the_architecture_doc_names_every_module():
    """docs/architecture.md's module map stays true to the code: a new module gets its line there
    (a subpackage's modules are covered by the subpackage's own line, ``bulk/``)."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT / package)
            if rel.parent.parts:
                name = f"{rel.parent.as_posix()}/" if package == "llama_index" else f"{rel.parts[0]}/"
            elif path.name == "__init__.py":
                continue  # the package itself: its heading names it
            else:
                name = path.name
            if name not in doc:
                missing.add(f"{package}/{name}")
    assert not missing, f"docs/architecture.md's module map does not mention: {sorted(missing)}"
