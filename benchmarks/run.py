"""The benchmark runner: every library that can reach a relay, side by side, in one run.

    python benchmarks/run.py                      # everything (about 15 minutes on 2 cores)
    python benchmarks/run.py --short              # CI: tiny counts, proves it works, times nothing
    python benchmarks/run.py --only a,b           # cases by letter or name (see CASES)
    python benchmarks/run.py --contenders httpx,ChatZZZ,ChatOpenAI
    python benchmarks/run.py --write-docs         # rewrite the generated part of docs/benchmarks.md
    python benchmarks/run.py --only k,l,m,t --write-docs --doc-block bulk   # the bulk jobs (issue 13) + plot

Use ``benchmarks/run.sh`` to get the environment with the peers (.venv-bench).
Contenders whose packages are missing here are skipped, and said so.  All
figures are medians of samples taken round-robin (interleaved) in this one run,
against a server in its own process; read them as ratios.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable as a package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import clients, report, report_bulk  # noqa: E402
from benchmarks.common import ROOT, CaseResult, Server, Settings  # noqa: E402

#: name -> (letter, module); run in this order
CASES = {
    "imports": ("e", "benchmarks.cases.imports"),
    "nonstream": ("a", "benchmarks.cases.nonstream"),
    "stream": ("b", "benchmarks.cases.stream"),
    "concurrency": ("c", "benchmarks.cases.concurrency"),
    "embeddings": ("d", "benchmarks.cases.embeddings"),
    "memory": ("f", "benchmarks.cases.memory"),
    "stages": ("s", "benchmarks.cases.stages"),
    "profile": ("p", "benchmarks.cases.profile"),
    "rerank": ("r", "benchmarks.cases.rerank"),
    "bulk": ("k", "benchmarks.cases.bulk"),
    "bulk_index": ("i", "benchmarks.cases.bulk_index"),
    "bulk_embed": ("l", "benchmarks.cases.bulk_embed"),
    "bulk_memory": ("m", "benchmarks.cases.bulk_memory"),
    "bulk_scaling": ("t", "benchmarks.cases.bulk_scaling"),
}
DEFAULT = ("imports", "nonstream", "stream", "concurrency", "embeddings", "memory", "stages", "profile", "rerank")


def _versions() -> str:
    out = []
    for dist in ("openai", "httpx", "httpx2", "aiohttp", "langchain-core", "langchain-openai", "llama-index-core",
                 "llama-index-llms-openai-like", "llama-index-embeddings-openai-like", "pydantic"):  # fmt: skip
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def parse_cases(text: str | None) -> list[str]:
    if not text:
        return list(DEFAULT)
    by_letter = {letter: name for name, (letter, _) in CASES.items()}
    picked = []
    for item in (x.strip() for x in text.split(",") if x.strip()):
        name = by_letter.get(item, item)
        if name not in CASES:
            raise SystemExit(
                f"unknown case {item!r}; choose from {', '.join(f'{n} ({c})' for n, (c, _) in CASES.items())}"
            )
        picked.append(name)
    return [n for n in CASES if n in picked]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)  # fmt: skip
    parser.add_argument(
        "--short", action="store_true", help="tiny counts: proves the benchmark works (CI), times nothing"
    )
    parser.add_argument("--only", help="cases, by letter or name: a/nonstream b/stream c/concurrency d/embeddings "
                                       "e/imports f/memory s/stages p/profile r/rerank k/bulk i/bulk_index "
                                       "l/bulk_embed m/bulk_memory t/bulk_scaling")  # fmt: skip
    parser.add_argument("--contenders", help="comma-separated contender names (default: all available)")
    parser.add_argument("--write-docs", action="store_true", help="rewrite the generated part of docs/benchmarks.md")
    parser.add_argument(
        "--doc-block",
        default="main",
        metavar="NAME",
        help="which generated block of docs/benchmarks.md --write-docs replaces (default: main)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    args = parser.parse_args(argv)

    if args.short and args.write_docs:
        parser.error("--write-docs with --short would replace the measured tables with a short run's figures")
    cases = parse_cases(args.only)
    only = {x.strip() for x in args.contenders.split(",")} if args.contenders else None
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    env = {
        "command": "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}",
        "versions": _versions(),
        "load_before": _load(),
    }
    log(f"==> {env['machine']}; {env['versions']}")
    skipped = clients.missing(clients.ASYNC_NAMES) + clients.missing(tuple(c.name for c in clients.EMBED))
    if skipped:
        log(f"==> not installed here, skipped: {', '.join(sorted(set(skipped)))}")

    results: dict[str, CaseResult] = {}
    failed: list[str] = []
    with Server() as server:
        settings = Settings(short=args.short, server=server, only=only, log=log)
        for name in cases:
            log(f"==> {name} ({CASES[name][0]})")
            t0 = time.perf_counter()
            module = importlib.import_module(CASES[name][1])
            try:
                results[name] = module.run(settings)
            except Exception as exc:  # noqa: BLE001 - one broken case must not lose a long run's other cases
                log(f"    {name} failed: {type(exc).__name__}: {exc}")
                failed.append(name)
                results[name] = CaseResult(notes=[f"case {name} failed: {type(exc).__name__}: {str(exc)[:300]}"])
            log(f"    {time.perf_counter() - t0:.1f} s")
    env["load_after"] = _load()
    rows = [row for res in results.values() for row in res.rows]
    print(report.render_text(rows, results, args.short))
    if args.json:
        Path(args.json).write_text(json.dumps({"env": env, "rows": [r.__dict__ for r in rows],
                                               "extra": {k: v.extra for k, v in results.items() if v.extra}},
                                              indent=1, default=str))  # fmt: skip
    if args.write_docs:
        path = report.write_doc(report.render_markdown(rows, results, env, args.short, args.doc_block), args.doc_block)
        log(f"==> wrote {path.relative_to(ROOT)}")
        if any(report_bulk.is_bulk(r) for r in rows):
            log("==> " + report_bulk.write_plot(results))
    if failed:
        log(f"==> failed cases (see the notes): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
