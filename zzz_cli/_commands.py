"""``zzz models``, ``zzz balance``, ``zzz chat`` and ``zzz simulator``."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from ._output import Printer, mask_key

if TYPE_CHECKING:  # the CLI imports zzz_core lazily, so that --help stays fast
    from zzz_core.gateway import Gateway

DEFAULT_MODEL = "gpt-4o-mini"


# ---------------------------------------------------------------- the gateway
def settings(args: argparse.Namespace) -> dict[str, Any]:
    """What the global options give ``ZZZConfig.resolve`` (unset ones fall back to the environment)."""
    out: dict[str, Any] = {"api_key": args.api_key, "base_url": args.base_url, "gateway": args.gateway}
    if args.timeout is not None:
        out["timeout"] = args.timeout
    return out


def open_gateway(args: argparse.Namespace, printer: Printer, **overrides: Any) -> Gateway:
    """A fresh ``Gateway`` (not the shared one: a CLI run owns its connection pool; use it in ``with``)."""
    from zzz_core.config import ENV_API_KEY, ZZZConfig
    from zzz_core.errors import ConfigurationError
    from zzz_core.gateway import Gateway

    if not (args.api_key or os.environ.get(ENV_API_KEY, "").strip()):
        raise ConfigurationError(f"no API key: export {ENV_API_KEY}=<the key your gateway issued> "
                                 "(or pass --api-key, which ends up in your shell history)")  # fmt: skip
    config = ZZZConfig.resolve(**{**settings(args), **overrides})
    if args.debug:
        mirrors = ", ".join(config.mirrors) or "none"
        printer.err(f"zzz: debug: gateway {config.gateway} ({config.dialect}), base_url {config.base_url}, "
                    f"mirrors {mirrors}, key {mask_key(config.api_key.get_secret_value())}")  # fmt: skip
    return Gateway(config)


# --------------------------------------------------------------------- models
def _yes(flag: bool) -> str:
    return "yes" if flag else "-"


def model_row(info: Any) -> dict[str, Any]:
    """One model of ``GET /v1/models`` with its profile's capabilities (the ``--json`` shape)."""
    from zzz_core.profiles import get_profile

    p = get_profile(info.id)
    kind = "embedding" if p.embedding else ("chat" if p.chat else ("completion" if p.completion else "other"))
    return {
        "id": info.id, "owned_by": info.owned_by, "supported_endpoint_types": list(info.supported_endpoint_types),
        "profile_known": p.known, "kind": kind, "context_window": p.context_window,
        "max_output_tokens": p.max_output_tokens, "tools": p.tool_calling, "vision": p.vision,
        "json_schema": p.json_schema, "reasoning": p.reasoning, "reasoning_effort": p.reasoning_effort,
        "reasoning_efforts": list(p.reasoning_efforts),
    }  # fmt: skip


def format_models_table(rows: list[dict[str, Any]]) -> list[str]:
    """The readable table of ``zzz models``; ``?`` marks values guessed for a model without a profile."""
    endpoints = any(r["supported_endpoint_types"] for r in rows)
    head = ["MODEL", "OWNER", "KIND", "CONTEXT", "TOOLS", "VISION", "JSON_SCHEMA", "REASONING"]
    if endpoints:
        head.append("ENDPOINTS")
    table = [head]
    for r in rows:
        guess = "" if r["profile_known"] else "?"
        efforts = f" ({'/'.join(r['reasoning_efforts'])})" if r["reasoning_efforts"] else ""
        if r["reasoning"]:
            reasoning = "yes" + efforts
        elif r["reasoning_effort"]:
            reasoning = "optional" + efforts  # thinking on request, e.g. Claude through new-api
        else:
            reasoning = "-"
        flags = [_yes(r["tools"]), _yes(r["vision"]), _yes(r["json_schema"]), reasoning]
        cells = [r["id"], r["owned_by"] or "-", r["kind"], f"{r['context_window']:,}", *flags]
        cells[2:] = [c + guess for c in cells[2:]]
        if endpoints:
            cells.append(",".join(r["supported_endpoint_types"]) or "-")
        table.append(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table]


