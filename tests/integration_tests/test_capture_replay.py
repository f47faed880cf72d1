"""``zzz capture`` against the simulator, and ``GatewaySimulator(replay=FILE)`` serving the capture back.

The capture is made against a live simulator (both dialects) with the usual failures set up
(an unknown model, a rejected parameter, a key the gateway does not know); the replay must
then answer zzz_core and both skins as the live simulator did, typed errors included, and a
key planted in a probe must never reach the file, whole, in part or masked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import langchain_core.exceptions as lc
import openai
import pytest

from zzz_cli import _capture, main
from zzz_core import errors as E
from zzz_core.gateway import Gateway
from zzz_testing import GatewaySimulator
from zzz_testing.replay import load_capture

KEY = "sk-zkR8t2Vq9LmX4cNb7Hs1Pd6Wf3Jk5Gy0Ae"
PRESET = {"zhizengzeng": "zhizengzeng", "newapi": "4z"}
MODEL = "gpt-4o-mini"
NO_SUCH_MODEL = "zzz-capture-no-such-model"
NAMES = ["chat", "stream", "tool_call", "structured_output", "embedding", "models", "balance"]
FAILURES = ["unknown_model", "bad_key", "oversized_max_tokens", "unsupported_parameter", "empty_messages"]


def live(dialect: str) -> GatewaySimulator:
    """A simulator with the failures a real gateway shows: unknown model, a parameter it rejects, a key check."""
    sim = GatewaySimulator(dialect, api_keys=[KEY])
    sim.inject("model_not_found", times=None, model=NO_SUCH_MODEL)
    sim.reject(MODEL, "parallel_tool_calls")
    return sim


def capture(sim: GatewaySimulator, dialect: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for var in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    code = main(["--base-url", sim.base_url, "--gateway", PRESET[dialect], "capture", "-o", str(out)])
    assert code == 0
    return load_capture(out)


@pytest.fixture(params=["zhizengzeng", "newapi"])
def captured(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """(dialect, the capture file, the live simulator it was made against, still running)."""
    dialect = request.param
    with live(dialect) as sim:
        out = tmp_path / f"capture-{dialect}.json"
        capture(sim, dialect, out, monkeypatch)
        yield dialect, out, sim


def gateway(sim: GatewaySimulator, dialect: str, key: str = KEY) -> Gateway:
    return Gateway.from_settings(base_url=sim.base_url, gateway=PRESET[dialect], api_key=key, max_retries=0)


# ------------------------------------------------------------------- capture
def test_capture_holds_every_probe_with_its_answer(captured: Any) -> None:
    dialect, path, sim = captured
    doc = load_capture(path)
    names = [p["name"] for p in doc["probes"]]
    balance = ["balance_2"] if dialect == "newapi" else []  # new-api answers the balance in two requests
    assert names == NAMES + balance + FAILURES
    assert doc["version"] == 1 and doc["gateway"] == PRESET[dialect] and doc["dialect"] == dialect
    by = {p["name"]: p for p in doc["probes"]}
    assert by["chat"]["status"] == 200 and by["chat"]["body"]["choices"][0]["message"]["content"]
    assert by["stream"]["sse"][-1] == "[DONE]" and "body" not in by["stream"]
    assert by["tool_call"]["body"]["choices"][0]["message"]["tool_calls"]
    assert by["bad_key"]["status"] == 401 and by["bad_key"]["request"]["auth"] == "invalid"
    assert by["unsupported_parameter"]["status"] == 400 and by["empty_messages"]["status"] == 400
    assert by["unknown_model"]["status"] in (404, 503)  # 智增增 404, new-api 503 (gateway-facts)
    assert len(by["embedding"]["body"]["data"][0]["embedding"]) == 8  # the vector is trimmed, and says so
    assert by["embedding"]["trimmed"] == ["embedding: 1528 of 1536 items trimmed"]
    if dialect == "newapi":
        assert by["chat"]["headers"]["x-oneapi-request-id"]  # a header of interest is kept
    # each probe was sent exactly once: no retry, no negotiated resend
    assert sim.count("/chat/completions") == 9 and sim.count("/embeddings") == 1


def test_only_headers_of_interest_are_kept(captured: Any) -> None:
    _, path, _ = captured
    for probe in load_capture(path)["probes"]:
        assert set(probe["headers"]) <= {"content-type", "x-oneapi-request-id"}, probe["name"]
        assert "content-type" in probe["headers"]


def test_a_key_planted_in_a_probe_never_reaches_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key goes into the question (the simulator echoes it in the answer), whole, cut and masked."""
    forms = [KEY, KEY[3:], KEY[:5] + "…" + KEY[-4:], KEY[:3] + "..." + KEY[-6:], KEY[6:20], KEY[-12:]]
    planted = "my key is " + " and ".join(forms) + " mail me at li.lei@example.cn"
    real_probes = _capture.probes

    def probes_with_the_key(*args: Any) -> list[dict[str, Any]]:
        out = real_probes(*args)
        for p in out:
            body = p["request"]["body"]
            if isinstance(body, dict) and body.get("messages"):
                body["messages"] = [{"role": "user", "content": planted}]
        return out

    monkeypatch.setattr(_capture, "probes", probes_with_the_key)
    for dialect in ("zhizengzeng", "newapi"):
        out = tmp_path / f"{dialect}.json"
        with live(dialect) as sim:
            capture(sim, dialect, out, monkeypatch)
            echoed = [r for r in sim.requests if r.body and "messages" in r.body]
            assert echoed and KEY in json.dumps(echoed[0].body)  # the key really was sent in a probe
        data = out.read_bytes()
        assert b"<redacted-key>" in data and b"<redacted-email>" in data
        for form in [*forms, KEY[10:18], "Bearer"]:
            assert form.encode() not in data, form
        # no run of 8 characters of the key, anywhere in the file
        assert not any(KEY[i : i + 8].encode() in data for i in range(len(KEY) - 7))


