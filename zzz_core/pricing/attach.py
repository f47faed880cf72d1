"""Attach a call's cost to zzz_core's result, priced from the usage the gateway reported.

The skins call :func:`priced` (or :func:`apriced` in async code) on each result they
get from a :class:`zzz_core.Gateway`, passing their ``prices=`` overrides; the cost
lands in ``result.cost`` and the skins copy it into their framework's metadata.
:func:`apriced` fetches a gateway's published prices in a worker thread the first
time, so an event loop never waits on that request.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from .cost import CallCost, cost_of
from .sources import Prices, aensure_gateway_prices, find_price, warn_once, warn_unpriced

__all__ = ["apriced", "priced"]


class _Priceable(Protocol):
    """A result with a ``cost`` to set (ChatResult, CompletionResult, EmbeddingResult, ...)."""

    cost: CallCost | None


R = TypeVar("R", bound=_Priceable)


def priced(result: R, model: str, *, gateway: Any = None, prices: Prices | None = None) -> R:
    """Set ``result.cost`` for a call sent for ``model``; returns ``result``.

    The model sent is priced first (relays bill the name asked for); when no source
    prices it, the name the gateway answered with (``result.model``) is tried.
    """
    result.cost = _cost(result, model, gateway, prices)
    return result


async def apriced(result: R, model: str, *, gateway: Any = None, prices: Prices | None = None) -> R:
    """:func:`priced` for async code."""
    if gateway is not None:
        await aensure_gateway_prices(gateway)
    return priced(result, model, gateway=gateway, prices=prices)


def _cost(result: Any, model: str, gateway: Any, prices: Prices | None) -> CallCost | None:
    answered = getattr(result, "model", None)
    row = find_price(model, prices=prices, gateway=gateway)
    if row is None and answered and answered != model:
        row = find_price(answered, prices=prices, gateway=gateway)
    if row is None:
        warn_unpriced(model)
        return None
    usage = getattr(result, "usage", None)
    if usage is None and row.per_call is None:
        warn_once(f"no-usage:{model}", f"the gateway reported no token usage for {model!r}, so its cost is None")
        return None
    return cost_of(model, usage, row)
