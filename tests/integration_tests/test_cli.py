"""The ``zzz`` command against the gateway simulator on 127.0.0.1, in-process and as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zzz_cli import main
from zzz_core.params import reset_param_warnings
from zzz_testing import MODELS, Fault, GatewaySimulator

KEY = "sk-test-abcdefghijklmnopqrstuvwx9876"
OPENAI_KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
PERSONAL_KEY = "zp-0123456789abcdefghijklmn"
SECRETS = (KEY, OPENAI_KEY, PERSONAL_KEY)
PRESET = {"zhizengzeng": "zhizengzeng", "newapi": "4z"}
"""The gateway preset of each simulator dialect (so balance goes straight to the dialect's billing route)."""
ROOT = Path(__file__).resolve().parents[2]
ENV_VARS = ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS", "ZZZ_MODEL", "OPENAI_API_KEY",
            "OPENAI_API_BASE", "OPENAI_API_BASE_URL", "OPENAI_BASE_URL", "NO_COLOR")  # fmt: skip


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ZZZ_API_KEY", KEY)


@pytest.fixture(params=["zhizengzeng", "newapi"])
def sim(request: pytest.FixtureRequest) -> Iterator[GatewaySimulator]:
    with GatewaySimulator(request.param) as s:
        yield s


def zzz(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator | None, *argv: str) -> tuple[int, str, str]:
    """Run ``main`` in-process; checks that no key and no traceback reach the output."""
    args = (["--base-url", sim.base_url] if sim is not None else []) + list(argv)
    code = main(args)
    out, err = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in out and secret not in err
    assert "Traceback" not in err
    return code, out, err


