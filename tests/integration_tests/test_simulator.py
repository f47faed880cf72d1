"""The simulator over real sockets on 127.0.0.1, with httpx2 and the official openai client."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from zzz_core import _compat
from zzz_testing import Fault, GatewaySimulator, cosine

KEY = "sk-test-abcdefghijklmnopqrstuvwx9876"
AUTH = {"Authorization": f"Bearer {KEY}"}
MSG = [{"role": "user", "content": "hello there"}]
ROOT = Path(__file__).resolve().parents[2]


def client(sim: GatewaySimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.base_url, api_key=KEY, max_retries=0, timeout=10)


def http(sim: GatewaySimulator, **kw: Any) -> httpx2.Client:
    return httpx2.Client(base_url=sim.base_url, headers=AUTH, timeout=kw.pop("timeout", 10), **kw)


def raw_exchange(port: int, payload: bytes, until: Callable[[bytes], bool]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        data = b""
        while not until(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


# ------------------------------------------------------------ openai client
@pytest.mark.parametrize("zzz_simulator", ["zhizengzeng", "newapi"], indirect=True)
def test_openai_chat(zzz_simulator: GatewaySimulator) -> None:
    sim = zzz_simulator
    system = {"role": "system", "content": "Oslo is the capital of Norway. Lima is the capital of Peru."}
    out = client(sim).chat.completions.create(
        model="gpt-4o-mini", messages=[system, {"role": "user", "content": "What is the capital of Peru?"}]
    )
    assert out.choices[0].message.content == "Lima is the capital of Peru."
    assert out.usage is not None and out.usage.total_tokens > 0
    assert (getattr(out, "code", None) == 0) is (sim.dialect == "zhizengzeng")
    assert sim.count("/chat/completions") == 1


def test_openai_stream_with_reasoning_and_usage(zzz_simulator: GatewaySimulator) -> None:
    stream = client(zzz_simulator).chat.completions.create(
        model="deepseek-reasoner", messages=MSG, stream=True, stream_options={"include_usage": True}
    )
    content, reasoning, finish, usage = "", "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            content += choice.delta.content or ""
            reasoning += getattr(choice.delta, "reasoning_content", None) or ""
            finish = choice.finish_reason or finish
    assert content == "This is a simulated answer to: hello there"
    assert reasoning == "Let me think step by step about: hello there"
    assert finish == "stop" and usage is not None and usage.completion_tokens_details.reasoning_tokens > 0


def test_openai_tool_calls_and_stream_tool_calls(zzz_simulator: GatewaySimulator) -> None:
    tools = [{"type": "function", "function": {"name": "add", "parameters": {
        "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}]
    messages = [{"role": "user", "content": "use add to sum 2 and 40"}]
    c = client(zzz_simulator)
    out = c.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)  # type: ignore[arg-type]
    (call,) = out.choices[0].message.tool_calls or []
    assert out.choices[0].finish_reason == "tool_calls" and json.loads(call.function.arguments) == {"a": 2, "b": 40}
    args: dict[int, str] = {}
    stream = c.chat.completions.create(model="gpt-4o", messages=messages, tools=tools, stream=True)  # type: ignore[arg-type]
    for chunk in stream:
        for tc in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            args[tc.index] = args.get(tc.index, "") + (tc.function.arguments or "")
    assert json.loads(args[0]) == {"a": 2, "b": 40}
    followup = messages + [out.choices[0].message.model_dump(exclude_none=True),
                           {"role": "tool", "tool_call_id": call.id, "content": "42"}]  # fmt: skip
    final = c.chat.completions.create(model="gpt-4o", messages=followup, tools=tools)  # type: ignore[arg-type]
    assert final.choices[0].message.content == "The result of add is 42."


def test_openai_json_schema_embeddings_models(zzz_simulator: GatewaySimulator) -> None:
    c = client(zzz_simulator)
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["city", "population"], "additionalProperties": False}  # fmt: skip
    out = c.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Tokyo has 14000000 people"}],
        response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema, "strict": True}},
    )  # fmt: skip
    assert json.loads(out.choices[0].message.content or "") == {"city": "Tokyo", "population": 14000000}
    emb = c.embeddings.create(model="text-embedding-3-small", input=["red apple pie", "apple pie recipe", "tax law"])
    vecs = [d.embedding for d in sorted(emb.data, key=lambda d: d.index)]
    assert len(vecs[0]) == 1536 and cosine(vecs[0], vecs[1]) > cosine(vecs[0], vecs[2])
    b64 = c.embeddings.create(model="text-embedding-3-small", input="red apple pie")  # openai asks for base64
    assert b64.data[0].embedding == pytest.approx(vecs[0], abs=1e-6)
    ids = [m.id for m in c.models.list()]
    assert "deepseek-reasoner" in ids and "text-embedding-3-large" in ids
    assert c.models.retrieve("gpt-4o").id == "gpt-4o"


def test_openai_with_zzz_quirks_and_streamed_completion_logprobs(
    zzz_simulator_factory: Callable[..., GatewaySimulator],
) -> None:
    c = client(zzz_simulator_factory("zhizengzeng", zzz_quirks=True))
    out = c.chat.completions.create(model="gpt-4o-mini", messages=MSG)
    assert out.id == "" and out.model is None and out.choices[0].message.content  # as 智增增 sent for SparkDesk
    assert getattr(out, "code", None) == 0 and getattr(out, "msg", None) == "ok"
    chunks = list(c.completions.create(model="gpt-3.5-turbo-instruct", prompt="hello", stream=True, logprobs=1))
    texts = [ch for ch in chunks if ch.choices and ch.choices[0].text]
    assert texts and all(ch.id == "" and ch.model is None for ch in chunks)
    for ch in texts:
        lp = ch.choices[0].logprobs
        assert lp is not None and "".join(lp.tokens or []) == ch.choices[0].text


def test_openai_sees_errors(zzz_simulator_factory: Callable[..., GatewaySimulator]) -> None:
    sim = zzz_simulator_factory("newapi")
    c = client(sim)
    sim.inject(Fault.error("rate_limit"))
    with pytest.raises(openai.RateLimitError, match="请求数限制"):
        c.chat.completions.create(model="gpt-4o", messages=MSG)
    sim.inject(Fault.error("model_not_found"))
    with pytest.raises(openai.InternalServerError) as exc:
        c.chat.completions.create(model="gpt-9", messages=MSG)
    assert exc.value.status_code == 503 and "gpt-9" in str(exc.value)
    sim.inject(Fault.sse_error("server_error", after_chunks=1, style="data_error_object"))
    with pytest.raises(openai.APIError):
        for _ in c.chat.completions.create(model="gpt-4o", messages=MSG, stream=True):
            pass
    bad = openai.OpenAI(base_url=sim.base_url, api_key="sk-proj-xyz", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="无效的令牌"):
        bad.models.list()


# ---------------------------------------------------------- faults on the wire
def test_error_statuses_html_and_retry_after(zzz_simulator: GatewaySimulator) -> None:
    sim = zzz_simulator
    with http(sim) as h:
        sim.inject(Fault.error("balance", shape="envelope_200"))
        r = h.post("/chat/completions", json={"model": "gpt-4o", "messages": MSG})
        assert r.status_code == 200 and r.json() == {"code": 1001, "msg": "余额不足，请充值后再试"}
        sim.inject(Fault.error("balance"))
        r = h.post("/chat/completions", json={"model": "gpt-4o", "messages": MSG})
        assert r.status_code == 402 and r.json()["code"] == 1001
        sim.inject(Fault.rate_limit(retry_after=3))
        r = h.get("/models")
        assert r.status_code == 429 and r.headers["retry-after"] == "3"
        r = h.get("/models", headers={"X-ZZZ-Fault": "html:502"})
        assert r.status_code == 502 and r.headers["content-type"] == "text/html" and "nginx" in r.text
        r = h.get("/models", headers={"X-ZZZ-Fault": "empty_body:502"})
        assert r.status_code == 502 and r.content == b"" and r.headers["content-length"] == "0"
        assert h.get("/models").status_code == 200


def test_mid_stream_drop_is_a_read_error(zzz_simulator: GatewaySimulator) -> None:
    sim = zzz_simulator
    sim.inject(Fault.mid_stream_drop(after_chunks=3))
    got = b""
    with http(sim) as h:
        with h.stream("POST", "/chat/completions", json={"model": "gpt-4o", "messages": MSG, "stream": True}) as r:
            assert r.headers["transfer-encoding"] == "chunked"
            with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
                for piece in r.iter_raw():
                    got += piece
        assert got.count(b"data: ") == 4 and b"[DONE]" not in got
        assert h.get("/models").status_code == 200  # the client recovers on a new connection
    # openai 3.x wraps the broken read; 2.x lets httpx's own error through
    with pytest.raises((openai.APIConnectionError, _compat.TransportError)):
        sim.inject(Fault.mid_stream_drop(1))
        for _ in client(sim).chat.completions.create(model="gpt-4o", messages=MSG, stream=True):
            pass


def test_no_done_connection_reset_and_slow_first_byte(zzz_simulator: GatewaySimulator) -> None:
    sim = zzz_simulator
    with http(sim) as h:
        sim.inject(Fault.no_done(2))
        r = h.post("/chat/completions", json={"model": "gpt-4o", "messages": MSG, "stream": True})
        assert r.status_code == 200 and r.text.count("data: ") == 3
        assert "[DONE]" not in r.text and '"finish_reason":"stop"' not in r.text
        sim.inject(Fault.connection_reset())
        with pytest.raises((httpx2.ReadError, httpx2.RemoteProtocolError)):
            h.get("/models")
        sim.inject(Fault.json_error_to_stream("auth"))
        r = h.post("/chat/completions", json={"model": "gpt-4o", "messages": MSG, "stream": True})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    with http(sim, timeout=httpx2.Timeout(5, read=0.2)) as h:
        sim.inject(Fault.slow_first_byte(1.0))
        start = time.monotonic()
        with pytest.raises(httpx2.ReadTimeout):
            h.get("/models")
        assert time.monotonic() - start < 0.9
        sim.inject(Fault.slow_first_byte(0.3))
    with http(sim) as h:
        start = time.monotonic()
        assert h.get("/models").status_code == 200 and time.monotonic() - start >= 0.3


def test_set_down_refuses_then_returns_on_same_port(zzz_simulator_factory: Callable[..., GatewaySimulator]) -> None:
    primary, mirror = zzz_simulator_factory("newapi"), zzz_simulator_factory("newapi")
    port = primary.port
    with http(primary) as h:
        assert h.get("/models").status_code == 200  # leaves a keep-alive connection in the pool
        primary.set_down(True)
        assert primary.is_down
        with pytest.raises(httpx2.ConnectError):
            h.get("/models")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        with http(mirror) as m:
            assert m.get("/models").status_code == 200
        primary.set_down(False)
        assert primary.port == port and h.get("/models").status_code == 200
    assert primary.count("/models") == 2 and mirror.count("/models") == 1


# ------------------------------------------------------------- server basics
def test_keep_alive_framing_and_chunked_sse(zzz_simulator: GatewaySimulator) -> None:
    port = zzz_simulator.port
    get = f"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode()
    data = raw_exchange(port, get + get, lambda d: d.count(b"HTTP/1.1 200") == 2 and d.endswith(b"}"))
    assert data.count(b"HTTP/1.1 200 OK") == 2 and b"Content-Length: " in data and b"Connection: keep-alive" in data
    body = json.dumps({"model": "gpt-4o", "messages": MSG, "stream": True}).encode()
    post = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body  # fmt: skip
    data = raw_exchange(port, post, lambda d: d.endswith(b"0\r\n\r\n"))
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Type: text/event-stream" in head
    assert rest.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")


def test_200_concurrent_requests(zzz_simulator: GatewaySimulator) -> None:
    sim = zzz_simulator

    async def run() -> list[int]:
        limits = httpx2.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx2.AsyncClient(base_url=sim.base_url, headers=AUTH, limits=limits, timeout=20) as h:
            async def one(i: int) -> int:
                if i % 2:
                    r = await h.post("/chat/completions", json={"model": "m", "messages": MSG, "stream": True})
                    assert r.text.endswith("data: [DONE]\n\n")
                    return r.status_code
                return (await h.post("/embeddings", json={"model": "m", "input": f"text {i}"})).status_code

            return await asyncio.gather(*(one(i) for i in range(200)))

    assert asyncio.run(run()) == [200] * 200
    assert sim.count() == 200 and len(sim.requests) == 200


def test_requests_are_recorded_redacted(zzz_simulator: GatewaySimulator) -> None:
    c = client(zzz_simulator)
    c.chat.completions.create(model="gpt-4o", messages=MSG, user="u-1")
    (rec,) = zzz_simulator.requests
    assert rec.method == "POST" and rec.path == "/v1/chat/completions" and rec.body["user"] == "u-1"
    assert rec.headers["authorization"] == "Bearer sk-…9876"
    assert KEY not in repr(zzz_simulator.requests) and rec.time <= time.time()


def test_balance_routes(zzz_simulator_factory: Callable[..., GatewaySimulator]) -> None:
    zz, na = zzz_simulator_factory("zhizengzeng"), zzz_simulator_factory("newapi")
    zz.balance = 42.5
    with httpx2.Client(headers=AUTH) as h:
        r = h.post(zz.base_url + "/dashboard/billing/credit_grants")
        assert r.json()["grants"]["available_amount"] == "42.5000" and r.json()["code"] == 0
        na.balance, na.used = 7.0, 3.0
        assert h.get(na.url + "/dashboard/billing/subscription").json()["hard_limit_usd"] == 10.0
        assert h.get(na.base_url + "/dashboard/billing/usage").json()["total_usage"] == 300.0
        na.inject(Fault.error("auth"))
        r = h.get(na.base_url + "/dashboard/billing/subscription")
        assert r.status_code == 200 and "error" in r.json()


def test_api_keys_and_personal_keys(zzz_simulator_factory: Callable[..., GatewaySimulator]) -> None:
    sim = zzz_simulator_factory("zhizengzeng", api_keys=["sk-allowed"])
    with httpx2.Client(base_url=sim.base_url) as h:
        assert h.get("/models", headers={"Authorization": "Bearer sk-allowed"}).status_code == 200
        r = h.get("/models", headers={"Authorization": "Bearer sk-other"})
        assert r.status_code == 401 and r.json()["code"] == 1002
        assert h.get("/models").status_code == 401
    open_sim = zzz_simulator_factory("zhizengzeng")
    with httpx2.Client(base_url=open_sim.base_url) as h:
        r = h.get("/models", headers={"Authorization": "Bearer zp-personal"})
        assert r.status_code == 403 and "个人版" in r.json()["msg"]


def test_cli_prints_base_url_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "zzz_testing", "--port", "0", "--dialect", "newapi"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:") and line.endswith("/v1")
        r = httpx2.get(line + "/models", headers=AUTH, timeout=5)
        assert r.status_code == 200 and "supported_endpoint_types" in r.json()["data"][0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_start_stop_idempotent_and_port_released() -> None:
    sim = GatewaySimulator().start()
    port = sim.port
    assert sim.start() is sim and sim.url == f"http://127.0.0.1:{port}"
    sim.stop()
    sim.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with GatewaySimulator(port=port) as again:
        assert again.port == port
