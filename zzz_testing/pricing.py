"""new-api's public pricing routes, as the simulator serves them in the ``newapi`` dialect.

``GET /api/pricing`` answers in the shape of new-api's ``controller/pricing.go`` (rows of
``model/pricing.go``'s ``Pricing``: ``quota_type`` 0 with ``model_ratio`` /
``completion_ratio`` / optional ``cache_ratio``, ``quota_type`` 1 with ``model_price``,
``enable_groups``, optional ``billing_mode``/``billing_expr``; plus ``group_ratio``,
``usable_group``, ``vendors``, ``supported_endpoint``, ``auto_groups``) and
``GET /api/status`` in the shape of ``controller/misc.go`` (``quota_per_unit``,
``quota_display_type``, ``usd_exchange_rate``).  The ratios are the simulator's own, chosen
to exercise every branch: a cache ratio, a per-call model, a group ratio, a model
enabled only for another group and one billed by an expression.

Set ``sim.config.pricing`` / ``sim.config.status`` to a payload of your own to change them.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["DEFAULT_PRICING", "DEFAULT_STATUS", "ROUTES", "pricing_payload", "status_payload"]


def _ratio(name: str, ratio: float, completion: float, vendor: int, cache: float | None = None,
           groups: tuple[str, ...] = ("default", "vip"), **extra: Any) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {
        "model_name": name, "vendor_id": vendor, "quota_type": 0, "model_ratio": ratio, "model_price": 0,
        "owner_by": "", "completion_ratio": completion, "enable_groups": list(groups),
        "supported_endpoint_types": ["openai"], "wallet_available": True, "subscription_available": True,
    }  # fmt: skip
    if cache is not None:
        row["cache_ratio"] = cache
    row.update(extra)
    return row


DEFAULT_PRICING: dict[str, Any] = {
    "success": True,
    "data": [
        _ratio("gpt-4o-mini", 0.075, 4, 1, cache=0.5),
        _ratio("gpt-4o", 1.25, 4, 1, cache=0.5),
        _ratio("gpt-5", 0.625, 8, 1, cache=0.1),
        _ratio("o4-mini", 0.55, 4, 1, cache=0.25),
        _ratio("claude-sonnet-4-5", 1.5, 5, 2, cache=0.1, create_cache_ratio=1.25),
        _ratio("deepseek-chat", 0.14, 1.5, 3, cache=0.1),
        _ratio("deepseek-reasoner", 0.14, 1.5, 3, cache=0.1),
        _ratio("qwen-max", 0.8, 4, 4),
        _ratio("glm-4.6", 0.3, 4, 5, cache=0.2),
        _ratio("text-embedding-3-small", 0.01, 1, 1),
        _ratio("text-embedding-3-large", 0.065, 1, 1),
        _ratio("kimi-k2", 2, 4, 6, groups=("vip",)),
        _ratio(
            "gemini-2.5-flash",
            0.15,
            8,
            7,
            billing_mode="tiered_expr",
            billing_expr="p <= 200000 ? p * 0.3 + c * 2.5 : p * 0.6 + c * 5",
        ),  # fmt: skip
        {
            "model_name": "dall-e-3",
            "vendor_id": 1,
            "quota_type": 1,
            "model_ratio": 0,
            "model_price": 0.04,
            "owner_by": "",
            "completion_ratio": 0,
            "enable_groups": ["all"],
            "supported_endpoint_types": ["image-generation"],
            "wallet_available": True,
            "subscription_available": True,
        },  # fmt: skip
    ],
    "vendors": [
        {"id": 1, "name": "OpenAI"},
        {"id": 2, "name": "Anthropic"},
        {"id": 3, "name": "DeepSeek"},
        {"id": 4, "name": "阿里巴巴"},
        {"id": 5, "name": "智谱"},
        {"id": 6, "name": "Moonshot"},
        {"id": 7, "name": "Google"},
    ],  # fmt: skip
    "group_ratio": {"default": 1, "vip": 0.8},
    "usable_group": {"default": "默认分组", "vip": "VIP 分组"},
    "supported_endpoint": {"openai": {"path": "/v1/chat/completions", "method": "POST"}},
    "auto_groups": ["default"],
    "pricing_version": "a42d372ccf0b5dd13ecf71203521f9d2",
}

DEFAULT_STATUS: dict[str, Any] = {
    "success": True,
    "message": "",
    "data": {
        "version": "v0.9.0-sim",
        "system_name": "New API",
        "quota_per_unit": 500000,
        "display_in_currency": True,
        "quota_display_type": "USD",
        "custom_currency_symbol": "¤",
        "custom_currency_exchange_rate": 1,
        "usd_exchange_rate": 7.3,
        "price": 7.3,
    },  # fmt: skip
}


def pricing_payload(override: dict[str, Any] | None) -> dict[str, Any]:
    return copy.deepcopy(override if override is not None else DEFAULT_PRICING)


def status_payload(override: dict[str, Any] | None) -> dict[str, Any]:
    return copy.deepcopy(override if override is not None else DEFAULT_STATUS)


#: dialect -> (method, path) -> body, read from the simulator's settings (``SimConfig``).
ROUTES: dict[str, dict[tuple[str, str], Any]] = {
    "newapi": {
        ("GET", "/api/pricing"): lambda cfg: pricing_payload(cfg.pricing),
        ("GET", "/api/status"): lambda cfg: status_payload(cfg.status),
    }
}
