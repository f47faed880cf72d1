"""Tables of ratios (to the floor and to each peer), the goals, and ``docs/benchmarks.md``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import report_bulk
from .common import LEGEND, ROOT, SLOT_TITLES, SLOTS, CaseResult, Row

DOC = ROOT / "docs" / "benchmarks.md"


def markers(block: str) -> tuple[str, str]:
    """The comment lines around a generated block of the doc (``--doc-block NAME``)."""
    how = f"benchmarks/run.py --write-docs --doc-block {block}; edits inside are overwritten"
    return f"<!-- BEGIN GENERATED {block}: {how} -->", f"<!-- END GENERATED {block} -->"


@dataclass
class Goal:
    text: str
    row: str
    a: str
    b: str | None  # None: the row's value itself is compared
    limit: float

    def measure(self, rows: dict[str, Row]) -> float | None:
        row = rows.get(self.row)
        if row is None:
            return None
        if self.b is None:
            return row.values.get(self.a)
        return row.ratio(self.a, self.b)


GOALS = [
    Goal("Streaming, sync: ChatZZZ.stream <= 0.35x ChatOpenAI per chunk", "stream.sync", "lc-zzz", "lc-peer", 0.35),
    Goal("Streaming, sync: ZZZ.stream_chat <= 0.35x OpenAILike per chunk", "stream.sync", "li-zzz", "li-peer", 0.35),
    Goal("Streaming, async: ChatZZZ.astream <= 0.35x ChatOpenAI per chunk", "stream.async", "lc-zzz", "lc-peer", 0.35),
    Goal("Streaming, async: ZZZ.astream_chat <= 0.35x OpenAILike per chunk", "stream.async", "li-zzz", "li-peer", 0.35),
    Goal("Streaming: ChatZZZ cost per chunk flat 2,000 -> 100,000 (<= 1.25)", "flat", "lc-zzz", None, 1.25),
    Goal("Streaming: ZZZ cost per chunk flat 2,000 -> 100,000 (<= 1.25)", "flat", "li-zzz", None, 1.25),
    Goal("Non-stream: ChatZZZ.invoke <= 0.8x ChatOpenAI (median)", "nonstream.median", "lc-zzz", "lc-peer", 0.8),
    Goal("Non-stream: ZZZ.chat <= 0.8x OpenAILike (median)", "nonstream.median", "li-zzz", "li-peer", 0.8),
    Goal(
        "Non-stream: ChatZZZ.invoke <= 1.25x openai raw-response path", "nonstream.median", "lc-zzz", "openai-raw", 1.25
    ),
    Goal("Non-stream: ZZZ.chat <= 1.25x openai raw-response path", "nonstream.median", "li-zzz", "openai-raw", 1.25),
    Goal(
        "Concurrency: 200 x ChatZZZ.ainvoke <= 0.3x ChatOpenAI, steady state",
        "conc.200.steady",
        "lc-zzz",
        "lc-peer",
        0.3,
    ),
    Goal(
        "Concurrency: 200 x ChatZZZ.ainvoke <= 0.3x ChatOpenAI, first burst", "conc.200.first", "lc-zzz", "lc-peer", 0.3
    ),
    Goal("Concurrency: 200 x ZZZ.achat <= 0.3x OpenAILike, steady state", "conc.200.steady", "li-zzz", "li-peer", 0.3),
    Goal("Concurrency: 200 x ZZZ.achat <= 0.3x OpenAILike, first burst", "conc.200.first", "li-zzz", "li-peer", 0.3),
    Goal(
        "Embeddings: 10,000 texts, ZZZEmbeddings <= 0.8x OpenAIEmbeddings (sync)",
        "embed.10000.sync",
        "lc-zzz",
        "lc-peer",
        0.8,
    ),
    Goal(
        "Embeddings: 10,000 texts, ZZZEmbeddings <= 0.8x OpenAIEmbeddings (async)",
        "embed.10000.async",
        "lc-zzz",
        "lc-peer",
        0.8,
    ),
    Goal(
        "Embeddings: 10,000 texts, ZZZEmbedding <= 0.8x OpenAILikeEmbedding (sync)",
        "embed.10000.sync",
        "li-zzz",
        "li-peer",
        0.8,
    ),
    Goal(
        "Embeddings: 10,000 texts, ZZZEmbedding <= 0.8x OpenAILikeEmbedding (async)",
        "embed.10000.async",
        "li-zzz",
        "li-peer",
        0.8,
    ),
    Goal("Import: langchain_zzz <= 0.5x langchain_openai", "import", "lc-zzz", "lc-peer", 0.5),
    Goal("Import: llamaindex_zzz <= 0.75x llama_index.llms.openai_like", "import", "li-zzz", "li-peer", 0.75),
    Goal("Memory: peak RSS, ChatZZZ 2,000-chunk stream <= 0.8x ChatOpenAI", "mem.2000.peak", "lc-zzz", "lc-peer", 0.8),
    Goal("Memory: peak RSS, ZZZ 2,000-chunk stream <= 0.8x OpenAILike", "mem.2000.peak", "li-zzz", "li-peer", 0.8),
    Goal(
        "Memory: peak RSS, ChatZZZ 100,000-chunk stream <= 0.8x ChatOpenAI", "mem.100000.peak", "lc-zzz", "lc-peer", 0.8
    ),
    Goal("Memory: peak RSS, ZZZ 100,000-chunk stream <= 0.8x OpenAILike", "mem.100000.peak", "li-zzz", "li-peer", 0.8),
]

#: The same limits for the proposed changes, measured through public options of today's code.
WHAT_IF = [
    Goal("what-if ZZZEmbeddings, base64 asked: 10,000 texts <= 0.8x OpenAIEmbeddings (sync)",
         "embed.10000.sync", "lc-zzz+b64", "lc-peer", 0.8),
    Goal("what-if ZZZEmbeddings, base64 asked: 10,000 texts <= 0.8x OpenAIEmbeddings (async)",
         "embed.10000.async", "lc-zzz+b64", "lc-peer", 0.8),
    Goal("what-if ZZZEmbedding, base64 asked: 10,000 texts <= 0.8x OpenAILikeEmbedding (sync)",
         "embed.10000.sync", "li-zzz+b64", "li-peer", 0.8),
    Goal("what-if ZZZEmbedding, base64 asked: 10,000 texts <= 0.8x OpenAILikeEmbedding (async)",
         "embed.10000.async", "li-zzz+b64", "li-peer", 0.8),
]  # fmt: skip


def _num(v: float | None, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits}f}"


def present_slots(rows: list[Row]) -> list[str]:
    seen = {k for r in rows for k in r.values}
    return [s for s in SLOTS if s in seen]


def ratio_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Rows x columns: the floor's absolute value, then each column's ratio to the floor."""
    slots = present_slots(rows)
    slots = [s for s in slots if s != "httpx"]  # the floor is the second column
    head = ["measure", "floor (raw httpx)"] + [SLOT_TITLES[s] for s in slots]
    body = []
    for r in rows:
        if r.floor and r.floor in r.values:
            first = f"{_num(r.values[r.floor])} {r.unit}"
            cells = [_num(r.ratio(s, r.floor)) if s in r.values else "" for s in slots]
        else:
            first = f"({r.unit})"
            cells = [_num(r.values.get(s)) if s in r.values else "" for s in slots]
        body.append([r.metric, first] + cells)
    return head, body


