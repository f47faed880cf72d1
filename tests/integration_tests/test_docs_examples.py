"""Every Python example in README.md and docs/*.md runs, against the gateway simulator.

* A ```` ```python ```` block is run as a script in a fresh namespace, with
  ``ZZZ_API_KEY`` and ``ZZZ_BASE_URL`` pointing at a running simulator (so the
  README's examples run exactly as written) and sockets allowed to 127.0.0.1 only.
  A block that defines ``test_*`` functions is a pytest example: it is written to a
  file and run with pytest (the simulator fixtures come from the installed plugin).
* A ```` ```pycon ```` block is a doctest: its printed values are checked too.
* A block right after an ``<!-- no-test -->`` line is not run (for the few examples
  that need another package or a live key).  Other languages are not run.

The public classes' docstrings are their API reference pages, and their examples run
the same way (``DOCSTRING_CLASSES``): the fenced blocks of one class's ``__doc__`` run in
order in one namespace, as doctest runs the examples of one docstring, so a later block
may use the ``llm`` an earlier one made.  In a docstring the marker is the fence's info
string: a block opened with ```` ```python no-test ```` is not run (an HTML comment would
show in ``help()``).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_socket import enable_socket, socket_allow_hosts

from zzz_core.params import reset_param_warnings
from zzz_testing import GatewaySimulator

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NO_TEST = "<!-- no-test -->"
KEY = "sk-zk-docs-examples-key"
_FENCE = re.compile(r"^( *)```(\S*)(\s+no-test)?\s*$")
_TEST_FUNCTION = re.compile(r"^(async\s+)?def test_\w*\(", re.M)


#: The public classes whose docstrings are API reference pages with runnable examples.
DOCSTRING_CLASSES = (
    "langchain_zzz.ChatZZZ", "langchain_zzz.ZZZ", "langchain_zzz.ZZZEmbeddings", "langchain_zzz.ZZZRerank",
    "llamaindex_zzz.ZZZ", "llamaindex_zzz.ZZZEmbedding", "llamaindex_zzz.ZZZRerank",
)  # fmt: skip


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    code: str
    skipped: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT) if self.path.is_absolute() else self.path}:{self.line}"


def blocks(path: Path, text: str | None = None) -> list[Block]:
    """The fenced code blocks of a Markdown file (top-level fences only), or of a docstring's
    ``text`` (where a fence may be indented under its section heading)."""
    found: list[Block] = []
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or (text is None and m.group(1)):
            i += 1
            continue
        start, indent, lang = i, m.group(1), m.group(2)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == indent + "```"), None)
        assert end is not None, f"{path}:{start + 1}: unclosed code fence"
        before = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        skipped = before == NO_TEST if text is None else m.group(3) is not None
        code = "\n".join(line.removeprefix(indent) for line in lines[start + 1 : end]) + "\n"
        found.append(Block(path, start + 1, lang, code, skipped))
        i = end + 1
    return found


def docstring_blocks(dotted: str) -> list[Block]:
    """The fenced blocks of a class's docstring, named ``module.Class:line``."""
    module, name = dotted.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    return blocks(Path(f"{cls.__module__}.{name}"), inspect.cleandoc(cls.__doc__ or ""))


ALL = [b for f in FILES for b in blocks(f)]
RUNNABLE = [b for b in ALL if b.lang in ("python", "pycon") and not b.skipped]
DOC_BLOCKS = {name: docstring_blocks(name) for name in DOCSTRING_CLASSES}


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    # 智增增's dialect, serving /v1/rerank (which 智增增 itself does not) so that docs/rerank.md's
    # examples run as written against the same stand-in as every other page.
    with GatewaySimulator(rerank=True) as s:
        yield s