def test_nothing_is_written_when_no_probe_gets_an_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with live("zhizengzeng") as sim:
        sim.set_down()
        out = tmp_path / "none.json"
        monkeypatch.setenv("ZZZ_API_KEY", KEY)
        code = main(["--base-url", sim.base_url, "--timeout", "2", "capture", "-o", str(out)])
        assert sim.count() == 0
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "no probe got an answer" in err and "zzz doctor" in err and KEY not in err


# -------------------------------------------------------------------- replay
def test_replay_answers_zzz_core_as_the_live_gateway_did(captured: Any) -> None:
    dialect, path, sim = captured
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "Reply with the single word OK."}]}
    with GatewaySimulator(dialect, replay=path, api_keys=[KEY]) as replay:
        for target in (sim, replay):
            gw = gateway(target, dialect)
            try:
                result = gw.chat({**chat, "max_tokens": 16}).choices[0]
                streamed = "".join(c.content for c in gw.chat_stream({**chat, "max_tokens": 16}))
                if target is sim:
                    expected = (result.content, streamed, gw.balance().remaining, [m.id for m in gw.models()][:3])
                else:
                    got = (result.content, streamed, gw.balance().remaining, [m.id for m in gw.models()][:3])
                    assert got == expected
                    assert len(gw.embed({"model": "text-embedding-3-small", "input": ["hello"]}).vectors[0]) > 0
            finally:
                gw.close()


def errors_of(target: GatewaySimulator, dialect: str) -> list[tuple[type, int | None]]:
    chat = {"model": MODEL, "messages": [{"role": "user", "content": "Reply with the single word OK."}],
            "max_tokens": 16}  # fmt: skip
    calls = [(KEY, {**chat, "model": NO_SUCH_MODEL}), ("sk-zzz-capture-deliberately-invalid-key-0000", chat),
             (KEY, {**chat, "messages": []})]  # fmt: skip
    out = []
    for key, body in calls:
        gw = gateway(target, dialect, key)
        try:
            with pytest.raises(E.ZZZError) as info:
                gw.chat(body)
            out.append((type(info.value), getattr(info.value, "status_code", None)))
        finally:
            gw.close()
    return out


def test_replay_raises_the_same_typed_errors_as_live(captured: Any) -> None:
    dialect, path, sim = captured
    with GatewaySimulator(dialect, replay=path, api_keys=[KEY]) as replay:
        live_errors, replayed = errors_of(sim, dialect), errors_of(replay, dialect)
    assert replayed == live_errors
    assert [c for c, _ in replayed][1] is E.AuthenticationError


def test_a_rejected_parameter_is_negotiated_away_in_replay_as_live(captured: Any) -> None:
    """The unsupported-parameter probe's 400 makes zzz_core resend without it; the resend is the chat probe."""
    dialect, path, sim = captured
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Reply with the single word OK."}],
            "max_tokens": 16, "parallel_tool_calls": True}  # fmt: skip
    with GatewaySimulator(dialect, replay=path, api_keys=[KEY]) as replay:
        answers = []
        for target in (sim, replay):
            target.clear_requests()
            gw = gateway(target, dialect)
            try:
                answers.append(gw.chat(dict(body)).choices[0].content)
            finally:
                gw.close()
            assert [("parallel_tool_calls" in r.body) for r in target.requests] == [True, False]
    assert answers[0] == answers[1]