def absolute_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    slots = present_slots(rows)
    head = ["measure", "unit"] + [SLOT_TITLES[s] for s in slots]
    body = []
    for r in rows:
        cells = []
        for s in slots:
            if s not in r.values:
                cells.append("")
                continue
            text = _num(r.values[s])
            if r.spread.get(s):
                text += f" ±{r.spread[s] * 100:.0f}%"
            if r.detail.get(s):
                text += f" ({r.detail[s]})"
            cells.append(text)
        body.append([r.metric, r.unit] + cells)
    return head, body


#: rows where the floor of a skin is the sum of the sender's cost and the framework's (time, sequential)
ADDITIVE = ("nonstream.", "stream.sync", "stream.async")
PEER_COLUMNS = [
    ("LC zzz ÷ LC peer", "lc-zzz", "lc-peer"),
    ("LI zzz ÷ LI peer", "li-zzz", "li-peer"),
    ("LC best ÷ LC peer", "best:lc", "lc-peer"),
    ("LI best ÷ LI peer", "best:li", "li-peer"),
    ("LC zzz ÷ oai raw", "lc-zzz", "openai-raw"),
    ("LI zzz ÷ oai raw", "li-zzz", "openai-raw"),
    ("oai parsed ÷ oai raw", "openai", "openai-raw"),
    ("oai raw+aio ÷ oai raw", "openai-raw-aiohttp", "openai-raw"),
    ("LC zzz+httpx ÷ LC peer", "lc-zzz+httpx", "lc-peer"),
    ("LI zzz+httpx ÷ LI peer", "li-zzz+httpx", "li-peer"),
    ("LC zzz+b64* ÷ LC peer", "lc-zzz+b64", "lc-peer"),
    ("LI zzz+b64* ÷ LI peer", "li-zzz+b64", "li-peer"),
]
PEER_LEGEND = (
    "LC best / LI best: the least a skin over the openai raw path can cost, (oai raw + LC alone) "
    "and (oai raw + LI alone), over the peer; shown for sequential time rows, where costs add up."
)