@pytest.fixture
def docs_env(sim: GatewaySimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewaySimulator]:
    """The environment a reader sets: a key and the (simulated) gateway's URL."""
    for name in [n for n in os.environ if n.startswith("ZZZ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    monkeypatch.setenv("ZZZ_BASE_URL", sim.base_url)
    sim.clear_faults()
    sim.clear_requests()
    sim.balance = 111.8658
    reset_param_warnings()  # each example is a script of its own: zzz_core warns once per process
    settings = _llama_index_settings()
    socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)
    try:
        yield sim
    finally:
        enable_socket()
        sim.clear_faults()
        if settings is not None:  # an example may set LlamaIndex's global Settings; later tests must not see it
            from llama_index.core import Settings

            Settings.__dict__.update(settings)


def _llama_index_settings() -> dict[str, object] | None:
    try:
        from llama_index.core import Settings
    except ImportError:
        return None
    return dict(Settings.__dict__)


def test_there_are_examples_everywhere_they_are_promised() -> None:
    documented = {b.path.name for b in RUNNABLE}
    for name in ("README.md", "configuration.md", "reasoning.md", "tools-and-structured-output.md",
                 "testing.md", "migrating.md"):  # fmt: skip
        assert name in documented, f"{name} has no runnable Python example"


def test_no_test_markers_are_rare() -> None:
    skipped = [b.id for b in ALL if b.skipped]
    assert len(skipped) <= 6, f"too many examples are not run: {skipped}"
    assert all(b.lang in ("python", "pycon") for b in ALL if b.skipped), "<!-- no-test --> before a non-Python block"
    doc_skipped = [b.id for bs in DOC_BLOCKS.values() for b in bs if b.skipped]
    assert len(doc_skipped) <= 3, f"too many docstring examples are not run: {doc_skipped}"


@pytest.mark.parametrize("name", DOCSTRING_CLASSES)
def test_reference_docstrings_show_the_main_uses(name: str) -> None:
    """Each reference page has runnable examples, some with their outputs checked (pycon)."""
    langs = [b.lang for b in DOC_BLOCKS[name] if not b.skipped]
    assert "pycon" in langs, f"{name}'s docstring shows no checked output"
    assert len(langs) >= 2, f"{name}'s docstring has too few runnable examples: {langs}"


@pytest.mark.parametrize("name", DOCSTRING_CLASSES)
def test_docstring_examples_run(name: str, docs_env: GatewaySimulator, capsys: pytest.CaptureFixture[str]) -> None:
    """A class's examples run in order in one namespace, like one docstring's doctests."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    for block in DOC_BLOCKS[name]:
        if block.skipped or block.lang not in ("python", "pycon"):
            continue
        if block.lang == "pycon":
            run_doctest(block, namespace)
        else:
            with cwd(ROOT):
                exec(compile(block.code, block.id, "exec"), namespace)  # noqa: S102 - the docstring's own examples
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_example_runs(
    block: Block, docs_env: GatewaySimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if block.lang == "pycon":
        run_doctest(block)
    elif _TEST_FUNCTION.search(block.code):
        run_with_pytest(block, tmp_path)
    else:
        code = compile(block.code, block.id, "exec")
        with cwd(ROOT):
            exec(code, {"__name__": "__main__"})  # noqa: S102 - the documentation's own examples
    assert "Traceback" not in capsys.readouterr().err


def run_doctest(block: Block, namespace: dict[str, object] | None = None) -> None:
    parser = doctest.DocTestParser()
    globs = {"__name__": "__main__"} if namespace is None else namespace
    test = parser.get_doctest(block.code, globs, block.id, str(block.path), block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    with cwd(ROOT):
        result = runner.run(test, out=out.append, clear_globs=namespace is None)
    assert result.failed == 0, "".join(out)
    if namespace is not None:  # the next block of the docstring sees what this one defined (DocTest took a copy)
        namespace.update(test.globs)


def run_with_pytest(block: Block, tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZZZ_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--allow-hosts=127.0.0.1",
         "--allow-unix-socket", "test_example.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\d+ passed", proc.stdout), proc.stdout


@contextlib.contextmanager
def cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
