"""What a bulk job shows while it runs: a tqdm bar on a terminal, periodic log lines elsewhere.

tqdm is an optional extra (``pip install 'zzz-relay[progress]'``); without it, or when
stderr is not a terminal, the job logs one line every ``interval`` seconds to the
``zzz_core.bulk`` logger.  Both show done, failed, total, rate, ETA, tokens, the current
concurrency limit and, with a price table, the cost.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["LogProgress", "Progress", "Snapshot", "TqdmProgress", "make_progress"]

log = logging.getLogger("zzz_core.bulk")


@dataclass(slots=True)
class Snapshot:
    """The job's counters at one moment."""

    done: int
    """Recorded so far, this run and earlier ones."""
    failed: int
    total: int
    tokens: int
    limit: int
    cost: float | None = None
    currency: str | None = None
    started_done: int = 0
    """``done`` when this run started (the rate counts only this run's work)."""

    def fields(self) -> dict[str, str]:
        out = {"failed": str(self.failed), "tokens": f"{self.tokens:,}", "concurrency": str(self.limit)}
        if self.cost is not None:
            out["cost"] = f"{self.cost:.4f}{' ' + self.currency if self.currency else ''}"
        return out


class Progress(Protocol):
    def update(self, snap: Snapshot) -> None: ...
    def close(self, snap: Snapshot) -> None: ...


class LogProgress:
    """One log line every ``interval`` seconds (and one at the end)."""

    def __init__(self, interval: float = 10.0, clock: Any = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.t0 = clock()
        self.next = self.t0 + interval

    def line(self, snap: Snapshot) -> str:
        elapsed = max(1e-9, self.clock() - self.t0)
        rate = (snap.done - snap.started_done) / elapsed
        left = snap.total - snap.done
        eta = f"{left / rate:.0f}s" if rate > 0 and left > 0 else "-"
        extra = ", ".join(f"{k} {v}" for k, v in snap.fields().items())
        return f"zzz bulk: {snap.done}/{snap.total} done, {rate:.1f}/s, ETA {eta}, {extra}"

    def update(self, snap: Snapshot) -> None:
        now = self.clock()
        if now >= self.next:
            self.next = now + self.interval
            log.info("%s", self.line(snap))

    def close(self, snap: Snapshot) -> None:
        log.info("%s", self.line(snap))


class TqdmProgress:
    """A tqdm bar on stderr, refreshed at most ~10 times a second."""

    def __init__(self, total: int, initial: int) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="req", dynamic_ncols=True, smoothing=0.1, mininterval=0.1)
        self.shown = initial
        self.next = 0.0

    def update(self, snap: Snapshot) -> None:
        self.bar.update(snap.done - self.shown)
        self.shown = snap.done
        now = time.monotonic()
        if now >= self.next:
            self.next = now + 0.5
            self.bar.set_postfix(snap.fields(), refresh=False)

    def close(self, snap: Snapshot) -> None:
        self.update(snap)
        self.bar.set_postfix(snap.fields(), refresh=True)
        self.bar.close()


class _Silent:
    def update(self, snap: Snapshot) -> None:
        pass

    def close(self, snap: Snapshot) -> None:
        pass


def make_progress(setting: Any, total: int, initial: int) -> Progress:
    """``"auto"``: tqdm on a terminal when installed, else log lines; ``True``: the same
    but log lines even off a terminal; ``False``/``None``: nothing; a :class:`Progress`: itself."""
    if setting is None or setting is False:
        return _Silent()
    if not isinstance(setting, (bool, str)):
        return setting
    if sys.stderr is not None and sys.stderr.isatty():
        try:
            return TqdmProgress(total, initial)
        except ImportError:
            pass
    return LogProgress()
