"""Output for the ``zzz`` command: key masking, one-line errors, colour, a printer that never prints a key."""

from __future__ import annotations

import os
from typing import Any, TextIO

__all__ = ["Printer", "format_error", "mask_key", "use_colour"]

_DIM, _RED, _GREEN, _YELLOW, _RESET = "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"
COLOURS = {"dim": _DIM, "red": _RED, "green": _GREEN, "yellow": _YELLOW}


def mask_key(key: str | None) -> str:
    """A form of ``key`` safe to print: ``sk-zk…abcd`` (long keys), ``sk-…`` (short ones), ``***``.

    At most 9 characters of a key of 20 or more are shown, at most 3 of a shorter one.
    """
    if not key:
        return "(none)"
    key = key.strip()
    if len(key) >= 20:
        return f"{key[:5]}…{key[-4:]}"
    if len(key) >= 8:
        return f"{key[:3]}…"
    return "***"


def format_error(exc: BaseException) -> str:
    """``zzz: <ExceptionClass>: <message>`` on one line (newlines and runs of spaces collapsed)."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"zzz: {name}: {text}" if text else f"zzz: {name}"


def use_colour(stream: Any) -> bool:
    """ANSI colour only on a terminal, and not when ``NO_COLOR`` is set or ``TERM=dumb``."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Printer:
    """Writes to stdout/stderr, replacing any known secret with its masked form first.

    The library already keeps keys out of its messages; this is the last line of
    defence for everything the CLI itself prints (e.g. a key pasted into ``--base-url``).
    """

    def __init__(self, out: TextIO, err: TextIO, secrets: list[str | None] | tuple[str | None, ...] = ()) -> None:
        self.out = out
        self.err_stream = err
        seen = {s.strip() for s in secrets if s and len(s.strip()) >= 6}
        # Longest first, so a key is replaced before any secret that is a part of it.
        self._secrets = sorted(seen, key=len, reverse=True)
        self.colour_out = use_colour(out)
        self.colour_err = use_colour(err)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, mask_key(secret))
        return text

    def write(self, text: str, *, stderr: bool = False, colour: str | None = None, flush: bool = False) -> None:
        stream = self.err_stream if stderr else self.out
        text = self.redact(text)
        if colour and (self.colour_err if stderr else self.colour_out) and text:
            text = f"{COLOURS[colour]}{text}{_RESET}"
        stream.write(text)
        if flush:
            stream.flush()

    def line(self, text: str = "", **kw: Any) -> None:
        self.write(text + "\n", **kw)

    def err(self, text: str, **kw: Any) -> None:
        self.write(text + "\n", stderr=True, flush=True, **kw)
