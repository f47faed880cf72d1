"""The preset registry: what a registration checks, and what the rest of the package reads from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zzz_core import ConfigurationError, ZZZConfig
from zzz_core.decode import balance_from_credit_grants, balance_from_subscription
from zzz_core.presets import (
    BALANCE_APIS,
    PRESETS,
    GatewayPreset,
    RefusedKey,
    WrongHost,
    balance_apis_for,
    get_preset,
    key_shapes,
    preset_for_url,
    preset_names,
    presets,
    refused_key,
    register_preset,
    unregister_preset,
    wrong_host,
)

EXAMPLE = GatewayPreset(
    name="example-gw",
    label="Example",
    base_url="https://api.example-gw.test/v1",
    mirrors=("https://mirror.example-gw.test/v1",),
    dialect="newapi",
    balance_api="subscription",
    key_prefixes=("ex-",),
    refused_keys=(RefusedKey("exp-", "Example trial", "never work from code", "create an ex- key in the console"),),
    aliases=("Example", "示例"),
    wrong_hosts=(WrongHost("console.example-gw.test", "Example's web console"),),
)


@pytest.fixture
def example() -> Iterator[GatewayPreset]:
    register_preset(EXAMPLE)
    try:
        yield EXAMPLE
    finally:
        unregister_preset(EXAMPLE.name)


def test_built_in_presets_are_registered_in_order():
    assert preset_names() == ["zhizengzeng", "4z", "ztoken"]
    assert preset_names(aliases=True)[:3] == ["zhizengzeng", "zzz", "智增增"]
    assert key_shapes() == "智增增: zk-… or sk-zk…; 4Z-API: sk-…; ztoken: zk-… or sk-zk… or sk-…"


def test_a_registration_is_read_everywhere_and_removed_whole(example):
    assert preset_names()[-1] == "example-gw"
    assert get_preset("EXAMPLE") is get_preset("示例") is get_preset(" example-gw ") is example
    assert preset_for_url("https://mirror.example-gw.test/v1/") is example
    assert key_shapes().endswith("; Example: ex-…")
    assert refused_key("exp-123") is example.refused_keys[0]
    assert wrong_host("Console.Example-GW.test") == (example, example.wrong_hosts[0])
    assert example.refused_key_prefixes == (("exp-", example.refused_keys[0].message),)

    assert unregister_preset("example") is example
    assert "example-gw" not in preset_names() and not [p for p in PRESETS.values() if p is example]
    with pytest.raises(
        ConfigurationError, match="unknown gateway 'example-gw'; choose one of: 4z, zhizengzeng, ztoken"
    ):
        get_preset("example-gw")
    assert unregister_preset("example-gw") is None


def test_registration_refuses_what_cannot_work():
    with pytest.raises(ValueError, match="dialect must be one of"):
        register_preset(GatewayPreset(name="bad", base_url="https://x.test/v1", dialect="openrouter"))
    with pytest.raises(ValueError, match="balance_api must be one of"):
        register_preset(GatewayPreset(name="bad", base_url="https://x.test/v1", balance_api="credits"))
    with pytest.raises(ValueError, match="zzz already name another preset"):
        register_preset(GatewayPreset(name="bad", base_url="https://x.test/v1", aliases=("zzz",)))
    assert "bad" not in PRESETS and get_preset("zzz").name == "zhizengzeng"


def test_registering_again_replaces_the_old_entry(example):
    newer = GatewayPreset(name="example-gw", base_url="https://api2.example-gw.test/v1", aliases=("ex2",))
    register_preset(newer)
    assert get_preset("ex2") is newer and "example" not in PRESETS and "示例" not in PRESETS
    assert presets().count(newer) == 1


def test_refused_keys_and_key_hints_come_from_the_preset(example):
    with pytest.raises(ConfigurationError) as info:
        ZZZConfig.resolve(api_key="exp-abc", gateway="example-gw")
    assert str(info.value) == "Example trial keys (exp-…) never work from code. Create an ex- key in the console."
    hint = ZZZConfig.resolve(api_key="sk-abcdef", gateway="example-gw").key_hint()
    assert hint is not None and hint.endswith("(Example keys start with ex-)")
    assert ZZZConfig.resolve(api_key="ex-abcdef", gateway="example-gw").key_hint() is None
    # 智增增 and its personal-plan keys, as before the registry
    assert "personal-plan keys (zp-…)" in str(
        pytest.raises(ConfigurationError, ZZZConfig.resolve, api_key="zp-1").value
    )
    assert "(智增增 keys start with zk- or sk-zk)" in (ZZZConfig.resolve(api_key="sk-abc").key_hint() or "")
    assert ZZZConfig.resolve(api_key="sk-abc", gateway="4z").key_hint() is None


def test_balance_apis_for_a_preset_and_for_a_custom_relay():
    assert balance_apis_for("credit_grants") == (BALANCE_APIS["credit_grants"],)
    assert [a.name for a in balance_apis_for(None)] == ["subscription", "credit_grants"]
    assert BALANCE_APIS["subscription"].requests[0] == ("GET", "/dashboard/billing/subscription")


def test_balance_decoding():
    bal = balance_from_credit_grants({"code": 0, "grants": {"available_amount": "111.8658"}}, "zhizengzeng")
    assert (bal.remaining, bal.currency, bal.gateway) == (111.8658, "CNY", "zhizengzeng")
    with pytest.raises(ValueError, match="readable available_amount"):
        balance_from_credit_grants({"grants": {"available_amount": "n/a"}}, "zhizengzeng")
    bal = balance_from_subscription({"hard_limit_usd": 10}, {"total_usage": 250}, "4z")
    assert (bal.remaining, bal.used, bal.currency, bal.unlimited) == (7.5, 2.5, "USD", False)
