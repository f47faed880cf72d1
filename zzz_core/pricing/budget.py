"""Run totals and an optional spending limit, safe across threads and asyncio tasks.

A :class:`Budget` counts finished calls (tokens and cost, per model) and, when it has
a ``max_cost``, refuses to let a call start once that much is spent::

    budget = Budget(max_cost=0.5)          # in the currency of the first priced call
    budget.check()                         # before sending: raises BudgetExceededError when spent
    budget.add("deepseek-chat", usage)     # after the call: counts it, returns its CallCost

Calls already in flight when the limit is crossed complete and are counted, so
``spent`` may end above ``max_cost``; no call starts after it.  A budget counts one
currency: a call priced in another (no exchange rate is guessed) is counted in
``by_currency`` and ``by_model`` but not in ``spent``, with one warning.  An unpriced call
is counted in tokens and ``unpriced_calls``.

The LangChain and LlamaIndex ``zzz_cost()`` blocks and the bulk runner's ``max_cost``
are built on this class.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..types import Usage
from .cost import CallCost
from .sources import Prices, as_usage, price_call, warn_once

__all__ = ["Budget", "BudgetTotals"]

_UNSET: Any = object()


class Budget:
    """Totals of a run and its optional limit (see the module docstring)."""

    def __init__(
        self,
        max_cost: float | None = None,
        currency: str | None = None,
        *,
        prices: Prices | None = None,
        gateway: Any = None,
    ) -> None:
        """
        Args:
            max_cost: Stop starting calls once this much is spent; ``None``: count only.
            currency: ``"CNY"`` or ``"USD"``; default: the currency of the first priced call.
            prices: Price overrides for calls counted through :meth:`add` without a cost.
            gateway: The :class:`zzz_core.Gateway` whose published prices apply to those calls.
        """
        if max_cost is not None and (isinstance(max_cost, bool) or not max_cost >= 0):
            raise ValueError(f"max_cost must be a number >= 0 (or None for no limit); got {max_cost!r}")
        self.max_cost = None if max_cost is None else float(max_cost)
        self.currency: str | None = currency.upper() if currency else None
        self.prices = prices
        self.gateway = gateway
        self.spent = 0.0
        """Cost counted against ``max_cost``, in ``currency``."""
        self.calls = 0
        self.unpriced_calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self._by_model: dict[str, dict[str, Any]] = {}
        self._by_currency: dict[str, float] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        limit = "" if self.max_cost is None else f", max_cost={self.max_cost:g}"
        return f"Budget(spent={self.spent:.6g}, currency={self.currency!r}, calls={self.calls}{limit})"

    # -- the limit -----------------------------------------------------------

    @property
    def exhausted(self) -> bool:
        return self.max_cost is not None and self.spent >= self.max_cost

    def check(self) -> None:
        """Raise :class:`~zzz_core.errors.BudgetExceededError` when the budget is spent.

        Call it before sending; it costs a comparison.
        """
        if self.max_cost is not None and self.spent >= self.max_cost:
            from ..errors import BudgetExceededError  # loads openai: only when a budget is spent

            raise BudgetExceededError(self.spent, self.max_cost, self.currency)

    # -- counting ------------------------------------------------------------

    def add(
        self,
        model: str,
        usage: Usage | Mapping[str, Any] | None,
        *,
        cost: CallCost | None = _UNSET,
    ) -> CallCost | None:
        """Count one finished call.

        Args:
            model: The model the call was billed under.
            usage: Its usage (zzz_core ``Usage``, an OpenAI ``usage`` mapping or LangChain's
                ``usage_metadata``); ``None`` when the gateway reported none.
            cost: Its cost when already known (the skins price each call once); default:
                priced here from ``usage``.

        Returns:
            The call's cost, or ``None`` when it has no price.
        """
        u = as_usage(usage)
        if cost is _UNSET:
            cost = price_call(model, u, prices=self.prices, gateway=self.gateway) if u is not None else None
        with self._lock:
            self.calls += 1
            entry = self._by_model.setdefault(model, _empty())
            entry["calls"] += 1
            if u is not None:
                total = u.total_tokens or (u.prompt_tokens + u.completion_tokens)
                self.prompt_tokens += u.prompt_tokens
                self.completion_tokens += u.completion_tokens
                self.total_tokens += total
                entry["input_tokens"] += u.prompt_tokens
                entry["output_tokens"] += u.completion_tokens
                entry["total_tokens"] += total
                entry["cached_tokens"] += u.cached_tokens or 0
                entry["reasoning_tokens"] += u.reasoning_tokens or 0
            if cost is None:
                self.unpriced_calls += 1
                entry["unpriced_calls"] += 1
                return None
            if self.currency is None:
                self.currency = cost.currency
            self._by_currency[cost.currency] = self._by_currency.get(cost.currency, 0.0) + cost.amount
            if entry["currency"] in (None, cost.currency):
                entry["currency"] = cost.currency
                entry["cost"] += cost.amount
            else:
                entry["currency"] = "mixed"
            if cost.currency == self.currency:
                self.spent += cost.amount
                return cost
            if self.max_cost is None:
                return cost  # counting only: by_currency has it, and no limit is at stake
        warn_once(
            f"budget-currency:{id(self)}:{cost.currency}",
            f"{model} is priced in {cost.currency} but this run counts {self.currency}; its cost is not counted "
            "against max_cost (no exchange rate is guessed). Price every model in one currency (ZZZ_PRICES).",
        )
        return cost

    # -- totals --------------------------------------------------------------

    @property
    def by_model(self) -> dict[str, dict[str, Any]]:
        """Per model: ``calls``, ``input_tokens``, ``output_tokens``, ``total_tokens``,
        ``cached_tokens``, ``reasoning_tokens``, ``cost``, ``currency``, ``unpriced_calls`` (a copy)."""
        with self._lock:
            return {m: dict(v) for m, v in self._by_model.items()}

    @property
    def by_currency(self) -> dict[str, float]:
        """Cost per currency (a copy)."""
        with self._lock:
            return dict(self._by_currency)

    @property
    def total_cost(self) -> float | None:
        """The cost of the priced calls when they share one currency; ``None`` when currencies mix."""
        with self._lock:
            if len(self._by_currency) > 1:
                return None
            return next(iter(self._by_currency.values()), 0.0)


def _empty() -> dict[str, Any]:
    return {
        "calls": 0, "input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "cached_tokens": 0,
        "reasoning_tokens": 0, "cost": 0.0, "currency": None, "unpriced_calls": 0,
    }  # fmt: skip


class BudgetTotals:
    """Mixin: a run's totals read from the :class:`Budget` the object holds as ``budget``.

    The skins' ``zzz_cost()`` objects (LangChain's callback handler, LlamaIndex's run)
    show the same totals under the same names through it.
    """

    budget: Budget

    @property
    def total_cost(self) -> float | None:
        """The cost of the priced calls, when they share one currency (``None`` when currencies mix)."""
        return self.budget.total_cost

    @property
    def currency(self) -> str | None:
        return self.budget.currency

    @property
    def by_model(self) -> dict[str, dict[str, Any]]:
        """Per model: calls, input/output/total/cached/reasoning tokens, cost and currency."""
        return self.budget.by_model

    @property
    def by_currency(self) -> dict[str, float]:
        return self.budget.by_currency

    @property
    def total_tokens(self) -> int:
        return self.budget.total_tokens

    @property
    def calls(self) -> int:
        return self.budget.calls

    @property
    def spent(self) -> float:
        """What counts against ``max_cost``."""
        return self.budget.spent
