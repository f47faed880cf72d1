"""The packages' imports, read with ``ast``: no cycle inside a package, and layers point one way.

Every ``import`` statement counts, at module level and inside functions (a function-level
import still runs, only later), except those under ``if TYPE_CHECKING:``, which never run.
The layers (docs/architecture.md): ``zzz_cli`` on top; the skins (``langchain_zzz``,
``llamaindex_zzz``, the ``llama_index.*.zzz`` re-exports) and ``zzz_testing`` on ``zzz_core``;
``zzz_core`` imports neither a framework nor anything of ours above it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("zzz_core", "zzz_testing", "zzz_cli", "langchain_zzz", "llamaindex_zzz", "llama_index")
SKINS = ("langchain_zzz", "llamaindex_zzz", "llama_index")

#: What each package must never import (its own or a third party's top-level names).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "zzz_core": (
        "langchain_zzz",
        "llamaindex_zzz",
        "llama_index",
        "zzz_testing",
        "zzz_cli",
        "langchain_core",
        "langchain",
        "pytest",
    ),
    "zzz_testing": ("langchain_zzz", "llamaindex_zzz", "llama_index", "zzz_cli", "langchain_core"),
    "langchain_zzz": ("zzz_testing", "zzz_cli", "llamaindex_zzz", "llama_index"),
    "llamaindex_zzz": ("zzz_testing", "zzz_cli", "langchain_zzz", "langchain_core"),
    "llama_index": ("zzz_testing", "zzz_cli", "langchain_zzz", "langchain_core"),
}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of our packages."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, and whether it runs (False under ``if TYPE_CHECKING:``)."""
    out: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def walk(node: ast.AST, runs: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append((node, runs))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                walk(child, False)
            for child in node.orelse:
                walk(child, runs)
            return
        for child in ast.iter_child_nodes(node):
            walk(child, runs)

    walk(tree, True)
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """The modules ``name`` imports, absolute and dotted, each with whether the import runs."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: list[tuple[str, bool]] = []
    for node, runs in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets += [(alias.name, runs) for alias in node.names]
            continue
        if node.level:
            base_parts = package.split(".")
            base_parts = base_parts[: len(base_parts) - (node.level - 1)]
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            # ``from pkg import mod`` imports the submodule when there is one, else a name of pkg.
            sub = f"{base}.{alias.name}"
            targets.append((sub if sub in modules else base, runs))
    return targets


@functools.cache
def import_graph(*, runtime_only: bool) -> dict[str, set[str]]:
    modules = module_files()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {t for t, runs in imports_of(name, path, modules) if runs or not runtime_only}
    return graph


def find_cycle(graph: dict[str, set[str]], nodes: set[str]) -> list[str] | None:
    """One cycle among ``nodes`` (edges leaving ``nodes`` ignored), as a path, or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ()) & nodes):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(nodes):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def test_the_walk_sees_every_kind_of_import():
    """The reader is itself tested: relative, function-level and TYPE_CHECKING imports."""
    gw = dict(imports_of("zzz_core.gateway", ROOT / "zzz_core/gateway.py", module_files()))
    assert gw["zzz_core.transport"] is True  # from .transport import Transport
    presets = dict(imports_of("zzz_core.presets", ROOT / "zzz_core/presets.py", module_files()))
    assert presets["zzz_core._local_errors"] is True  # imported inside get_preset()
    plugin = dict(imports_of("zzz_testing.pytest_plugin", ROOT / "zzz_testing/pytest_plugin.py", module_files()))
    assert plugin["zzz_testing.server"] is True  # inside the fixtures, and also under TYPE_CHECKING


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x", "b"}, "b": set()}
    assert find_cycle(graph, {"a.x", "a.y", "a.z"}) == ["a.x", "a.y", "a.z", "a.x"]
    assert find_cycle(graph, {"a.x", "a.y"}) is None


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_a_package(package):
    graph = import_graph(runtime_only=True)
    members = {m for m in graph if _top(m) == package}
    assert members, f"no modules found for {package}"
    cycle = find_cycle(graph, members)
    assert cycle is None, f"import cycle in {package}: {' -> '.join(cycle or [])}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_point_one_way(package):
    """TYPE_CHECKING imports count here too: a type from an upper layer is still a wrong dependency."""
    graph = import_graph(runtime_only=False)
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if _top(module) == package
        for target in targets
        if _top(target) in FORBIDDEN[package]
    )
    assert not wrong, f"{package} reaches a layer it must not: " + "; ".join(wrong)


def test_zzz_core_imports_no_framework_even_lazily():
    graph = import_graph(runtime_only=False)
    frameworks = {"langchain_core", "llama_index", "pytest", "llamaindex_zzz", "langchain_zzz"}
    assert not {t for m, ts in graph.items() if _top(m) == "zzz_core" for t in ts if _top(t) in frameworks}
