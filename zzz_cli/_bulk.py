"""``zzz bulk chat|complete|embed INPUT -o OUTPUT`` and ``zzz bulk status OUTPUT``.

Exit status: 0 when every item is recorded (some may be failures), 3 for an account or
budget stop (top up / raise --max-cost and run the same command again), 2 for usage or
input errors (found before anything is sent), 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ._commands import _UsageError, open_gateway
from ._output import Printer

__all__ = ["add_bulk_parser", "cmd_bulk_run", "cmd_bulk_status"]

_KINDS = {"chat": "chat", "complete": "completions", "embed": "embeddings"}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def add_bulk_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    fmt = argparse.HelpFormatter
    bulk = sub.add_parser("bulk", formatter_class=fmt, help="run a JSONL file of requests, resumably",
                          description="Send every request of a JSONL file (OpenAI Batch API lines, or the "
                                      "shorthands {\"messages\": […]}, {\"prompt\": \"…\"}, {\"input\": \"…\"}) and "
                                      "record each answer in OUTPUT, in the Batch API output format. Running the "
                                      "same command again resumes: recorded items are skipped.",
                          epilog="exit status: 0 every item recorded (some may have failed), 3 stopped by the "
                                 "balance, the key or --max-cost (top up and run the same command again), 2 a "
                                 "usage or input error (nothing was sent), 1 otherwise")  # fmt: skip
    kinds = bulk.add_subparsers(dest="bulk_command", metavar="KIND", title="kinds")
    for name, help_text in (("chat", "chat completions"), ("complete", "text completions"),
                            ("embed", "embeddings")):  # fmt: skip
        about = f"Run a JSONL file of {help_text} requests; see `zzz bulk --help`."
        p = kinds.add_parser(name, parents=[common], formatter_class=fmt, help=help_text, description=about)
        p.add_argument("input", metavar="INPUT.jsonl", help="the requests, one JSON object per line")
        p.add_argument("-o", "--output", metavar="OUTPUT.jsonl", required=True,
                       help="the results file; the same path resumes an earlier run")  # fmt: skip
        p.add_argument("-m", "--model", help="the model of lines whose body names none")
        p.add_argument(
            "--concurrency",
            type=_positive_int,
            default=16,
            metavar="N",
            help="requests in flight at the start (default 16); adapts to the gateway's throttling",
        )
        p.add_argument(
            "--max-concurrency",
            type=_positive_int,
            default=256,
            metavar="N",
            help="the most requests in flight it may grow to (default 256)",
        )
        p.add_argument("--rpm", type=_positive_float, metavar="N", help="at most N requests per minute")
        p.add_argument("--tpm", type=_positive_float, metavar="N", help="at most about N tokens per minute")
        p.add_argument("--max-cost", type=_positive_float, metavar="X",
                       help="stop once this much is spent (priced by zzz_core.pricing; the currency of the "
                            "first priced call, or --currency)")  # fmt: skip
        p.add_argument("--currency", choices=("CNY", "USD"), help="the currency of --max-cost")
        p.add_argument("--retry-failed", action="store_true", help="send the recorded per-item failures again")
        if name == "embed":
            p.add_argument(
                "--embed-batch",
                type=_positive_int,
                default=256,
                metavar="N",
                help="one-text lines are packed N to a request (default 256); each is recorded alone",
            )
        p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
        p.set_defaults(handler=cmd_bulk_run, bulk_kind=_KINDS[name])
    p = kinds.add_parser(
        "status",
        formatter_class=fmt,
        help="count what a results file records",
        description="Count the successes and failures a results file records, by error class.",
    )
    p.add_argument("output", metavar="OUTPUT.jsonl")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_bulk_status)
    bulk.set_defaults(handler=lambda args, printer: _no_kind(bulk))


def _no_kind(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


@contextlib.contextmanager
def _progress_log(debug: bool) -> Iterator[None]:
    """The bulk logger's progress lines on stderr (the CLI shows only warnings otherwise), and
    no line per retried 429: a long job meets thousands, the progress shows the concurrency
    limit they lead to, and ``--debug`` shows them all."""
    bulk, core = logging.getLogger("zzz_core.bulk"), logging.getLogger("zzz_core")
    saved = bulk.level, core.level
    bulk.setLevel(logging.INFO)
    if not debug:
        core.setLevel(logging.ERROR)
    try:
        yield
    finally:
        bulk.setLevel(saved[0])
        core.setLevel(saved[1])


def cmd_bulk_run(args: argparse.Namespace, printer: Printer) -> int:
    from zzz_core.bulk.inputs import BulkInputError
    from zzz_core.bulk.runner import run_bulk

    if not os.path.isfile(args.input):
        raise _UsageError(f"no such input file: {args.input}")
    if os.path.abspath(args.input) == os.path.abspath(args.output):
        raise _UsageError("the output must be another file than the input")
    try:
        with open_gateway(args, printer) as gateway, _progress_log(bool(getattr(args, "debug", False))):
            report = run_bulk(
                args.input, args.output, kind=args.bulk_kind, model=args.model, gateway=gateway,
                concurrency=args.concurrency, max_concurrency=args.max_concurrency, requests_per_minute=args.rpm,
                tokens_per_minute=args.tpm, max_cost=args.max_cost, currency=args.currency,
                retry_failed=args.retry_failed, progress=not args.no_progress,
                embed_batch_size=getattr(args, "embed_batch", 256),
            )  # fmt: skip
    except BulkInputError as exc:
        raise _UsageError(f"{exc} (nothing was sent)") from None
    printer.err(f"zzz bulk: {printer.redact(report.summary())}")
    return report.exit_status


def status_counts(path: str) -> dict[str, Any]:
    """What ``zzz bulk status`` reports: totals, failures by error class, a torn tail."""
    from zzz_core.bulk.results import load_index, read_results

    index = load_index(path)
    by_class: Counter[str] = Counter()
    for record in read_results(path):
        err = record.get("error")
        if isinstance(err, dict):
            by_class[str(err.get("class") or err.get("code") or "error")] += 1
    return {"path": path, "recorded": index.ok + index.failed, "succeeded": index.ok, "failed": index.failed,
            "retryable_failed": index.retryable, "failed_by_class": dict(by_class.most_common()),
            "torn_last_line": index.torn, "unreadable_lines": index.bad_lines}  # fmt: skip


def cmd_bulk_status(args: argparse.Namespace, printer: Printer) -> int:
    if not os.path.isfile(args.output):
        raise _UsageError(f"no such results file: {args.output}")
    counts = status_counts(args.output)
    if args.json:
        printer.line(json.dumps(counts, ensure_ascii=False))
        return 0
    printer.line(f"{counts['recorded']} recorded: {counts['succeeded']} succeeded, {counts['failed']} failed")
    for cls, n in counts["failed_by_class"].items():
        printer.line(f"  {n:>8}  {cls}")
    if counts["retryable_failed"]:
        printer.line(f"{counts['retryable_failed']} failures were transient: --retry-failed sends the failures again")
    if counts["torn_last_line"]:
        printer.line("the last line is torn (a run was killed mid-write); it is ignored and cut off on the next run")
    if counts["unreadable_lines"]:
        printer.line(f"{counts['unreadable_lines']} lines are not result lines and are ignored")
    return 0
