"""The benchmark still runs: ``benchmarks/run.py --short`` end to end, no timing asserted.

It runs in whatever environment the tests run in: the floor, the openai columns
and the ZZZ columns need only the project's own dependencies; the peers
(langchain-openai, llama-index-llms-openai-like) live in ``.venv-bench`` and
their columns are skipped here when missing.  The numbers of a short run mean
nothing; what is checked is that every case completes and the table is printed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "benchmarks" / "run.py"


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "rows.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--short", "--only", "a,b,c,d,e,f", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert proc.returncode == 0, f"benchmarks/run.py --short failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout, json.loads(out.read_text())


def test_prints_the_tables(short_run: tuple[str, dict]) -> None:
    stdout, _ = short_run
    for heading in ("Ratios to the floor", "Ratios to each peer", "Absolute values", "Goals", "Server check"):
        assert heading in stdout
    for measure in ("non-stream call, median", "stream, sync", "stream, async", "concurrent async calls",
                    "embed 100 texts", "cold import", "peak RSS"):  # fmt: skip
        assert measure in stdout, measure


def test_every_case_measured_the_floor_and_the_sdk(short_run: tuple[str, dict]) -> None:
    _, data = short_run
    rows = {r["id"]: r for r in data["rows"]}
    for rid in ("nonstream.median", "stream.sync", "stream.async", "conc.20.steady", "conc.20.first",
                "embed.100.sync", "embed.100.async", "import", "mem.300.peak", "flat"):  # fmt: skip
        assert rid in rows, rid
    for rid in ("nonstream.median", "stream.sync", "stream.async", "conc.20.steady"):
        values = rows[rid]["values"]
        assert values["httpx"] > 0
        assert values["openai-raw"] > 0 and values["openai"] > 0


@pytest.mark.skipif(not (_has("langchain_zzz") and _has("langchain_core")), reason="langchain extra not installed")
def test_langchain_zzz_columns(short_run: tuple[str, dict]) -> None:
    rows = {r["id"]: r for r in short_run[1]["rows"]}
    for rid in ("nonstream.median", "stream.sync", "stream.async", "conc.20.first", "embed.100.sync", "mem.300.peak"):
        assert rows[rid]["values"].get("lc-zzz", 0) > 0, rid


@pytest.mark.skipif(not (_has("llamaindex_zzz") and _has("llama_index.core")), reason="llamaindex extra not installed")
def test_llamaindex_zzz_columns(short_run: tuple[str, dict]) -> None:
    rows = {r["id"]: r for r in short_run[1]["rows"]}
    for rid in ("nonstream.median", "stream.sync", "stream.async", "conc.20.first", "embed.100.sync", "mem.300.peak"):
        assert rows[rid]["values"].get("li-zzz", 0) > 0, rid


def test_peer_columns_only_where_installed(short_run: tuple[str, dict]) -> None:
    rows = {r["id"]: r for r in short_run[1]["rows"]}
    has_peer = "lc-peer" in rows["stream.sync"]["values"]
    assert has_peer == _has("langchain_openai")


def test_rerank_case_measures_both_skins_against_the_raw_post(tmp_path: Path) -> None:
    out = tmp_path / "rerank.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--short", "--only", "r", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (row,) = [r for r in json.loads(out.read_text())["rows"] if r["id"] == "rerank.median"]
    assert row["floor"] == "openai-raw"
    assert {k for k, v in row["values"].items() if v > 0} == {"openai-raw", "lc-zzz", "li-zzz"}
    assert "LC zzz ÷ oai raw" in proc.stdout and "LI zzz ÷ oai raw" in proc.stdout


@pytest.fixture(scope="module")
def bulk_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench-bulk") / "rows.json"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--short", "--only", "k,l,m,t", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert proc.returncode == 0, f"benchmarks/run.py --short failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout, json.loads(out.read_text())


def test_bulk_cases_measure_the_runner_against_the_floor_and_the_peers(bulk_run: tuple[str, dict]) -> None:
    stdout, data = bulk_run
    rows = {r["id"]: r for r in data["rows"]}
    for rid in ("bulk.instant", "bulk.gateway"):
        values = rows[rid]["values"]
        assert values["zzz bulk"] > 0 and values["floor"] > 0, rid
        assert ("ChatOpenAI.abatch" in values) == _has("langchain_openai"), rid
    embed = rows["bulk.embed"]["values"]
    assert embed["zzz bulk"] > 0 and embed["zzz bulk+b64"] > 0
    assert ("OpenAIEmbeddings" in embed) == _has("langchain_openai")
    for kind in ("embed", "chat"):  # both sizes of each kind measured, each in its own process
        values = rows[f"bulk.mem.{kind}"]["values"]
        assert values["smaller"] > 0 and values["larger"] > 0, kind
    for heading in ("Bulk jobs: wall time", "Bulk memory: peak RSS", "Bulk throughput against concurrency",
                    "Bulk goals (issue 13)", "runner ÷ floor"):  # fmt: skip
        assert heading in stdout, heading


def test_bulk_throughput_is_measured_at_every_level_and_plots(bulk_run: tuple[str, dict], tmp_path: Path) -> None:
    from benchmarks import report_bulk
    from benchmarks.common import CaseResult

    extra = bulk_run[1]["extra"]["bulk_scaling"]
    for scenario in ("instant", "gateway"):
        for label in ("zzz bulk", "floor"):
            points = extra["points"][scenario][label]
            assert sorted(int(c) for c in points) == sorted(extra["levels"]), (scenario, label)
            assert all(v > 0 for v in points.values())
    if not _has("matplotlib"):
        pytest.skip("matplotlib (a benchmark-only dependency) is not installed here")
    plot = tmp_path / "throughput.png"
    said = report_bulk.write_plot({"bulk_scaling": CaseResult(extra=extra)}, plot)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", said
