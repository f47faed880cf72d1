"""Adding a gateway is one registration: a throwaway preset, registered through the registry and
removed after, is accepted by ChatZZZ, LlamaIndex ZZZ, the CLI (``--gateway``) and ``zzz doctor``.

Nothing but :func:`zzz_core.presets.register_preset` is called: no other module is patched or
edited.  The preset points at a new-api simulator on 127.0.0.1 that accepts only the preset's own
key shape, so each surface is seen to use the preset's host, key rules, balance route and hints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from zzz_cli import main
from zzz_core import ConfigurationError
from zzz_core.presets import GatewayPreset, RefusedKey, WrongHost, preset_names, register_preset, unregister_preset
from zzz_testing import GatewaySimulator

NAME = "throwaway-gw"
KEY = "tw-SECRET-throwaway-0123456789abcdef"
ENV_VARS = ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS", "OPENAI_API_KEY", "OPENAI_API_BASE",
            "OPENAI_API_BASE_URL", "OPENAI_BASE_URL")  # fmt: skip


@pytest.fixture
def throwaway(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GatewaySimulator, GatewayPreset]]:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    with GatewaySimulator("newapi", api_keys=[KEY]) as sim:
        sim.balance = 12.5
        preset = register_preset(
            GatewayPreset(
                name=NAME,
                label="Throwaway",
                base_url=sim.base_url,
                dialect="newapi",
                balance_api="subscription",
                key_prefixes=("tw-",),
                refused_keys=(RefusedKey("tx-", "Throwaway trial", "never work from code", "create a tw- key"),),
                aliases=("tgw",),
                wrong_hosts=(WrongHost("console.throwaway.test", "Throwaway's web console"),),
            )
        )
        try:
            yield sim, preset
        finally:
            unregister_preset(NAME)
    assert NAME not in preset_names()


def test_chatzzz_accepts_it(throwaway):
    from langchain_zzz import ChatZZZ

    sim, _ = throwaway
    llm = ChatZZZ(model="gpt-4o-mini", gateway="TGW", api_key=KEY, max_retries=0)
    assert (llm.config.gateway, llm.config.base_url, llm.config.dialect) == (NAME, sim.base_url, "newapi")
    assert llm.invoke("Say hello.").text
    assert sim.count("/chat/completions") == 1
    with pytest.raises(Exception, match=r"Throwaway trial keys \(tx-…\) never work from code"):
        ChatZZZ(model="gpt-4o-mini", gateway=NAME, api_key="tx-abc")
    wrong = ChatZZZ(model="gpt-4o-mini", gateway=NAME, api_key="sk-abcdefghijklmnop", max_retries=0)
    with pytest.raises(Exception, match=r"\(Throwaway keys start with tw-\)") as info:
        wrong.invoke("hi")
    assert type(info.value).__name__ == "AuthenticationError"


def test_llamaindex_zzz_accepts_it(throwaway):
    from llamaindex_zzz import ZZZ

    sim, _ = throwaway
    llm = ZZZ(model="gpt-4o-mini", gateway=NAME, api_key=KEY, max_retries=0)
    assert (llm.gateway, llm.base_url) == (NAME, sim.base_url)
    assert llm.complete("Say hello.").text
    assert sim.count("/chat/completions") == 1


def test_the_cli_accepts_it(throwaway, capsys, monkeypatch):
    sim, _ = throwaway
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    assert main(["--gateway", NAME, "balance", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gateway"] == NAME and out["remaining"] == pytest.approx(12.5) and out["currency"] == "USD"
    assert sim.count("/dashboard/billing/subscription") == 1  # the preset's balance route, straight away
    assert main(["--help"]) == 0
    assert f"{NAME} (tgw)" in capsys.readouterr().out


def test_zzz_doctor_accepts_it(throwaway, capsys, monkeypatch):
    sim, _ = throwaway
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    assert main(["doctor", "--gateway", NAME, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["checked"] == f"gateway {NAME} (newapi) at {sim.base_url}, no mirror"
    found = {f["check"]: f for f in report["findings"]}
    assert found["key"]["text"].endswith(f"the shape {NAME} issues (tw-…)")
    assert found[f"primary 127.0.0.1:{sim.port}"]["status"] == "ok"
    assert found["balance"]["text"] == "12.5000 USD remaining"

    monkeypatch.setenv("ZZZ_API_KEY", "tx-abcdefghijklmnop")
    assert main(["doctor", "--gateway", NAME]) == 1
    out = capsys.readouterr().out
    assert "is a Throwaway trial key (tx-…): such keys never work from code" in out
    assert "→ create a tw- key and set it as ZZZ_API_KEY" in out
    assert "Throwaway: tw-…" in _vendor_key_advice(capsys)

    from zzz_cli import _doctor

    findings, _ = _doctor.check_base_url("https://console.throwaway.test/v1", "--base-url")
    assert [(f.status, f.text, f.advice) for f in findings] == [
        ("warn", "https://console.throwaway.test/v1 is Throwaway's web console", f"API keys use {sim.base_url}")
    ]


def _vendor_key_advice(capsys: pytest.CaptureFixture[str]) -> str:
    """The doctor's advice for a vendor key lists every registered gateway's key shapes."""
    from zzz_cli import _doctor

    (finding,) = _doctor.check_key("sk-proj-abcdefghijklmnop", "$ZZZ_API_KEY")
    return finding.advice


def test_after_removal_it_is_unknown_everywhere(throwaway, capsys):
    from langchain_zzz import ChatZZZ

    unregister_preset(NAME)
    with pytest.raises(Exception, match=f"unknown gateway '{NAME}'"):
        ChatZZZ(model="gpt-4o-mini", gateway=NAME, api_key=KEY)
    assert main(["--gateway", NAME, "--api-key", KEY, "models"]) == 1
    assert f"unknown gateway '{NAME}'" in capsys.readouterr().err
    assert main(["--help"]) == 0 and NAME not in capsys.readouterr().out
    with pytest.raises(ConfigurationError):
        from zzz_core.presets import get_preset

        get_preset("tgw")