_NO_PRICES = pytest.mark.filterwarnings("ignore:could not read the gateway's prices")


@_NO_PRICES
def test_replay_through_the_skins(captured: Any) -> None:
    from langchain_core.messages import HumanMessage

    from langchain_zzz import ChatZZZ

    dialect, path, sim = captured
    with GatewaySimulator(dialect, replay=path, api_keys=[KEY]) as replay:
        settings = {"model": MODEL, "base_url": replay.base_url, "gateway": PRESET[dialect], "max_tokens": 16,
                    "max_retries": 0}  # fmt: skip
        answer = ChatZZZ(api_key=KEY, **settings).invoke([HumanMessage("Reply with the single word OK.")])
        recorded = load_capture(path)["probes"][0]["body"]["choices"][0]["message"]["content"]
        assert answer.content == recorded
        with pytest.raises(E.AuthenticationError) as info:
            ChatZZZ(api_key="sk-zzz-some-other-key-1234567890", **settings).invoke("hi")
        assert isinstance(info.value, openai.AuthenticationError)
        assert isinstance(info.value, lc.ModelAuthenticationError)
        streamed = "".join(str(c.content) for c in ChatZZZ(api_key=KEY, **settings).stream("Reply with OK."))
        deltas = [json.loads(e) for e in load_capture(path)["probes"][1]["sse"] if e != "[DONE]"]
        assert streamed == "".join(d["choices"][0]["delta"].get("content") or "" for d in deltas if d["choices"])
        assert skin_errors(replay, dialect) == skin_errors(sim, dialect)


def skin_errors(target: GatewaySimulator, dialect: str) -> list[type]:
    """The exception classes ChatZZZ raises for the unknown model and the bad key (an empty message
    list never leaves the client: the skin refuses it first)."""
    from langchain_zzz import ChatZZZ

    settings = {"base_url": target.base_url, "gateway": PRESET[dialect], "max_tokens": 16, "max_retries": 0}
    cases = [(NO_SUCH_MODEL, KEY), (MODEL, "sk-zzz-capture-deliberately-invalid-key-0000")]
    out = []
    for model, key in cases:
        with pytest.raises(lc.ModelError) as info:
            ChatZZZ(model=model, api_key=key, **settings).invoke("hi")
        assert isinstance(info.value, E.ZZZError)
        out.append(type(info.value))
    return out


@_NO_PRICES
def test_replay_through_llamaindex(captured: Any) -> None:
    from llama_index.core.llms import ChatMessage

    from llamaindex_zzz import ZZZ

    dialect, path, _ = captured
    with GatewaySimulator(dialect, replay=path, api_keys=[KEY]) as replay:
        llm = ZZZ(model=MODEL, api_key=KEY, base_url=replay.base_url, gateway=PRESET[dialect], max_tokens=16,
                  max_retries=0)  # fmt: skip
        answer = llm.chat([ChatMessage(role="user", content="Reply with the single word OK.")])
        recorded = load_capture(path)["probes"][0]["body"]["choices"][0]["message"]["content"]
        assert answer.message.content == recorded


def test_an_unmatched_request_gets_a_clear_404(captured: Any) -> None:
    dialect, path, _ = captured
    with GatewaySimulator(dialect, replay=path) as replay:
        gw = gateway(replay, dialect)
        try:
            with pytest.raises(E.ZZZError) as info:
                gw.chat({"model": "some-model-not-captured", "messages": [{"role": "user", "content": "hi"}]})
        finally:
            gw.close()
    assert "no recorded probe matches" in str(info.value) and "some-model-not-captured" in str(info.value)


def test_the_simulator_command_replays_a_capture(captured: Any, capsys: pytest.CaptureFixture[str]) -> None:
    dialect, path, _ = captured
    proc = subprocess.Popen([sys.executable, "-m", "zzz_cli", "simulator", "--port", "0", "--dialect", dialect,
                             "--replay", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler))  # fmt: skip
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        capsys.readouterr()
        assert main(["--base-url", base_url, "--gateway", PRESET[dialect], "--api-key", KEY, "models", "--json"]) == 0
        models = [m["id"] for m in json.loads(capsys.readouterr().out)]
        recorded = next(p for p in load_capture(path)["probes"] if p["name"] == "models")["body"]["data"]
        assert models == [m["id"] for m in recorded if isinstance(m, dict)]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
