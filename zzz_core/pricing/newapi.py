"""new-api's published prices (``GET /api/pricing`` + ``GET /api/status``) as price rows.

Pure: payloads in, rows out.  The formula is new-api's own (``service/text_quota.go``,
``model/pricing.go``, ``controller/pricing.go``, ``controller/misc.go``; see
``../shared/wire-facts-2.md`` §1):

* per token (``quota_type`` 0): quota = (uncached prompt + cached × ``cache_ratio`` +
  completion × ``completion_ratio``) × ``model_ratio`` × group ratio, and
  ``quota_per_unit`` quota (500000 by default) is one US dollar.  So per 1M tokens:
  input = 1e6 × ``model_ratio`` × group / ``quota_per_unit`` (= ``model_ratio`` × 2 × group
  dollars at the default), output = input × ``completion_ratio``, cached = input × ``cache_ratio``;
* per call (``quota_type`` 1): ``model_price`` × group dollars per call;
* the group ratio is the one of the key's group (``ZZZ_PRICE_GROUP``, default
  ``default``); a model not enabled for that group (nor for ``all``) gets no row;
* a site that displays money in CNY (``quota_display_type: "CNY"``) gets CNY rows at its
  ``usd_exchange_rate``; every other site gets USD.

new-api rounds each call's quota to a whole unit (and charges at least 1); these rows
give the exact amount, which differs from the deduction by at most one quota unit
($0.000002).  Rows billed by an expression (``billing_mode: "tiered_expr"``) are left out:
their price depends on the request in ways a table cannot hold.
"""

from __future__ import annotations

import math
from typing import Any

from .table import Price

__all__ = ["DEFAULT_GROUP", "QUOTA_PER_UNIT", "NewApiPricing", "prices_from_newapi"]

#: new-api's ``common.QuotaPerUnit``: quota units per US dollar (``// $0.002 / 1K tokens``).
QUOTA_PER_UNIT = 500_000.0
DEFAULT_GROUP = "default"


class NewApiPricing:
    """The converted table and what the conversion left out, for ``zzz pricing``."""

    __slots__ = ("rows", "skipped", "group", "group_ratio", "currency")

    def __init__(self, rows: list[Price], skipped: dict[str, str], group: str, group_ratio: float, currency: str):
        self.rows = rows
        self.skipped = skipped
        """Model name -> why it has no row."""
        self.group = group
        self.group_ratio = group_ratio
        self.currency = currency


def _num(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def _pick_group(group_ratio: dict[str, Any], group: str | None) -> tuple[str, float]:
    ratios = {str(g): r for g, v in group_ratio.items() if (r := _num(v)) is not None and r >= 0}
    if group:
        if group not in ratios:
            raise ValueError(
                f"group {group!r} is not among this site's usable groups {sorted(ratios)}; set ZZZ_PRICE_GROUP to "
                "your key's group"
            )
        return group, ratios[group]
    if DEFAULT_GROUP in ratios:
        return DEFAULT_GROUP, ratios[DEFAULT_GROUP]
    if len(ratios) == 1:
        return next(iter(ratios.items()))
    raise ValueError(
        f"the site lists several groups {sorted(ratios)} and none is 'default'; set ZZZ_PRICE_GROUP to your key's group"
    )


def prices_from_newapi(
    pricing: dict[str, Any], status: dict[str, Any] | None, *, source: str, as_of: str, group: str | None = None
) -> NewApiPricing:
    """Convert the two payloads.

    Args:
        pricing: The body of ``GET /api/pricing`` (``{"success", "data", "group_ratio", ...}``).
        status: The body of ``GET /api/status`` (``{"success", "data": {"quota_per_unit", ...}}``),
            or ``None`` when it could not be read (new-api's defaults are used: 500000, USD).
        source: What the rows' ``source`` says (the site and route).
        as_of: The fetch date.
        group: The key's group; default ``default`` (or the only group listed).

    Raises:
        ValueError: a payload of another shape, or a group that cannot be decided.
    """
    data = pricing.get("data") if isinstance(pricing, dict) else None
    if not isinstance(data, list):
        raise ValueError("GET /api/pricing answered without a 'data' list (not a new-api site?)")
    group_ratio = pricing.get("group_ratio")
    if not isinstance(group_ratio, dict) or not group_ratio:
        group_ratio = {DEFAULT_GROUP: 1}
    group, g = _pick_group(group_ratio, group)
    info = (status or {}).get("data") if isinstance(status, dict) else None
    info = info if isinstance(info, dict) else {}
    qpu = _num(info.get("quota_per_unit"), QUOTA_PER_UNIT) or QUOTA_PER_UNIT
    currency, rate = "USD", 1.0
    if info.get("quota_display_type") == "CNY":
        exchange = _num(info.get("usd_exchange_rate"))
        if exchange is None or exchange <= 0:
            raise ValueError("the site displays CNY but /api/status gives no usable usd_exchange_rate")
        currency, rate = "CNY", exchange
    where = f"{source} (group {group} ×{g:g})"
    rows: list[Price] = []
    skipped: dict[str, str] = {}
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("model_name"), str):
            continue
        name = item["model_name"]
        groups = item.get("enable_groups") or []
        if isinstance(groups, list) and groups and group not in groups and "all" not in groups:
            skipped[name] = f"not enabled for group {group!r} (enabled: {', '.join(map(str, groups))})"
            continue
        if item.get("billing_mode") == "tiered_expr" and item.get("billing_expr"):
            skipped[name] = "billed by an expression (tiered_expr); give its price in ZZZ_PRICES"
            continue
        common = {"pattern": name, "currency": currency, "source": where, "as_of": as_of}
        if item.get("quota_type") == 1:
            price = _num(item.get("model_price"))
            if price is None:
                skipped[name] = "per-call model without a model_price"
                continue
            rows.append(Price(per_call=price * g * rate, **common))
            continue
        ratio = _num(item.get("model_ratio"))
        if ratio is None:
            skipped[name] = "no model_ratio"
            continue
        per_million = 1e6 * ratio * g / qpu * rate
        completion = _num(item.get("completion_ratio"), 1.0)
        cache = _num(item.get("cache_ratio"))
        rows.append(
            Price(
                input=per_million,
                output=per_million * (completion if completion is not None else 1.0),
                cached_input=None if cache is None else per_million * cache,
                **common,
            )
        )
    return NewApiPricing(rows, skipped, group, g, currency)
