"""Where prices come from, highest priority first, and the lookup through them.

1. ``prices=``: per-object or per-run overrides (a mapping in the ``ZZZ_PRICES`` form, or
   :class:`~zzz_core.pricing.table.Price` rows);
2. the JSON file named by ``ZZZ_PRICES`` (read again when it changes);
3. the gateway's published prices, where it has an endpoint: new-api's
   ``GET /api/pricing`` + ``GET /api/status`` (the ``4z`` preset, or any
   ``gateway="4z"`` configuration).  Fetched once per process and site, lazily: on the
   first price asked for a call to that site, or by ``zzz pricing``;
4. vendor list prices built in (:mod:`zzz_core.pricing._builtin`).

Nothing here ever breaks a call: a file that does not parse and a pricing fetch that
fails each give one :class:`PricingWarning` and the lookup goes on to the next source;
a model no source prices gets cost ``None`` and one warning.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ..types import Usage
from ._builtin import BUILTIN_PRICES
from .cost import CallCost, cost_of
from .newapi import NewApiPricing, prices_from_newapi
from .table import Price, PriceTable, prices_from_mapping

__all__ = [
    "ENV_PRICES",
    "ENV_PRICE_GROUP",
    "PricingWarning",
    "Prices",
    "aensure_gateway_prices",
    "as_usage",
    "builtin_table",
    "file_table",
    "find_price",
    "gateway_pricing",
    "gateway_table",
    "override_table",
    "price_call",
    "reset_price_cache",
    "tables",
    "warn_once",
    "warn_unpriced",
]

ENV_PRICES = "ZZZ_PRICES"
ENV_PRICE_GROUP = "ZZZ_PRICE_GROUP"
#: Dialects whose sites publish their prices, and the route.
_PRICING_ROUTES = {"newapi": ("/api/pricing", "/api/status")}

#: What ``prices=`` accepts.
Prices = Mapping[str, Any] | Iterable[Price] | PriceTable


class PricingWarning(UserWarning):
    """A price source could not be used, or a model has no price (its cost is ``None``)."""


_lock = threading.Lock()
_warned: set[str] = set()
_file_cache: dict[tuple[str, float], PriceTable | None] = {}
_gateway_cache: dict[tuple[str, str], NewApiPricing | None] = {}
_gateway_locks: dict[tuple[str, str], threading.Lock] = {}
_BUILTIN = PriceTable("builtin", BUILTIN_PRICES)


def warn_once(key: str, message: str) -> None:
    """One :class:`PricingWarning` per ``key`` per process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, PricingWarning, stacklevel=3)


def reset_price_cache() -> None:
    """Forget fetched gateway prices, the parsed ``ZZZ_PRICES`` file and which warnings were given."""
    with _lock:
        _warned.clear()
        _file_cache.clear()
        _gateway_cache.clear()
        _gateway_locks.clear()


def builtin_table() -> PriceTable:
    """The built-in vendor list prices."""
    return _BUILTIN


def override_table(prices: Prices | None) -> PriceTable | None:
    """``prices=`` as a table.

    Raises:
        ValueError: a malformed mapping (the message names the row): an argument
            the caller wrote, so it is refused rather than ignored.
    """
    if prices is None:
        return None
    if isinstance(prices, PriceTable):
        return prices
    if isinstance(prices, Mapping):
        return PriceTable("prices=", prices_from_mapping(prices, source="prices="))
    return PriceTable("prices=", list(prices))


def file_table() -> PriceTable | None:
    """The ``ZZZ_PRICES`` file's rows, or ``None`` (not set, or unusable: one warning)."""
    path = os.environ.get(ENV_PRICES)
    if not path:
        return None
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        warn_once(f"file:{path}", f"{ENV_PRICES}={path!r} cannot be read ({exc.strerror}); its prices are not used")
        return None
    key = (path, mtime)
    if key in _file_cache:
        return _file_cache[key]
    table: PriceTable | None = None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        table = PriceTable(ENV_PRICES, prices_from_mapping(data, source=f"{ENV_PRICES}:{path}", where=path))
    except (OSError, ValueError) as exc:
        warn_once(f"file:{path}:{mtime}", f"{ENV_PRICES} file {path!r} is not usable, so it is ignored: {exc}")
    _file_cache[key] = table
    return table


def _site(gateway: Any) -> tuple[str, str] | None:
    config = getattr(gateway, "config", None)
    if config is None or getattr(config, "dialect", None) not in _PRICING_ROUTES:
        return None
    return (config.base_url, os.environ.get(ENV_PRICE_GROUP, "").strip())


