"""What calls cost: prices as data, the cost of one call, and run totals with a budget.

::

    from zzz_core.pricing import Budget, price_call

    cost = price_call("deepseek-chat", result.usage)      # CallCost(amount, currency, source) or None
    budget = Budget(max_cost=1.0)                          # budget.check() before a call, .add() after

Prices come from, highest priority first: ``prices=`` overrides, the ``ZZZ_PRICES``
JSON file, the gateway's published prices (new-api ``/api/pricing``), and built-in
vendor list prices (see :mod:`zzz_core.pricing.sources`).  ``docs/cost.md`` explains
the formula and the sources.
"""

from __future__ import annotations

from .attach import apriced, priced
from .balance import LowBalanceWarning, balance_watch, check_balance
from .budget import Budget
from .cost import CallCost, cost_of
from .newapi import NewApiPricing, prices_from_newapi
from .sources import (
    ENV_PRICE_GROUP,
    ENV_PRICES,
    Prices,
    PricingWarning,
    aensure_gateway_prices,
    builtin_table,
    find_price,
    gateway_pricing,
    price_call,
    reset_price_cache,
    tables,
)
from .table import Price, PriceTable, prices_from_mapping

__all__ = [
    "Budget",
    "CallCost",
    "ENV_PRICES",
    "ENV_PRICE_GROUP",
    "LowBalanceWarning",
    "NewApiPricing",
    "Price",
    "PriceTable",
    "Prices",
    "PricingWarning",
    "aensure_gateway_prices",
    "apriced",
    "balance_watch",
    "builtin_table",
    "check_balance",
    "cost_of",
    "find_price",
    "gateway_pricing",
    "price_call",
    "priced",
    "prices_from_mapping",
    "prices_from_newapi",
    "reset_price_cache",
    "tables",
]