# ------------------------------------------------------------------- models
def test_models_table(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, out, err = zzz(capsys, sim, "models")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split()[:8] == ["MODEL", "OWNER", "KIND", "CONTEXT", "TOOLS", "VISION", "JSON_SCHEMA", "REASONING"]
    row = next(line.split() for line in lines if line.startswith("deepseek-reasoner "))
    assert row[1:6] == ["deepseek", "chat", "128,000", "yes", "-"] and "yes" in row[6:]
    assert f"{len(MODELS)} models from {sim.base_url}" in out
    assert ("ENDPOINTS" in lines[0]) is (sim.dialect == "newapi")


def test_models_json(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, out, _ = zzz(capsys, sim, "models", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and len(rows) == len(MODELS)
    assert rows["gpt-4o"]["vision"] is True and rows["gpt-4o"]["json_schema"] is True
    assert rows["o3-mini"]["reasoning_efforts"] == ["low", "medium", "high"]
    assert rows["text-embedding-3-small"]["kind"] == "embedding"


# ------------------------------------------------------------------ balance
def test_balance(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, out, _ = zzz(capsys, sim, "balance")
    assert code == 0 and out.startswith("111.8658 ")
    assert ("CNY" in out) is (sim.dialect == "zhizengzeng")
    code, out, _ = zzz(capsys, sim, "balance", "--json")
    data = json.loads(out)
    assert code == 0 and data["remaining"] == pytest.approx(111.8658) and data["base_url"] == sim.base_url


def test_balance_fault_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    sim.inject(Fault.error("balance", shape="envelope_200"))
    code, out, err = zzz(capsys, sim, "--gateway", PRESET[sim.dialect], "balance")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("zzz: InsufficientBalanceError: ")
    assert "(HTTP 200, code 1001): 余额不足" in err


def test_openai_key_rejected_by_the_gateway(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, _, err = zzz(capsys, sim, "--api-key", OPENAI_KEY, "models")
    assert code == 1 and err.startswith("zzz: AuthenticationError: ") and "HTTP 401" in err and "OpenAI key" in err


# --------------------------------------------------------------------- chat
def test_chat_streams_the_answer(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    question = "What is the capital of Peru?"
    code, out, err = zzz(capsys, sim, "chat", "--system", "Oslo is the capital of Norway. Lima is the capital of Peru.",
                         question)  # fmt: skip
    assert code == 0 and out == "Lima is the capital of Peru.\n" and err == ""
    body = sim.requests[-1].body
    assert body["stream"] is True and body["model"] == "gpt-4o-mini" and body["messages"][0]["role"] == "system"


def test_chat_shows_reasoning_apart(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, out, err = zzz(capsys, sim, "chat", "-m", "deepseek-reasoner", "--usage", "why is the sky blue?")
    assert code == 0
    assert out == "This is a simulated answer to: why is the sky blue?\n"
    assert err.startswith("> Let me think step by step about: why is the sky blue?\n")
    assert "think step by step" not in out and "usage: prompt" in err


def test_chat_no_stream_and_hidden_reasoning(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, out, err = zzz(capsys, sim, "chat", "--no-stream", "-m", "deepseek-reasoner", "hi")
    assert code == 0 and out == "This is a simulated answer to: hi\n" and err.startswith("> Let me think")
    assert "stream" not in sim.requests[-1].body
    code, out, err = zzz(capsys, sim, "chat", "-m", "deepseek-reasoner", "--hide-reasoning", "hi")
    assert code == 0 and out == "This is a simulated answer to: hi\n" and err == ""


def test_chat_reasoning_effort_is_sent(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, _, _ = zzz(capsys, sim, "chat", "-m", "o3-mini", "--reasoning-effort", "low", "hi")
    assert code == 0 and sim.requests[-1].body["reasoning_effort"] == "low"


def test_chat_stream_broken_off(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    sim.inject(Fault.mid_stream_drop(3))
    code, out, err = zzz(capsys, sim, "chat", "why is the sky blue?")
    assert code == 1 and out == "This is a si\n"  # the text received so far, then the error line
    assert err.count("\n") == 1 and err.startswith("zzz: StreamInterruptedError: ")


def test_chat_warnings_are_one_line(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    reset_param_warnings()  # zzz_core gives each (family, parameter) warning once per process
    code, out, err = zzz(capsys, sim, "chat", "-m", "deepseek-chat", "--reasoning-effort", "high", "--max-tokens", "5",
                         "hi there friend")  # fmt: skip
    assert code == 0 and out == "This is a simulated\n"
    lines = err.splitlines()
    assert lines[0].startswith("zzz: warning: reasoning_effort='high' was not sent")
    assert lines[1].startswith("zzz: note: the answer was cut off") and len(lines) == 2
    assert "reasoning_effort" not in sim.requests[-1].body


# ------------------------------------------------------------------- doctor
def test_doctor_passes_against_a_healthy_gateway(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    code, out, err = zzz(capsys, sim, "doctor")
    assert code == 0 and err == "", out
    assert "FAIL" not in out and "WARN" not in out
    assert f"ok    primary 127.0.0.1:{sim.port}: reachable, GET /v1/models listed {len(MODELS)} models (" in out
    assert f"key accepted: by 127.0.0.1:{sim.port}" in out and "balance: 111.8658" in out
    assert "messages:" in out and "before sending" in out
    assert out.rstrip().endswith("All checks passed.")
    assert sim.count("/models") == 1  # one probe per host


def test_doctor_when_the_gateway_is_down(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    sim.set_down()
    code, out, err = zzz(capsys, sim, "doctor")
    assert code == 1 and err == ""
    assert f"FAIL  primary 127.0.0.1:{sim.port}: unreachable" in out and "Connection refused" in out
    assert "key accepted: not checked" in out and out.rstrip().endswith("1 check failed.")


def test_doctor_primary_down_mirror_up(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with GatewaySimulator() as primary, GatewaySimulator() as mirror:
        primary.set_down()
        monkeypatch.setenv("ZZZ_MIRRORS", mirror.base_url)
        code, out, err = zzz(capsys, primary, "doctor")
    assert code == 0 and err == ""
    assert f"WARN  primary 127.0.0.1:{primary.port}: unreachable" in out
    assert f"fail over to 127.0.0.1:{mirror.port}" in out
    assert f"ok    mirror 127.0.0.1:{mirror.port}: reachable" in out and "balance: 111.8658" in out


@pytest.mark.parametrize("key,words", [
    (OPENAI_KEY, ["is an OpenAI key", "an OpenAI (or other non-API) key instead of the gateway's API key"]),
    (PERSONAL_KEY, ["personal-plan key (zp-…)", "not from code"]),
    ("Bearer " + KEY, ["starts with 'Bearer '", "missing Authorization header / API key"]),
])  # fmt: skip
def test_doctor_fails_on_a_wrong_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                     sim: GatewaySimulator, key: str, words: list[str]) -> None:  # fmt: skip
    monkeypatch.setenv("ZZZ_API_KEY", key)
    code, out, _ = zzz(capsys, sim, "doctor")
    assert code == 1
    assert out.splitlines()[1].startswith("FAIL  key: ")
    for word in words:
        assert word in out
    assert "key accepted: not checked: the key was not sent" in out and "balance: not checked" in out
    assert all(r.header("authorization") != f"Bearer {key}" for r in sim.requests)  # a bad key is never sent
    assert key not in out


def test_doctor_key_rejected_by_the_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    with GatewaySimulator("newapi", api_keys=["sk-the-only-accepted-key-1234"]) as sim:
        code, out, _ = zzz(capsys, sim, "doctor")
    assert code == 1
    assert "ok    primary" in out and "FAIL  key accepted: no:" in out and "无效的令牌" in out


def test_doctor_reports_base_url_and_env_mistakes(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                  sim: GatewaySimulator) -> None:  # fmt: skip
    monkeypatch.setenv("ZZZ_BASE_URL", sim.url)  # no /v1
    monkeypatch.setenv("OPENAI_API_BASE_URL", sim.base_url)
    code, out, err = zzz(capsys, None, "doctor")
    assert code == 0 and err == ""
    assert "WARN  base_url: $ZZZ_BASE_URL: base_url" in out and "has no /v1" in out
    assert f"export ZZZ_BASE_URL={sim.base_url}" in out
    assert "$OPENAI_API_BASE_URL is set" in out and "wrong base_url (注意事项 4)" in out
    code, out, _ = zzz(capsys, None, "doctor", "--strict")
    assert code == 1


def test_doctor_json(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator) -> None:
    sim.inject(Fault.error("balance", shape="envelope_200"), path="/dashboard/billing/credit_grants")
    sim.inject(Fault.error("balance", shape="envelope_200"), path="/dashboard/billing/subscription")
    code, out, _ = zzz(capsys, sim, "doctor", "--json")
    assert sim.count("/models") == 1
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    balance = next(f for f in data["findings"] if f["check"] == "balance")
    assert balance["status"] == "fail" and "InsufficientBalanceError" in balance["text"]


# -------------------------------------------------------------- subprocess
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def test_python_dash_m_zzz_core_cli(sim: GatewaySimulator) -> None:
    proc = subprocess.run([sys.executable, "-m", "zzz_cli", "models", "--json"], capture_output=True, text=True,
                          timeout=30, env=_env(ZZZ_API_KEY=KEY, ZZZ_BASE_URL=sim.base_url))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == len(MODELS) and KEY not in proc.stdout + proc.stderr
    sim.inject(Fault.error("balance", shape="envelope_200"))
    env = _env(ZZZ_API_KEY=KEY, ZZZ_BASE_URL=sim.base_url, ZZZ_GATEWAY=PRESET[sim.dialect])
    proc = subprocess.run([sys.executable, "-m", "zzz_cli", "balance"], capture_output=True, text=True, timeout=30,
                          env=env)  # fmt: skip
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("zzz: InsufficientBalanceError: ") and proc.stderr.count("\n") == 1


def test_simulator_command_serves_until_interrupted(capsys: pytest.CaptureFixture[str]) -> None:
    # A background job (as CI may be) starts with SIGINT ignored, and children inherit that:
    # give the child the default handler, as a user's terminal would.
    proc = subprocess.Popen([sys.executable, "-m", "zzz_cli", "simulator", "--port", "0", "--dialect", "newapi"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler))  # fmt: skip
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        announce = proc.stdout.readline() + proc.stdout.readline()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert "newapi" in announce and f"export ZZZ_BASE_URL={base_url} ZZZ_API_KEY=sk-test" in announce
        assert main(["--base-url", base_url, "--api-key", "sk-test", "balance"]) == 0
        assert "USD remaining" in capsys.readouterr().out
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


# ------------------------------------------------------------------ pricing
def test_pricing_table_names_each_rows_source(capsys: pytest.CaptureFixture[str], sim: GatewaySimulator,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # fmt: skip
    from zzz_core.pricing import reset_price_cache

    reset_price_cache()
    prices = tmp_path / "prices.json"
    prices.write_text('{"deepseek-*": {"input": 1, "output": 2, "currency": "CNY"}}')
    monkeypatch.setenv("ZZZ_PRICES", str(prices))
    code, out, _ = zzz(capsys, sim, "--gateway", PRESET[sim.dialect], "pricing")
    assert code == 0
    assert any(line.split()[:3] == ["ZZZ_PRICES", "deepseek-*", "1"] for line in out.splitlines())
    assert any(line.split()[:2] == ["builtin", "gpt-4o-mini"] and "openai.com" in line for line in out.splitlines())
    if sim.dialect == "newapi":  # new-api publishes its prices: model_ratio 0.075 -> $0.15 per 1M input
        assert any(line.split()[:3] == ["gateway", "gpt-4o-mini", "0.15"] for line in out.splitlines())
        assert "billed by an expression" in out and sim.count("/api/pricing") == 1
    else:
        assert "publishes no prices" in out and sim.count() == 0
    code, out, _ = zzz(capsys, sim, "--gateway", PRESET[sim.dialect], "pricing", "deepseek-chat", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["source_kind"] == "ZZZ_PRICES" and rows[-1]["source_kind"] == "builtin"
    code, _, err = zzz(capsys, sim, "pricing", "no-such-model-x")
    assert code == 1 and "no price known for 'no-such-model-x'" in err
    reset_price_cache()
