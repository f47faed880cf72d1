"""new-api's /api/pricing + /api/status converted to prices, checked against new-api's own quota formula."""

from __future__ import annotations

import copy

import pytest

from zzz_core.pricing import cost_of, prices_from_newapi
from zzz_core.types import Usage
from zzz_testing.pricing import DEFAULT_PRICING, DEFAULT_STATUS

QPU = 500_000  # new-api's common.QuotaPerUnit


def convert(pricing=None, status=None, group=None):
    return prices_from_newapi(
        copy.deepcopy(pricing or DEFAULT_PRICING), copy.deepcopy(DEFAULT_STATUS if status is None else status),
        source="sim /api/pricing", as_of="2026-12-07", group=group,
    )  # fmt: skip


def rows(converted):
    return {r.pattern: r for r in converted.rows}


def newapi_quota(prompt, cached, completion, ratio, completion_ratio, cache_ratio, group_ratio):
    """service/text_quota.go, ratio mode, OpenAI usage semantics (before rounding to whole quota)."""
    return ((prompt - cached) + cached * cache_ratio + completion * completion_ratio) * ratio * group_ratio


def test_default_group_ratios_become_prices_per_million():
    got = convert()
    assert (got.group, got.group_ratio, got.currency) == ("default", 1.0, "USD")
    r = rows(got)
    mini = r["gpt-4o-mini"]  # model_ratio 0.075, completion 4, cache 0.5
    assert (mini.input, mini.output, mini.cached_input) == pytest.approx((0.15, 0.60, 0.075))
    assert mini.source == "sim /api/pricing (group default ×1)" and mini.as_of == "2026-12-07"
    assert r["qwen-max"].cached_input is None  # no cache_ratio published: cached tokens pay the input price
    assert r["dall-e-3"].per_call == pytest.approx(0.04)  # quota_type 1: model_price per call
    assert "kimi-k2" not in r and "group 'default'" in got.skipped["kimi-k2"]  # enabled for vip only
    assert "gemini-2.5-flash" not in r and "tiered_expr" in got.skipped["gemini-2.5-flash"]


def test_the_group_ratio_scales_every_price():
    got = convert(group="vip")
    r = rows(got)
    assert got.group_ratio == 0.8
    assert r["gpt-4o-mini"].input == pytest.approx(0.15 * 0.8)
    assert r["dall-e-3"].per_call == pytest.approx(0.04 * 0.8)  # enable_groups ["all"]
    assert r["kimi-k2"].input == pytest.approx(2 * 2 * 0.8) and r["kimi-k2"].output == pytest.approx(2 * 2 * 0.8 * 4)
    assert r["gpt-4o"].source.endswith("(group vip ×0.8)")


@pytest.mark.parametrize("group", ["default", "vip"])
@pytest.mark.parametrize(
    "model,ratio,completion_ratio,cache_ratio",
    [("claude-sonnet-4-5", 1.5, 5, 0.1), ("deepseek-chat", 0.14, 1.5, 0.1), ("glm-4.6", 0.3, 4, 0.2),
     ("gpt-5", 0.625, 8, 0.1), ("qwen-max", 0.8, 4, 1.0)],
)  # fmt: skip
def test_costs_equal_new_api_quota_in_dollars(group, model, ratio, completion_ratio, cache_ratio):
    converted = convert(group=group)
    usage = Usage(prompt_tokens=12_345, completion_tokens=6_789, cached_tokens=4_000, reasoning_tokens=1_000)
    cost = cost_of(model, usage, rows(converted)[model])
    quota = newapi_quota(12_345, 4_000, 6_789, ratio, completion_ratio, cache_ratio, converted.group_ratio)
    assert cost.amount == pytest.approx(quota / QPU, rel=1e-12) and cost.currency == "USD"


def test_a_per_call_model_costs_its_price_whatever_the_tokens():
    row = rows(convert(group="vip"))["dall-e-3"]
    # service/text_quota.go price mode: model_price x QuotaPerUnit x group_ratio quota
    expected = 0.04 * QPU * 0.8 / QPU
    assert cost_of("dall-e-3", Usage(prompt_tokens=999, completion_tokens=5), row).amount == pytest.approx(expected)
    assert cost_of("dall-e-3", None, row).amount == pytest.approx(expected)


def test_a_site_that_displays_cny_gets_cny_prices():
    status = copy.deepcopy(DEFAULT_STATUS)
    status["data"].update(quota_display_type="CNY", usd_exchange_rate=7.1)
    got = convert(status=status)
    mini = rows(got)["gpt-4o-mini"]
    assert got.currency == mini.currency == "CNY"
    assert mini.input == pytest.approx(0.15 * 7.1) and mini.output == pytest.approx(0.60 * 7.1)


def test_quota_per_unit_from_status_and_defaults_without_status():
    status = copy.deepcopy(DEFAULT_STATUS)
    status["data"]["quota_per_unit"] = 1_000_000
    assert rows(convert(status=status))["gpt-4o-mini"].input == pytest.approx(0.075)
    assert rows(convert(status={}))["gpt-4o-mini"].input == pytest.approx(0.15)  # new-api's 500000 per USD


def test_groups_that_cannot_be_decided_are_refused_with_what_to_do():
    pricing = copy.deepcopy(DEFAULT_PRICING)
    pricing["group_ratio"] = {"svip": 0.5, "vip": 0.8}
    with pytest.raises(ValueError, match="set ZZZ_PRICE_GROUP"):
        convert(pricing)
    with pytest.raises(ValueError, match="'nope' is not among"):
        convert(group="nope")
    pricing["group_ratio"] = {"vip": 0.8}  # one group listed: it is the key's
    assert convert(pricing).group == "vip"


def test_a_payload_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="not a new-api site"):
        prices_from_newapi({"object": "list"}, None, source="x", as_of="d")
