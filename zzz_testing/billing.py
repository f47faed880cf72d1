"""The simulated billing routes: 智增增's ``credit_grants``, new-api's ``subscription`` and ``usage``.

Each function takes the simulator's balance and the amount used and returns the JSON body the
gateway sends (always with HTTP 200); :data:`ROUTES` says which dialect serves which route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ROUTES", "credit_grants", "subscription", "usage"]


def credit_grants(balance: float, used: float) -> dict[str, Any]:
    """智增增: the amount left, as a string with four decimals."""
    grants = {"available_amount": f"{balance:.4f}"}
    return {"code": 0, "msg": "ok", "object": "credit_summary", "grants": grants}


def subscription(balance: float, used: float) -> dict[str, Any]:
    """new-api: the quota as a hard limit in USD (what is left plus what was used)."""
    total = round(balance + used, 6)
    return {"object": "billing_subscription", "has_payment_method": True, "soft_limit_usd": total,
            "hard_limit_usd": total, "system_hard_limit_usd": total, "access_until": 0}  # fmt: skip


def usage(balance: float, used: float) -> dict[str, Any]:
    """new-api: what was used, in cents."""
    return {"object": "list", "total_usage": round(used * 100, 4)}


#: dialect -> (method, path without /v1) -> body.
ROUTES: dict[str, dict[tuple[str, str], Callable[[float, float], dict[str, Any]]]] = {
    "zhizengzeng": {("POST", "/dashboard/billing/credit_grants"): credit_grants},
    "newapi": {("GET", "/dashboard/billing/subscription"): subscription, ("GET", "/dashboard/billing/usage"): usage},
}
