"""``zzz batch submit|status|wait|fetch|cancel|list``: the gateway's OpenAI Batch API.

The gateway runs the job on its side (智增增: within 24 hours); ``zzz bulk`` sends the
same file as ordinary requests instead (see docs/batch.md for which to use).  A gateway
without a Batch API (new-api, 4Z-API) fails with ``BatchAPIUnsupportedError``, which
names ``zzz bulk``.

Exit status, as ``zzz bulk``: 0 done (``fetch``: every line recorded, some may be
failures), 2 a usage or input error (nothing was sent), 1 otherwise (a job that failed
validation, expired or was cancelled is an error of ``wait``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from ._commands import _UsageError, open_gateway
from ._output import Printer

__all__ = ["add_batch_parser", "job_row"]

_ABOUT = (
    "Run a JSONL file of requests through the gateway's OpenAI Batch API (/v1/files, /v1/batches): the gateway "
    "works through it on its side, within 24 hours, and nothing has to stay connected. Accepts what `zzz bulk` "
    "accepts (Batch API lines or the shorthands); the results come back in the same format. Gateways without a "
    "Batch API (new-api, 4Z-API) get an error naming `zzz bulk`, which runs the same file as ordinary requests."
)


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _metadata(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def add_batch_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    fmt = argparse.HelpFormatter
    batch = sub.add_parser("batch", formatter_class=fmt, help="submit a JSONL file to the gateway's Batch API",
                           description=_ABOUT,
                           epilog="exit status: 0 done, 2 a usage or input error (nothing was sent), 1 otherwise "
                                  "(including a job that failed validation, expired or was cancelled)")  # fmt: skip
    cmds = batch.add_subparsers(dest="batch_command", metavar="COMMAND", title="commands")

    p = cmds.add_parser("submit", parents=[common], formatter_class=fmt, help="upload a file and start a job",
                        description="Check every line (line-numbered errors before anything is sent), upload the "
                                    "file and start a job; prints the batch id on stdout.")  # fmt: skip
    p.add_argument("input", metavar="INPUT.jsonl", help="the requests, one JSON object per line")
    p.add_argument("-m", "--model", help="the model of lines whose body names none")
    p.add_argument("--endpoint", metavar="URL",
                   help="/v1/chat/completions, /v1/completions or /v1/embeddings (or chat, complete, embed); "
                        "default: what the lines are")  # fmt: skip
    p.add_argument("--metadata", type=_metadata, action="append", metavar="KEY=VALUE", help="attach to the job")
    p.set_defaults(handler=cmd_batch_submit)

    for name, handler, help_text in (("status", cmd_batch_status, "show a job's state and counts"),
                                     ("cancel", cmd_batch_cancel, "stop a job (finished lines are kept)")):  # fmt: skip
        p = cmds.add_parser(name, parents=[common], formatter_class=fmt, help=help_text, description=help_text)
        p.add_argument("batch_id", metavar="ID")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(handler=handler)

    p = cmds.add_parser("wait", parents=[common], formatter_class=fmt, help="wait until a job has finished",
                        description="Poll the job with backoff (from --poll seconds up to a minute) until it has "
                                    "finished, showing its progress (a tqdm bar on a terminal when tqdm is "
                                    "installed, else a line per change).")  # fmt: skip
    p.add_argument("batch_id", metavar="ID")
    p.add_argument("--poll", type=_seconds, default=5.0, metavar="SECONDS", help="first poll interval (default 5)")
    p.add_argument("--max-wait", type=_seconds, metavar="SECONDS", help="give up after this long (default: never)")
    p.add_argument("--no-progress", action="store_true", help="print nothing until the end")
    p.set_defaults(handler=cmd_batch_wait)

    p = cmds.add_parser("fetch", parents=[common], formatter_class=fmt, help="save a finished job's results",
                        description="Download the output and error files and write one result per input line, "
                                    "matched by custom_id, in the format of `zzz bulk` (lines already in OUTPUT are "
                                    "kept and not written again). Works for completed, expired and cancelled jobs; "
                                    "lines cut off are recorded as retryable failures, which `zzz bulk ... "
                                    "--retry-failed` with the same OUTPUT sends again.")  # fmt: skip
    p.add_argument("batch_id", metavar="ID")
    p.add_argument("-o", "--output", metavar="OUTPUT.jsonl", required=True, help="the results file")
    p.set_defaults(handler=cmd_batch_fetch)

    p = cmds.add_parser("list", parents=[common], formatter_class=fmt, help="the most recent jobs",
                        description="The most recent jobs, newest first.")  # fmt: skip
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many (default 20)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_batch_list)
    batch.set_defaults(handler=lambda args, printer: _no_command(batch))


def _no_command(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def job_row(job: Any) -> dict[str, Any]:
    """A job as ``--json`` shows it."""
    keys = ("id", "status", "endpoint", "input_file_id", "output_file_id", "error_file_id", "total", "completed",
            "failed", "created_at", "expires_at", "metadata")  # fmt: skip
    row = {k: getattr(job, k) for k in keys}
    row["errors"] = list(job.errors)
    return row


def _show(printer: Printer, job: Any, as_json: bool) -> None:
    if as_json:
        printer.line(json.dumps(job_row(job), ensure_ascii=False))
        return
    printer.line(f"{job.id}  {job.progress}  [{job.endpoint}]")
    for e in job.errors[:20]:
        printer.line(f"  line {e.get('line')}: {e.get('message')} ({e.get('code')})")


def cmd_batch_submit(args: argparse.Namespace, printer: Printer) -> int:
    from zzz_core.bulk.batch import prepare_input
    from zzz_core.errors import InvalidInputError

    if not os.path.isfile(args.input):
        raise _UsageError(f"no such input file: {args.input}")
    try:
        data, endpoint, name = prepare_input(args.input, model=args.model, endpoint=args.endpoint)
    except InvalidInputError as exc:
        raise _UsageError(f"{exc} (nothing was sent)") from None
    with open_gateway(args, printer) as gw:
        file_id = gw.batches.upload(data, filename=name)
        job = gw.batches.create(file_id, endpoint, metadata=dict(args.metadata or ()) or None)
    printer.line(job.id)
    lines = data.count(b"\n")
    printer.err(
        f"zzz batch: {lines} requests to {endpoint} submitted as {job.id} ({job.status}); "
        f"`zzz batch wait {job.id}` waits for it, `zzz batch fetch {job.id} -o OUT.jsonl` saves it"
    )
    return 0


def cmd_batch_status(args: argparse.Namespace, printer: Printer) -> int:
    with open_gateway(args, printer) as gw:
        job = gw.batches.retrieve(args.batch_id)
    _show(printer, job, args.json)
    return 0


def cmd_batch_cancel(args: argparse.Namespace, printer: Printer) -> int:
    with open_gateway(args, printer) as gw:
        job = gw.batches.cancel(args.batch_id)
    _show(printer, job, args.json)
    return 0


def cmd_batch_list(args: argparse.Namespace, printer: Printer) -> int:
    with open_gateway(args, printer) as gw:
        jobs = gw.batches.list(limit=args.limit)
    if args.json:
        printer.line(json.dumps([job_row(j) for j in jobs], ensure_ascii=False))
    else:
        for job in jobs:
            printer.line(f"{job.id}  {job.progress}  [{job.endpoint}]")
    return 0


def cmd_batch_wait(args: argparse.Namespace, printer: Printer) -> int:
    display = None if args.no_progress else _WaitDisplay(printer)
    with open_gateway(args, printer) as gw:
        try:
            job = gw.batches.wait(args.batch_id, poll_interval=args.poll, timeout=args.max_wait,
                                  on_progress=display.update if display else None)  # fmt: skip
        finally:
            if display is not None:
                display.close()
    printer.line(f"{job.id}  {job.progress}")
    printer.err(f"zzz batch: `zzz batch fetch {job.id} -o OUT.jsonl` saves the results")
    return 0


def cmd_batch_fetch(args: argparse.Namespace, printer: Printer) -> int:
    from zzz_core.bulk.results import ResultsFile, load_index

    with open_gateway(args, printer) as gw:
        results = gw.batches.fetch(args.batch_id)
    already = load_index(args.output)
    written = 0
    with ResultsFile(args.output).open() as out:
        for record in results.lines:
            if record["custom_id"] not in already:
                out.write(record)
                written += 1
    kept = len(results.lines) - written
    job = results.job
    note = f"; {kept} were already in {args.output}" if kept else ""
    printer.err(f"zzz batch: {job.id} {job.status}: {results.succeeded} succeeded, {results.failed} failed; "
                f"{written} lines written to {args.output}{note}")  # fmt: skip
    if job.status != "completed" and results.failed:
        printer.err(f"zzz batch: the job {job.status} before it finished; the lines it cut off are recorded as "
                    f"retryable failures: `zzz bulk <kind> INPUT.jsonl -o {args.output} --retry-failed` sends "
                    "them again")  # fmt: skip
    return 0


class _WaitDisplay:
    """The progress of ``zzz batch wait``: a tqdm bar on a terminal (when installed), else a
    line on stderr each time the state or the counts change."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self.bar: Any = None
        self.last: tuple[Any, ...] | None = None
        if sys.stderr is not None and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=0, unit="req", dynamic_ncols=True, desc="batch")

    def update(self, job: Any) -> None:
        state = (job.status, job.completed, job.failed, job.total)
        if state == self.last:
            return
        self.last = state
        if self.bar is not None:
            self.bar.total = job.total
            self.bar.n = job.completed + job.failed
            self.bar.set_postfix({"status": job.status, "failed": job.failed}, refresh=False)
            self.bar.refresh()
        else:
            self.printer.err(f"zzz batch: {time.strftime('%H:%M:%S')} {job.id} {job.progress}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