def cmd_models(args: argparse.Namespace, printer: Printer) -> int:
    with open_gateway(args, printer) as gw:
        rows = [model_row(m) for m in gw.models()]
    if args.json:
        printer.line(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for text in format_models_table(rows):
        printer.line(text)
    unknown = not all(r["profile_known"] for r in rows)
    note = "; ? = no profile for this name, conservative defaults shown" if unknown else ""
    printer.line(f"\n{len(rows)} models from {gw.config.base_url} (capabilities from zzz_core's model profiles{note})")
    return 0


# -------------------------------------------------------------------- balance
def _amount(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def cmd_balance(args: argparse.Namespace, printer: Printer) -> int:
    with open_gateway(args, printer) as gw:
        bal = gw.balance()
    if args.json:
        fields = {k: getattr(bal, k) for k in ("remaining", "currency", "total", "used", "unlimited", "gateway")}
        fields["remaining"] = round(bal.remaining, 6)
        printer.line(json.dumps({**fields, "base_url": gw.config.base_url}, ensure_ascii=False))
        return 0
    currency = f" {bal.currency}" if bal.currency else ""
    if bal.unlimited:
        text = "unlimited"
    else:
        text = f"{_amount(bal.remaining)}{currency} remaining"
    if bal.total is not None and not bal.unlimited:
        text += f" (total {_amount(bal.total)}, used {_amount(bal.used)})"
    printer.line(f"{text}  [gateway {bal.gateway}, {gw.config.base_url}]")
    if not bal.unlimited and bal.remaining <= 0:
        printer.err("zzz: the balance is used up: top up in the gateway console before the next call")
    return 0


# ----------------------------------------------------------------------- chat
class _ReasoningWriter:
    """Reasoning goes to stderr, apart from the answer: each line prefixed ``> ``, dimmed on a terminal."""

    def __init__(self, printer: Printer, hidden: bool) -> None:
        self.printer, self.hidden = printer, hidden
        self.at_line_start, self.open = True, False

    def feed(self, text: str) -> None:
        if self.hidden or not text:
            return
        self.open = True
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                self.printer.write("\n", stderr=True)
                self.at_line_start = True
            if part:
                if self.at_line_start:
                    self.printer.write("> ", stderr=True, colour="dim")
                    self.at_line_start = False
                self.printer.write(part, stderr=True, colour="dim")
        self.printer.err_stream.flush()

    def close(self) -> None:
        if self.open and not self.at_line_start:
            self.printer.write("\n", stderr=True, flush=True)
        self.open, self.at_line_start = False, True


def _question(args: argparse.Namespace) -> str:
    if args.question in (None, "-"):
        if args.question is None and sys.stdin.isatty():
            raise _UsageError("give the question as an argument, or '-' to read it from stdin")
        text = sys.stdin.read()
    else:
        text = args.question
    if not text.strip():
        raise _UsageError("the question is empty")
    return text


class _UsageError(Exception):
    """A mistake in the command line found after parsing (exit 2)."""


def cmd_chat(args: argparse.Namespace, printer: Printer) -> int:
    from zzz_core.params import build_chat_request

    messages = ([{"role": "system", "content": args.system}] if args.system else []) + [
        {"role": "user", "content": _question(args)}
    ]
    body = build_chat_request(
        args.model, messages, stream=not args.no_stream, reasoning_effort=args.reasoning_effort,
        max_tokens=args.max_tokens, temperature=args.temperature,
    )  # fmt: skip
    reasoning = _ReasoningWriter(printer, args.hide_reasoning)
    wrote_answer = printed_any = False
    with open_gateway(args, printer) as gw:
        if args.no_stream:
            result = gw.chat(body)
            choice = result.choices[0]
            reasoning.feed(choice.reasoning or "")
            reasoning.close()
            printer.write(choice.content or "")
            wrote_answer = printed_any = bool(choice.content)
            finish, usage = choice.finish_reason, result.usage
        else:
            stream = gw.chat_stream(body)
            try:
                for chunk in stream:
                    if chunk.index != 0:
                        continue
                    reasoning.feed(chunk.reasoning)
                    if chunk.content:
                        reasoning.close()
                        printer.write(chunk.content, flush=True)
                        wrote_answer = printed_any = True
            finally:
                reasoning.close()
                if wrote_answer:
                    printer.line(flush=True)
                    wrote_answer = False
            result = stream.result()
            finish = result.choices[0].finish_reason if result.choices else None
            usage = result.usage
    if wrote_answer:
        printer.line(flush=True)
    if not printed_any and finish not in (None, "stop", "length"):
        printer.err(f"zzz: note: the model returned no text (finish_reason={finish})")
    if finish == "length":
        printer.err("zzz: note: the answer was cut off at the token limit (finish_reason=length); raise --max-tokens")
    if args.usage and usage is not None:
        extra = f", reasoning {usage.reasoning_tokens}" if usage.reasoning_tokens else ""
        printer.err(f"usage: prompt {usage.prompt_tokens}, completion {usage.completion_tokens}{extra}, "
                    f"total {usage.total_tokens} tokens")  # fmt: skip
    return 0


# ------------------------------------------------------------------ simulator
class _Announce(io.TextIOBase):
    """Passes the simulator's output through; after its base_url line, adds how to point code at it."""

    def __init__(self, target: Any, dialect: str, keys: list[str]) -> None:
        self.target, self.dialect, self.keys = target, dialect, keys
        self.pending, self.done = "", False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.target.write(text)
        if not self.done:
            self.pending += text
            first, newline, _ = self.pending.partition("\n")
            if newline and first.strip().startswith("http"):
                self.done = True
                base_url = first.strip()
                key = "sk-test" if not self.keys else "<one of the --api-key values>"
                self.target.write(
                    f"zzz simulator: a fake {self.dialect} gateway at {base_url} (Ctrl-C to stop). "
                    "Point your code or tests at it:\n"
                    f"  export ZZZ_BASE_URL={base_url} ZZZ_API_KEY={key}\n"
                )
            elif newline:
                self.pending = ""
        self.target.flush()
        return len(text)

    def flush(self) -> None:
        self.target.flush()


def cmd_simulator(args: argparse.Namespace, printer: Printer, extra: list[str]) -> int:
    """Delegates to ``python -m zzz_testing`` (its ``main``), which serves until Ctrl-C."""
    from zzz_testing.__main__ import main as simulator_main

    argv = ["--host", args.host, "--port", str(args.port), "--dialect", args.dialect, *extra]
    keys = [extra[i + 1] for i, a in enumerate(extra[:-1]) if a == "--api-key"]
    keys += [a.split("=", 1)[1] for a in extra if a.startswith("--api-key=")]
    with contextlib.redirect_stdout(_Announce(sys.stdout, args.dialect, keys)):
        return int(simulator_main(argv) or 0)


def default_model() -> str:
    return os.environ.get("ZZZ_MODEL") or DEFAULT_MODEL