def gateway_pricing(gateway: Any, *, refresh: bool = False) -> NewApiPricing | None:
    """The gateway's published prices, fetched on first use (then cached for the process).

    ``gateway`` is a :class:`zzz_core.Gateway`.  ``None`` when its site publishes no
    prices, or when the fetch failed (one warning; the next source is used instead).
    """
    site = _site(gateway)
    if site is None:
        return None
    if not refresh and site in _gateway_cache:
        return _gateway_cache[site]
    with _lock:
        site_lock = _gateway_locks.setdefault(site, threading.Lock())
    with site_lock:  # concurrent first calls wait for one fetch
        if not refresh and site in _gateway_cache:
            return _gateway_cache[site]
        _gateway_cache[site] = result = _fetch(gateway, site)
    return result


def _fetch(gateway: Any, site: tuple[str, str]) -> NewApiPricing | None:
    pricing_path, status_path = _PRICING_ROUTES[gateway.config.dialect]
    transport = gateway.transport
    try:
        pricing, host = transport.request_json("GET", pricing_path, at_root=True)
        try:
            status, _ = transport.request_json("GET", status_path, at_root=True)
        except Exception:  # noqa: BLE001 - new-api's defaults (500000 quota per USD) apply without it
            status = None
        today = datetime.date.today().isoformat()
        return prices_from_newapi(pricing, status, source=f"{host} {pricing_path}", as_of=today, group=site[1] or None)
    except Exception as exc:  # noqa: BLE001 - a pricing fetch must never break the call it prices
        warn_once(
            f"gateway:{site}",
            f"could not read the gateway's prices from {pricing_path} ({type(exc).__name__}: {exc}); "
            f"using {ENV_PRICES} and the built-in list prices instead",
        )
        return None


def gateway_table(gateway: Any) -> PriceTable | None:
    pricing = gateway_pricing(gateway)
    return PriceTable("gateway", pricing.rows) if pricing is not None else None


async def aensure_gateway_prices(gateway: Any) -> None:
    """Fetch the gateway's prices off the event loop when they are not cached yet."""
    site = _site(gateway)
    if site is not None and site not in _gateway_cache:
        await asyncio.to_thread(gateway_pricing, gateway)


def tables(prices: Prices | None = None, gateway: Any = None) -> list[PriceTable]:
    """The price tables that apply, highest priority first."""
    found = [override_table(prices), file_table(), gateway_table(gateway) if gateway is not None else None]
    return [t for t in found if t is not None] + [_BUILTIN]


def find_price(model: str, *, prices: Prices | None = None, gateway: Any = None) -> Price | None:
    """The row pricing ``model``: the first source, by priority, that has one."""
    for table in tables(prices, gateway):
        row = table.get(model)
        if row is not None:
            return row
    return None


def price_call(
    model: str, usage: Usage | Mapping[str, Any] | None, *, prices: Prices | None = None, gateway: Any = None
) -> CallCost | None:
    """The cost of one call to ``model`` that used ``usage``, or ``None`` when no source prices it.

    Args:
        model: The model name the call was billed under (the one sent).
        usage: zzz_core's :class:`~zzz_core.types.Usage`, or an OpenAI-shaped ``usage``
            mapping, or LangChain's ``usage_metadata`` mapping.
        prices: Overrides, highest priority (``{"<model or glob>": {"input", "output", ...}}``).
        gateway: The :class:`zzz_core.Gateway` that made the call: its site's published
            prices apply (new-api).

    An unpriced model gives one :class:`PricingWarning` per process, and ``None``.
    """
    row = find_price(model, prices=prices, gateway=gateway)
    if row is None:
        warn_unpriced(model)
        return None
    return cost_of(model, as_usage(usage), row)


def warn_unpriced(model: str) -> None:
    """The one warning per process for a model no source prices."""
    warn_once(
        f"unpriced:{model}",
        f"no price known for model {model!r}, so its cost is None; give one with prices= or a {ENV_PRICES} "
        'file, e.g. {"' + model + '": {"input": 1.0, "output": 2.0, "currency": "CNY"}} (per 1M tokens)',
    )


def as_usage(usage: Usage | Mapping[str, Any] | None) -> Usage | None:
    """zzz_core's Usage from any of the shapes :func:`price_call` takes."""
    if usage is None or isinstance(usage, Usage):
        return usage
    if "input_tokens" in usage and "prompt_tokens" not in usage:  # LangChain's usage_metadata
        details_in = usage.get("input_token_details") or {}
        details_out = usage.get("output_token_details") or {}
        return Usage(
            prompt_tokens=int(usage.get("input_tokens") or 0),
            completion_tokens=int(usage.get("output_tokens") or 0),
            total_tokens=int(usage.get("total_tokens") or 0),
            cached_tokens=details_in.get("cache_read"),
            reasoning_tokens=details_out.get("reasoning"),
        )
    from ..usage import parse_usage

    return parse_usage(dict(usage))
