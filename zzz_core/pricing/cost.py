"""What one call cost, from the usage the gateway reported and one price row.

The rules (the same as new-api's ``service/text_quota.go``, in money instead of quota):

* ``prompt_tokens`` include the cached ones (OpenAI's convention, which relays
  follow on ``/v1/chat/completions``): uncached prompt tokens are billed at
  ``input``, cached ones at ``cached_input`` (at ``input`` when the row lists no
  cache price);
* ``completion_tokens`` include the reasoning tokens, so reasoning is billed at
  ``output`` once.  A relay that reports more reasoning than completion tokens
  counted them apart, and both are billed;
* a row with ``per_call`` costs that amount per call, whatever the tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..types import Usage
from .table import Price

__all__ = ["CallCost", "cost_of"]

_PER_TOKEN = 1e-6  # prices are per 1M tokens


@dataclass(frozen=True, slots=True)
class CallCost:
    """The cost of one call: ``amount`` in ``currency``, priced from ``source``."""

    amount: float
    currency: str
    source: str
    model: str = ""
    breakdown: dict[str, Any] = field(default_factory=dict)
    """Amounts per part (``input``, ``cached_input``, ``output``, or ``per_call``) and the token counts used."""

    def as_metadata(self) -> dict[str, Any]:
        """The mapping the skins attach to messages: ``{"amount", "currency", "source"}``."""
        return {"amount": self.amount, "currency": self.currency, "source": self.source}


def cost_of(model: str, usage: Usage | None, price: Price) -> CallCost:
    """The cost of a call to ``model`` that used ``usage``, at ``price``."""
    if price.per_call is not None:
        return CallCost(price.per_call, price.currency, price.source, model, {"per_call": price.per_call})
    usage = usage or Usage()
    prompt = max(usage.prompt_tokens, 0)
    cached = min(max(usage.cached_tokens or 0, 0), prompt)
    completion = max(usage.completion_tokens, 0)
    reasoning = max(usage.reasoning_tokens or 0, 0)
    if reasoning > completion:
        completion += reasoning  # reported apart from completion_tokens: bill both
    cached_price = price.input if price.cached_input is None else price.cached_input
    parts = {
        "input": (prompt - cached) * price.input * _PER_TOKEN,
        "cached_input": cached * cached_price * _PER_TOKEN,
        "output": completion * price.output * _PER_TOKEN,
    }
    breakdown: dict[str, Any] = {
        **parts,
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "completion_tokens": completion,
        "reasoning_tokens": reasoning,
    }
    return CallCost(sum(parts.values()), price.currency, price.source, model, breakdown)
