"""How a bulk run ends: the failures that stop it (account stops) and the report it returns.

The runner (:mod:`zzz_core.bulk.runner`) records per-item failures and goes on; the failures in
:data:`ACCOUNT_STOPS` stop it instead, and :class:`BulkReport` says what was done, why it stopped
and how to resume (``summary()``) with the CLI's exit status (``exit_status``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors as E

__all__ = ["ACCOUNT_STOPS", "BulkReport", "short_error"]

ACCOUNT_STOPS: tuple[type[BaseException], ...] = (
    E.InsufficientBalanceError,
    E.AuthenticationError,
    E.PermissionDeniedError,
) + ((E.BudgetExceededError,) if hasattr(E, "BudgetExceededError") else ())
"""Failures that end the job instead of being recorded: no other item would fare better."""


@dataclass(slots=True)
class BulkReport:
    """How a bulk run ended."""

    output: str
    total: int
    already_done: int = 0
    """Recorded by earlier runs and skipped."""
    succeeded: int = 0
    failed: int = 0
    """Recorded this run with a per-item error."""
    retryable_failed: int = 0
    stopped: str | None = None
    """``"account"`` (balance, key, permission), ``"budget"`` (max_cost) or None."""
    stop_error: BaseException | None = None
    last_error: BaseException | None = None
    """The last per-item failure recorded this run (the output holds all of them)."""
    abandoned: int = 0
    """Requests still in flight when the stop's grace period ended (not recorded)."""
    tokens: int = 0
    cost: float | None = None
    currency: str | None = None
    elapsed: float = 0.0
    limit: int = 0
    """The concurrency limit at the end."""

    @property
    def recorded(self) -> int:
        return self.already_done + self.succeeded + self.failed

    @property
    def complete(self) -> bool:
        """Every item of the input is recorded (some may be failures)."""
        return self.recorded >= self.total

    @property
    def exit_status(self) -> int:
        """The CLI's: 0 all recorded, 3 an account or budget stop, 1 otherwise."""
        if self.stopped in ("account", "budget"):
            return 3
        return 0 if self.complete else 1

    def summary(self) -> str:
        parts = [f"{self.recorded} of {self.total} done"]
        if self.failed:
            retry = f", {self.retryable_failed} transient" if self.retryable_failed else ""
            parts.append(
                f"({self.failed} failed{retry}: see the output's error lines; --retry-failed sends them again)"
            )
        text = " ".join(parts)
        if self.stopped == "account":
            text = f"stopped: {short_error(self.stop_error)}. {text}; top up and run the same command again to resume"
        elif self.stopped == "budget":
            text = f"stopped: max_cost reached ({short_error(self.stop_error)}). {text}; raise --max-cost and run the same command again to resume"  # noqa: E501
        elif not self.complete:
            text += "; run the same command again to resume"
        cost = f", cost {self.cost:.4f}{' ' + self.currency if self.currency else ''}" if self.cost is not None else ""
        return f"{text} [{self.elapsed:.1f}s, {self.tokens:,} tokens{cost}, concurrency {self.limit}]"


def short_error(exc: BaseException | None) -> str:
    """One line naming a failure (its class and the start of its text), for summaries and logs."""
    if exc is None:
        return "unknown"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}".rstrip(".")
