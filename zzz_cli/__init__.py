"""The ``zzz`` command: ``models``, ``balance``, ``pricing``, ``chat``, ``doctor``, ``bulk``, ``batch``, ``capture``,
``simulator``.

Installed as the console script ``zzz`` (``zzz_cli:main``); ``python -m zzz_cli``
does the same.  Standard library ``argparse`` only.  Errors are printed as one line
(``zzz: InsufficientBalanceError: …``) and give exit status 1; usage mistakes give 2;
``--debug`` adds the traceback and zzz_core's debug log.  The key is never printed,
at most a masked form (``sk-zk…abcd``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

from ._batch import add_batch_parser
from ._bulk import add_bulk_parser
from ._capture import add_capture_parser
from ._commands import _UsageError, cmd_balance, cmd_chat, cmd_models, cmd_simulator, default_model
from ._doctor import cmd_doctor
from ._output import Printer, format_error, mask_key
from ._pricing import add_pricing_parser

__all__ = ["build_parser", "format_error", "main", "mask_key"]

_DESCRIPTION = """\
zzz: talk to the 智增增 (ZhiZengZeng) / 4Z-API relay gateways from the shell.

Settings come from the options below, else from the environment:
  ZZZ_API_KEY   the key the gateway issued ({key_shapes})
  ZZZ_BASE_URL  any OpenAI-compatible relay; /v1 is added if missing
  ZZZ_GATEWAY   preset: {gateways}
  ZZZ_MIRRORS   comma-separated fallback base URLs
  ZZZ_MODEL     the default model of `zzz chat`"""

_EPILOG = """\
examples:
  export ZZZ_API_KEY=sk-zk…            # once; better than --api-key
  zzz doctor                            # is everything set up right?
  zzz models                            # what the key can use, with capabilities
  zzz chat --model deepseek-reasoner "为什么天空是蓝色的?"
  zzz bulk chat questions.jsonl -o answers.jsonl --model deepseek-chat   # resumable
  zzz batch submit questions.jsonl --model gpt-4o-mini   # the gateway's Batch API (智增增)
  zzz capture -o capture.json           # the gateway's real answers, sanitized, for replay
  zzz simulator --port 8000             # a fake gateway for your own tests

Run `zzz COMMAND --help` for a command's options."""

_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


def _gateways() -> str:
    """The preset names ``--gateway`` accepts, from zzz_core's registry: ``zhizengzeng (zzz, 智增增), 4z (…)``."""
    from zzz_core.presets import presets

    return ", ".join(f"{p.name} ({', '.join(p.aliases)})" if p.aliases else p.name for p in presets())