def _ratio(r: Row, a: str, b: str) -> float | None:
    if a.startswith("best:"):
        if not r.id.startswith(ADDITIVE):
            return None
        frame = {"best:lc": "lc-frame", "best:li": "li-frame"}[a]
        parts = [r.values.get("openai-raw"), r.values.get(frame), r.values.get(b)]
        if any(p is None for p in parts) or not parts[2]:
            return None
        return (parts[0] + parts[1]) / parts[2]  # type: ignore[operator]
    return r.ratio(a, b)


def peer_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    cols = [c for c in PEER_COLUMNS if any(_ratio(r, c[1], c[2]) is not None for r in rows if r.floor)]
    head = ["measure"] + [c[0] for c in cols]
    body = []
    for r in rows:
        if not r.floor:
            continue
        cells = [_num(_ratio(r, a, b)) for _, a, b in cols]
        if any(c != "–" for c in cells):
            body.append([r.metric] + cells)
    return head, body


def goal_lines(rows: list[Row], short: bool) -> tuple[list[str], list[list[str]]]:
    by_id = {r.id: r for r in rows}
    head = ["goal", "measured", "limit", "result"]
    body = []
    for g in GOALS + WHAT_IF:
        v = g.measure(by_id)
        if v is None:
            result = "not measured"
        elif short:
            result = "(short run)"
        else:
            result = "met" if v <= g.limit else "NOT met"
        body.append([g.text, _num(v), f"{g.limit:g}", result])
    return head, body


def server_table(results: dict[str, CaseResult]) -> tuple[list[str], list[list[str]]]:
    head = ["case", "wall s", "client CPU s", "server CPU s", "server ÷ client"]
    body = []
    for name, res in results.items():
        if res.client_cpu:
            body.append([name, f"{res.wall:.1f}", f"{res.client_cpu:.1f}", f"{res.server_cpu:.2f}",
                         f"{res.server_cpu / res.client_cpu:.2f}"])  # fmt: skip
    return head, body


def profile_tables(results: dict[str, CaseResult], rows: list[Row]) -> list[tuple[str, list[str], list[list[str]]]]:
    res = results.get("profile")
    if res is None or not res.extra:
        return []
    by_id = {r.id: r for r in rows}
    out = []
    for spec in res.extra.values():
        per = spec["contenders"]  # contender slot -> {group: share}
        unit_row = by_id.get(spec.get("row", ""))
        groups = sorted(
            {g for shares in per.values() for g in shares}, key=lambda g: -max(p.get(g, 0) for p in per.values())
        )
        slots = [s for s in SLOTS if s in per]
        head = ["where the time goes"] + [SLOT_TITLES[s] for s in slots]
        body = []
        for g in groups:
            cells = []
            for s in slots:
                share = per[s].get(g, 0.0)
                if share < 0.005:
                    cells.append("")
                    continue
                text = f"{share * 100:.0f}%"
                if unit_row is not None and s in unit_row.values:
                    text += f" ≈{_num(share * unit_row.values[s], 1)}"
                cells.append(text)
            body.append([g] + cells)
        title = spec["title"] + (f" (≈ values in {unit_row.unit}, from the unprofiled run)" if unit_row else "")
        out.append((title, head, body))
    return out


def stage_tables(results: dict[str, CaseResult]) -> list[tuple[str, list[str], list[list[str]]]]:
    res = results.get("stages")
    if res is None:
        return []
    head = ["stage", "code", "µs"]
    return [(spec["title"], head, [[stage, owner, f"{us:.1f}"] for stage, owner, us in spec["stages"]])
            for spec in res.extra.values()]  # fmt: skip


# ------------------------------------------------------------------------ rendering
def text_table(head: list[str], body: list[list[str]]) -> str:
    columns = zip(head, *body, strict=True)
    widths = [max(len(str(x)) for x in col) for col in columns] if body else [len(h) for h in head]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        cells = enumerate(zip(row, widths, strict=True))
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in cells))
    return "\n".join(lines)


