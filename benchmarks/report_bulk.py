"""The bulk cases' tables (k, l, m, t), their goals (issue 13) and the throughput plot.

Their rows name their own contenders (``zzz bulk``, ``ChatOpenAI.abatch``, ``OpenAIEmbeddings``,
the floor, item counts, concurrency levels) rather than the single-call columns of
:mod:`benchmarks.report`, so they get tables of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import ROOT, CaseResult, Row

__all__ = ["BULK_CASES", "GOALS", "PLOT", "goal_lines", "is_bulk", "sections", "write_plot"]

#: the letters of the bulk cases
BULK_CASES = frozenset("klmt")
PLOT = ROOT / "docs" / "bulk-throughput.png"

#: (text, row id, a, b, limit): a / b of the row's values, at most ``limit``
GOALS = [
    ("Bulk chat, instant server: runner <= 0.5x ChatOpenAI.abatch", "bulk.instant", "zzz bulk",
     "ChatOpenAI.abatch", 0.5),
    ("Bulk chat, instant server: runner <= 1.3x the floor", "bulk.instant", "zzz bulk", "floor", 1.3),
    ("Bulk chat, 200 ms + cap 50: runner <= 0.5x ChatOpenAI.abatch", "bulk.gateway", "zzz bulk",
     "ChatOpenAI.abatch", 0.5),
    ("Bulk chat, 200 ms + cap 50: runner <= 1.3x the floor", "bulk.gateway", "zzz bulk", "floor", 1.3),
    ("Bulk embeddings: runner <= 0.5x OpenAIEmbeddings.embed_documents", "bulk.embed", "zzz bulk",
     "OpenAIEmbeddings", 0.5),
    ("Bulk memory: peak RSS at 200,000 items <= 1.2x at 20,000 (embedding lines)", "bulk.mem.embed", "larger",
     "smaller", 1.2),
]  # fmt: skip
#: informative ratios, no limit of the issue's
EXTRA_RATIOS = [
    ("Bulk embeddings, base64 asked: runner / OpenAIEmbeddings.embed_documents", "bulk.embed", "zzz bulk+b64",
     "OpenAIEmbeddings"),
    ("Bulk memory, chat: peak RSS at 20,000 requests / at 2,000", "bulk.mem.chat", "larger", "smaller"),
    ("Bulk memory, embedding lines, concurrency held: peak RSS at 200,000 / at 20,000", "bulk.mem.embed.held",
     "larger", "smaller"),
    ("Bulk memory, chat, concurrency held: peak RSS at 20,000 requests / at 2,000", "bulk.mem.chat.held", "larger",
     "smaller"),
]  # fmt: skip
#: columns of the wall-time table, in order
TIME_SLOTS = ("zzz bulk", "zzz bulk+b64", "ChatOpenAI.abatch", "OpenAIEmbeddings", "floor")


def is_bulk(row: Row) -> bool:
    return row.case in BULK_CASES


def _num(v: float | None) -> str:
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def time_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    rows = [r for r in rows if r.case in ("k", "l")]
    slots = [s for s in TIME_SLOTS if any(s in r.values for r in rows)]
    head = ["job", *slots, "runner ÷ peer", "runner ÷ floor"]
    body = []
    for r in rows:
        cells = []
        for s in slots:
            text = f"{_num(r.values[s])} {r.unit}" if s in r.values else ""
            if text and r.detail.get(s):
                text += f" ({r.detail[s]})"
            cells.append(text)
        peer = "ChatOpenAI.abatch" if "ChatOpenAI.abatch" in r.values else "OpenAIEmbeddings"
        body.append([r.metric, *cells, _num(r.ratio("zzz bulk", peer)), _num(r.ratio("zzz bulk", "floor"))])
    return head, body


def memory_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    head = ["job", "smaller job", "larger job", "larger ÷ smaller"]
    body = []
    for r in rows:
        if r.case != "m":
            continue
        cells = []
        for s in ("smaller", "larger"):
            text = f"{_num(r.values[s])} {r.unit}" if s in r.values else ""
            cells.append(f"{text} ({r.detail[s]})" if text and s in r.detail else text)
        body.append([r.metric, *cells, _num(r.ratio("larger", "smaller"))])
    return head, body


def scaling_table(results: dict[str, CaseResult]) -> tuple[list[str], list[list[str]]]:
    res = next((v for v in results.values() if v.extra.get("points")), None)
    if res is None:
        return [], []
    points: dict[str, dict[str, dict[Any, float]]] = res.extra["points"]
    head = ["concurrency"]
    for scenario, per in points.items():
        head += [f"{label}, {scenario}" for label in per] + [f"runner ÷ floor, {scenario}"]
    body = []
    for level in res.extra["levels"]:
        cells = [str(level)]
        for per in points.values():
            got = {label: _at(values, level) for label, values in per.items()}
            cells += [_num(v) for v in got.values()]
            runner, floor = got.get("zzz bulk"), got.get("floor")
            cells.append(_num(runner / floor) if runner and floor else "–")
        body.append(cells)
    return head, body


def _at(values: dict[Any, float], level: int) -> float | None:
    # JSON turns the int keys into strings; accept both
    return values.get(level, values.get(str(level)))


def goal_lines(rows: list[Row], short: bool) -> tuple[list[str], list[list[str]]]:
    by_id = {r.id: r for r in rows}
    head = ["goal", "measured", "limit", "result"]
    body = []
    for text, rid, a, b, limit in GOALS:
        row = by_id.get(rid)
        v = row.ratio(a, b) if row is not None else None
        result = "not measured" if v is None else "(short run)" if short else "met" if v <= limit else "NOT met"
        body.append([text, _num(v), f"{limit:g}", result])
    for text, rid, a, b in EXTRA_RATIOS:
        row = by_id.get(rid)
        v = row.ratio(a, b) if row is not None else None
        if v is not None:
            body.append([text, _num(v), "", "(for information)"])
    return head, body


def sections(rows: list[Row], results: dict[str, CaseResult], short: bool) -> list[tuple[str, str, Any]]:
    """(title, note, (head, body)) for every bulk table that has rows."""
    bulk = [r for r in rows if is_bulk(r)]
    out: list[tuple[str, str, Any]] = []
    if any(r.case in ("k", "l") for r in bulk):
        out.append(
            (
                "Bulk jobs: wall time",
                "Medians of the rounds, in seconds, lower is better; the ratios are "
                "the runner's (`zzz bulk`, its defaults) over the peer's and over the floor's.",
                time_table(bulk),
            )
        )
    if any(r.case == "m" for r in bulk):
        out.append(
            (
                "Bulk memory: peak RSS",
                "Each size in a fresh interpreter; the peak is reset after imports "
                "and a 50-item warm-up job, so it is the job's own.",
                memory_table(bulk),
            )
        )
    head, body = scaling_table(results)
    if body:
        out.append(
            (
                "Bulk throughput against concurrency",
                f"Requests per second (higher is better); plotted in `{PLOT.relative_to(ROOT)}`.",
                (head, body),
            )
        )
    if bulk:
        out.append(
            (
                "Bulk goals (issue 13)" + (" (short run: counts too small to mean anything)" if short else ""),
                "",
                goal_lines(bulk, short),
            )
        )
    return out


def write_plot(results: dict[str, CaseResult], path: Path = PLOT) -> str:
    """Write the throughput-against-concurrency PNG; returns what was done (for the log)."""
    res = next((v for v in results.values() if v.extra.get("points")), None)
    if res is None:
        return "no throughput case in this run: no plot"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed here (benchmarks/requirements.txt): no plot"
    levels = res.extra["levels"]
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    styles = {"instant": "-", "gateway": "--"}
    colors = {"zzz bulk": "tab:blue", "floor": "tab:gray"}
    gateway = f"{res.extra['delay'] * 1000:.0f} ms first byte, cap {res.extra['cap']}"
    names = {"instant": "instant server", "gateway": gateway}
    for scenario, per in res.extra["points"].items():
        for label, values in per.items():
            ys = [_at(values, c) for c in levels]
            who = "runner" if label == "zzz bulk" else "floor"
            ax.plot(levels, ys, styles.get(scenario, "-"), marker="o", color=colors.get(label),
                    label=f"{who}, {names.get(scenario, scenario)}")  # fmt: skip
    cap_rate = res.extra["cap"] / res.extra["delay"]
    ax.axhline(cap_rate, color="tab:red", linewidth=0.8, linestyle=":", label=f"gateway ceiling ({cap_rate:.0f}/s)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(levels, [str(c) for c in levels])
    ax.set_xlabel("concurrency (requests in flight allowed)")
    ax.set_ylabel("requests per second")
    ax.set_title("Bulk chat throughput against concurrency")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
