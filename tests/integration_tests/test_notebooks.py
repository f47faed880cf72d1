"""Every notebook in ``notebooks/`` runs top to bottom, and is committed with its outputs cleared.

Each notebook is executed with ``nbclient`` in a fresh kernel running this very
interpreter (``sys.executable``, so the project as installed here), with every
``ZZZ_*`` variable removed from the environment: the notebooks then start their
own gateway simulator.  A cell prepended to the in-memory copy lets the kernel
open sockets to 127.0.0.1 only, so no notebook can reach the internet.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell

GUARD = f"""\
import sys
assert sys.executable == {sys.executable!r}, sys.executable
from pytest_socket import socket_allow_hosts
socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)
"""


def test_the_notebooks_are_there() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_langchain_quickstart",
        "02_tool_calling_agent",
        "03_structured_output",
        "04_reasoning_models",
        "05_llamaindex_rag",
        "06_llamaindex_agent",
        "07_errors_retries_fallbacks",
        "08_rerank_rag",
        "09_costs_and_budgets",
    ]


def test_the_readme_links_every_notebook() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, f"README.md does not link {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_outputs_cleared(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} of {path.name} has outputs; clear them before committing"
            assert cell.execution_count is None, f"cell {i} of {path.name} has an execution count"
            assert not {"execution", "scrolled", "collapsed"} & set(cell.metadata), f"cell {i} metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_against_the_simulator(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("ZZZ_")]:
        monkeypatch.delenv(name)
    # A kernel spec naming this interpreter, so the kernel runs the project installed here
    # whatever other "python3" kernels the machine has.
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "test", "language": "python"}))
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(GUARD, id="test-guard"))
    client = nbclient.NotebookClient(
        nb, km=km, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
    )
    client.execute()

    text = "\n".join(
        o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values())
        for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
    )  # fmt: skip
    if path.stem != "07_errors_retries_fallbacks":
        assert re.search(r"simulator at http://127\.0\.0\.1:\d+/v1", text), "the notebook did not start a simulator"
    assert "Traceback" not in text