def md_table(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def render_text(rows: list[Row], results: dict[str, CaseResult], short: bool) -> str:
    bulk = [r for r in rows if report_bulk.is_bulk(r)]
    rows = [r for r in rows if not report_bulk.is_bulk(r)]
    parts = _single_text(rows, results, short) if rows else []
    for title, note, (head, body) in report_bulk.sections(bulk, results, short):
        parts += ["", title + (f" ({note})" if note else "") + ":", text_table(head, body)]
    if not rows:
        parts += ["", "Server check (the server must cost far less CPU than the client):",
                  text_table(*server_table(results))]  # fmt: skip
    notes = [n for res in results.values() for n in res.notes]
    if notes:
        parts += ["", "Notes:"] + [f"  - {n}" for n in notes]
    return "\n".join(parts)


def _single_text(rows: list[Row], results: dict[str, CaseResult], short: bool) -> list[str]:
    parts = ["Columns: " + LEGEND, "",
             "Ratios to the floor (raw httpx + json.loads); lower is faster/smaller. "
             "First column: the floor's own value.",
             text_table(*ratio_table(rows)), "",
             "Ratios to each peer (ZZZ columns over the peer they replace, and over the openai raw path). "
             + PEER_LEGEND,
             text_table(*peer_table(rows)), "",
             "Absolute values (median; ±: half the interquartile range of the samples):",
             text_table(*absolute_table(rows)), "",
             "Goals" + (" (short run: counts too small to mean anything)" if short else "") + ":",
             text_table(*goal_lines(rows, short)), "",
             "Server check (the server must cost far less CPU than the client):",
             text_table(*server_table(results))]  # fmt: skip
    for title, head, body in stage_tables(results) + profile_tables(results, rows):
        parts += ["", title + ":", text_table(head, body)]
    return parts


def render_markdown(rows: list[Row], results: dict[str, CaseResult], env: dict[str, Any], short: bool,
                    block: str = "main") -> str:  # fmt: skip
    begin, end = markers(block)
    bulk = [r for r in rows if report_bulk.is_bulk(r)]
    rows = [r for r in rows if not report_bulk.is_bulk(r)]
    parts = [
        begin,
        "",
        f"Run: `{env['command']}` on {env['when']}; {env['machine']}; {env['versions']}.",
        f"Load average before/after: {env['load_before']} / {env['load_after']}.",
    ]
    if rows:
        parts += [""] + _single_markdown(rows, results, short)
    for title, note, (head, body) in report_bulk.sections(bulk, results, short):
        parts += ["", f"### {title}", ""] + ([note, ""] if note else []) + [md_table(head, body)]
    if not rows:
        parts += ["", "### Server check", "", SERVER_NOTE, "", md_table(*server_table(results))]
    notes = [n for res in results.values() for n in res.notes]
    if notes:
        parts += ["", "### Notes from the run", ""] + [f"- {n}" for n in notes]
    parts += ["", end]
    return "\n".join(parts)


SERVER_NOTE = (
    "CPU seconds of the benchmark server process and of the client process over each case: the server "
    "is a separate process and costs a small fraction of the client, so it is never the bottleneck."
)


def _single_markdown(rows: list[Row], results: dict[str, CaseResult], short: bool) -> list[str]:
    parts = ["Columns: " + LEGEND, "",
             "### Ratios to the floor", "",
             "Raw `httpx` + `json.loads` = 1.00; lower is faster (or smaller). "
             "The second column is the floor's own value.",
             "", md_table(*ratio_table(rows)), "",
             "### Ratios to the peers", "", PEER_LEGEND, "", md_table(*peer_table(rows)), "",
             "### Goals", "", md_table(*goal_lines(rows, short)), "",
             "### Absolute values", "",
             "Medians; `±` is half the interquartile range of the interleaved samples; embeddings show the requests "
             "sent and the `encoding_format` asked; imports the modules loaded.", "",
             md_table(*absolute_table(rows)), "",
             "### Server check", "", SERVER_NOTE, "",
             md_table(*server_table(results))]  # fmt: skip
    for title, head, body in stage_tables(results) + profile_tables(results, rows):
        parts += ["", f"### {title}", "", md_table(head, body)]
    return parts


_SKELETON = """# Benchmarks

How to run: `bash benchmarks/run.sh` (see below).

{generated}
"""


def write_doc(generated: str, block: str = "main") -> Path:
    begin, end = markers(block)
    if DOC.exists():
        text = DOC.read_text(encoding="utf-8")
        if begin in text and end in text:
            pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
            text = pattern.sub(lambda _: generated, text, count=1)
        else:
            text = text.rstrip() + "\n\n" + generated + "\n"
    else:
        text = _SKELETON.format(generated=generated)
    DOC.write_text(text, encoding="utf-8")
    return DOC