def _description() -> str:
    from zzz_core.presets import DEFAULT_GATEWAY, key_shapes

    return _DESCRIPTION.format(key_shapes=key_shapes(), gateways=f"{_gateways()}; default {DEFAULT_GATEWAY}")


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _add_globals(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The global options; on the subcommands (``suppress``) they only override when given."""
    from zzz_core.presets import DEFAULT_GATEWAY

    kw: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    g = parser.add_argument_group("global options (also accepted before the command)")
    g.add_argument("--gateway", metavar="NAME", **({"default": None} | kw),
                   help=f"gateway preset: {_gateways()}; default $ZZZ_GATEWAY, else the "
                        f"preset whose host --base-url names, else {DEFAULT_GATEWAY}")  # fmt: skip
    g.add_argument(
        "--base-url",
        metavar="URL",
        **({"default": None} | kw),
        help="the gateway's base URL; default $ZZZ_BASE_URL, else the preset's",
    )
    g.add_argument("--api-key", metavar="KEY", **({"default": None} | kw),
                   help="the gateway key. Discouraged: a key on the command line is saved in your shell history "
                        "and visible to other users in `ps`; prefer `export ZZZ_API_KEY=...`")  # fmt: skip
    g.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive,
        **({"default": None} | kw),
        help="per request (default 60; `zzz doctor`: 10)",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        **({"default": False} | kw),
        help="on failure print the traceback, and show zzz_core's debug log",
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _add_globals(common, suppress=True)
    fmt = argparse.HelpFormatter
    parser = argparse.ArgumentParser(
        prog="zzz", description=_description(), epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_globals(parser, suppress=False)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    p = sub.add_parser("models", parents=[common], formatter_class=fmt, help="list the models the key can use",
                       description="List GET /v1/models with each model's capabilities from zzz_core's profiles: "
                                   "context window, tools, vision, json_schema, reasoning.")  # fmt: skip
    p.add_argument("--json", action="store_true", help="machine-readable output (a JSON array)")
    p.set_defaults(handler=cmd_models)

    p = sub.add_parser("balance", parents=[common], formatter_class=fmt, help="show the account balance",
                       description="Show the remaining balance (智增增: credit_grants, in CNY as its users report; "
                                   "new-api/4Z-API: subscription minus usage, usually USD).")  # fmt: skip
    p.add_argument("--json", action="store_true", help="machine-readable output (a JSON object)")
    p.set_defaults(handler=cmd_balance)

    add_pricing_parser(sub, common)

    p = sub.add_parser("chat", parents=[common], formatter_class=fmt, help="ask a model; the answer is streamed",
                       description="Ask one question; the answer is streamed to stdout. Reasoning, when the model "
                                   "sends it, goes to stderr with each line prefixed '> ' (dimmed on a terminal), "
                                   "so `zzz chat q > answer.txt` keeps only the answer.")  # fmt: skip
    p.add_argument("question", nargs="?", help="the question; '-' (or nothing, with a pipe) reads it from stdin")
    p.add_argument(
        "-m",
        "--model",
        default=default_model(),
        help=f"model name, any the gateway serves (default $ZZZ_MODEL, else {default_model()})",
    )
    p.add_argument("-s", "--system", metavar="TEXT", help="a system message sent before the question")
    p.add_argument(
        "--reasoning-effort",
        choices=_EFFORTS,
        metavar="EFFORT",
        help="for models that take it (o-series, gpt-5, …): " + ", ".join(_EFFORTS),
    )
    p.add_argument("--no-stream", action="store_true", help="wait for the whole answer instead of streaming")
    p.add_argument("--max-tokens", type=int, metavar="N", help="limit the answer's length")
    p.add_argument("--temperature", type=float, metavar="T")
    p.add_argument("--hide-reasoning", action="store_true", help="do not show the reasoning text")
    p.add_argument("--usage", action="store_true", help="print the token usage to stderr at the end")
    p.set_defaults(handler=cmd_chat)

    p = sub.add_parser("doctor", parents=[common], formatter_class=fmt,
                       help="check the key, base_url, hosts and balance",
                       description="Check the setup and report the gateways' four usual mistakes (wrong base_url, "
                                   "an OpenAI key instead of the gateway's, a missing header/key, messages not an "
                                   "array) with what to do: the key's shape, the base_url and /v1, OpenAI variables "
                                   "set where ZZZ_ ones are not, one GET /v1/models on the primary host and on each "
                                   "mirror (timed), whether the key is accepted, the balance.",
                       epilog="exit status: 0 when no check failed (warnings allowed unless --strict), "
                              "1 otherwise")  # fmt: skip
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.set_defaults(handler=cmd_doctor)

    add_bulk_parser(sub, common)
    add_batch_parser(sub, common)
    add_capture_parser(sub, common)

    p = sub.add_parser("simulator", formatter_class=fmt, help="run a fake gateway on a port, for your own tests",
                       description="Serve the gateway simulator of zzz_testing (python -m zzz_testing) until "
                                   "Ctrl-C: the OpenAI-compatible routes with the gateway's quirks, deterministic "
                                   "answers, reasoning, tools and embeddings. Prints its base_url and the exports "
                                   "that point code at it.",
                       epilog="Other options of python -m zzz_testing are passed through: --api-key KEY "
                              "(accept only this key; repeatable), --reasoning-field, --tool-delta-style, "
                              "--chunk-chars, --latency, --keepalive-comments, --crlf, --replay FILE (a `zzz capture` "
                              "file's answers instead).")  # fmt: skip
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    from zzz_testing.faults import DIALECTS  # standard library only: cheap

    p.add_argument(
        "--dialect",
        choices=DIALECTS,
        default="zhizengzeng",
        help="智增增's code/msg envelope, or new-api/one-api (4Z-API) (default zhizengzeng)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="print tracebacks on failure")
    p.set_defaults(handler=cmd_simulator)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("zzz-relay")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


@contextlib.contextmanager
def _cli_logging(debug: bool) -> Iterator[None]:
    """zzz_core's log to stderr for this run: retry notices always, debug lines with --debug."""
    log = logging.getLogger("zzz_core")
    saved = (log.level, log.propagate)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if not debug else "zzz: debug: %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.WARNING)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


@contextlib.contextmanager
def _cli_warnings(printer: Printer, debug: bool) -> Iterator[None]:
    """Warnings (e.g. 'base_url has no /v1') as one line each: ``zzz: warning: …``."""
    with warnings.catch_warnings():
        warnings.simplefilter("default" if debug else "ignore")
        warnings.simplefilter("default", UserWarning)

        def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
            printer.err(f"zzz: warning: {' '.join(str(message).split())}")

        warnings.showwarning = show
        yield


def main(argv: list[str] | None = None) -> int:
    """Run the ``zzz`` command line; returns the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "simulator":
            parser.error("unrecognized arguments: " + " ".join(extra))
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    debug = bool(getattr(args, "debug", False))
    secrets = [getattr(args, "api_key", None), os.environ.get("ZZZ_API_KEY"), os.environ.get("OPENAI_API_KEY")]
    printer = Printer(sys.stdout, sys.stderr, secrets)
    with _cli_logging(debug), _cli_warnings(printer, debug):
        try:
            if args.command == "simulator":
                return cmd_simulator(args, printer, extra)
            return args.handler(args, printer)
        except KeyboardInterrupt:
            printer.err("zzz: interrupted")
            return 130
        except BrokenPipeError:  # e.g. `zzz models | head`
            with contextlib.suppress(Exception):
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep the interpreter's final flush quiet
            return 1
        except _UsageError as exc:
            printer.err(f"zzz {args.command}: error: {exc}")
            return 2
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line
            if debug:
                printer.err(printer.redact(traceback.format_exc()).rstrip())
            line = format_error(exc)
            from zzz_core.errors import ConfigurationError, InvalidInputError, ZZZError

            if not isinstance(exc, (ZZZError, ConfigurationError, InvalidInputError, OSError)) and not debug:
                line += " (unexpected: run again with --debug for the traceback)"
            printer.err(line)
            return 1
