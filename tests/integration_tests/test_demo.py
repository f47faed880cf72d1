"""The README's demo (``examples/demo.py``), run as a new user runs it, in a subprocess.

Without a key it must run against its own simulator and show every step; with a key
it must run against whatever gateway the environment names (here: a simulator
standing in for the real one) and report the balance.  The subprocess may open
sockets to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zzz_testing import GatewaySimulator

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.py"

# Run the demo with every socket refused except loopback ones, so it cannot reach the internet.
LOOPBACK_ONLY = (
    "import runpy, sys; from pytest_socket import socket_allow_hosts; "
    "socket_allow_hosts(['127.0.0.1'], allow_unix_socket=True); "
    "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')"
)

SECTIONS = [
    "== 1. LangChain: a chain streaming tokens",
    "== 2. LangChain: with_structured_output into a pydantic model",
    "== 3. LangChain: a create_agent tool loop calling two tools",
    "== 4. LlamaIndex: RAG over examples/docs/ with ZZZEmbedding",
    "== 5. Reasoning: deepseek-reasoner's thinking apart from its answer",
    "== 6. A gateway error, caught as a typed exception",
    "== Balance",
]


def run_demo(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZZZ_")}
    clean.update(env, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-c", LOOPBACK_ONLY, str(DEMO)],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def in_order(text: str, parts: list[str]) -> None:
    pos = 0
    for part in parts:
        found = text.find(part, pos)
        assert found >= 0, f"{part!r} missing (or out of order) in:\n{text}"
        pos = found + len(part)


@pytest.fixture(scope="module")
def offline_run() -> subprocess.CompletedProcess[str]:
    return run_demo()


def test_without_a_key_it_says_so_first_and_runs_every_step(offline_run: subprocess.CompletedProcess[str]) -> None:
    out = offline_run.stdout
    assert offline_run.returncode == 0, out + offline_run.stderr
    assert out.splitlines()[0].startswith("Running against the embedded gateway simulator at http://127.0.0.1:")
    assert "no ZZZ_API_KEY is set" in out.splitlines()[0]
    in_order(out, SECTIONS)
    assert "Traceback" not in offline_run.stderr, offline_run.stderr


def test_each_step_shows_its_result(offline_run: subprocess.CompletedProcess[str]) -> None:
    out = offline_run.stdout
    in_order(out, [
        # 1. streamed, and the chunks were counted
        "A: One gateway key reaches", "chunks streamed)",
        # 2. a pydantic instance
        "parsed: TeaOrder(tea='Longjing', grams=250, ship_to='Hangzhou')",
        # 3. two tools called, their results, then the answer
        "model calls  get_weather(city='Hangzhou')", "model calls  get_local_time(city='Hangzhou')",
        "tool answers get_", "tool answers get_", "A: ",
        # 4. progress while embedding, retrieval, the rerank scores, a grounded answer and its source
        "embedding 5 chunks of 3 documents", "5/5 done in",
        "retrieved 4 chunks by embedding similarity:", "returns.md: # Returns and refunds",
        "reranked with bge-reranker-v2-m3, top 2 kept:", "returns.md: # Returns and refunds",
        "A: Unopened tins can be returned within 30 days of delivery", "source: examples/docs/returns.md (score 0.",
        # 5. thinking apart from the answer
        "[thinking] ", "\n[answer] ",
        # 6. the typed error with the gateway's message
        "caught InsufficientBalanceError: ", "余额不足", "code=1001", "retryable=False",
        "also an openai.PermissionDeniedError: True, a LangChain ModelPermissionDeniedError: True",
        # the balance, and the total time
        "remaining: 111.8658 CNY (simulated)", "Done in",
    ])  # fmt: skip
    # The agent runs both tools at once: their answers may come in either order.
    agent = out[out.index("== 3.") : out.index("== 4.")]
    answers = agent[agent.index("model calls  get_local_time") : agent.index("\nA: ")]
    assert "tool answers get_weather: sunny and 23 °C in Hangzhou" in answers, agent
    assert "tool answers get_local_time:" in answers, agent


def test_with_a_key_it_runs_against_that_gateway_and_reports_the_balance() -> None:
    with GatewaySimulator("newapi") as gateway:  # stands in for the real gateway
        gateway.balance = 42.5
        result = run_demo(
            ZZZ_API_KEY="sk-demo-live-key", ZZZ_BASE_URL=gateway.base_url, ZZZ_GATEWAY="4z",
            ZZZ_DEMO_CHAT_MODEL="deepseek-chat", ZZZ_DEMO_EMBED_MODEL="text-embedding-3-large",
        )  # fmt: skip
        models = {r.body.get("model") for r in gateway.requests if isinstance(r.body, dict)}
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.splitlines()[0] == f"Running against the real gateway {gateway.base_url} (ZZZ_API_KEY is set)."
    in_order(out, SECTIONS)
    assert "(deepseek-chat)" in out and "ZZZEmbedding (text-embedding-3-large)" in out
    assert {"deepseek-chat", "deepseek-reasoner", "text-embedding-3-large", "bge-reranker-v2-m3"} <= models
    assert "gpt-4o-mini" not in models  # the environment chose the models
    assert "injected only in the simulator" in out and "InsufficientBalanceError" not in out
    assert "remaining: 42.5000 USD\n" in out  # 4Z-API's billing routes, no "(simulated)"


def test_the_rerank_step_prints_scores_best_first(offline_run: subprocess.CompletedProcess[str]) -> None:
    step = offline_run.stdout.split("reranked with", 1)[1].split("\nA: ", 1)[0]
    scores = [float(line.split()[0]) for line in step.splitlines()[1:]]
    assert len(scores) == 2 and scores == sorted(scores, reverse=True) and 0 < scores[-1] < scores[0] <= 1


def test_a_gateway_without_rerank_is_said_and_the_answer_still_comes(tmp_path: Path) -> None:
    with GatewaySimulator("zhizengzeng") as gateway:  # 智增增: no /v1/rerank
        result = run_demo(ZZZ_API_KEY="sk-zk-demo-live-key", ZZZ_BASE_URL=gateway.base_url, ZZZ_GATEWAY="zhizengzeng")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    in_order(out, ["retrieved 4 chunks", "this gateway has no /v1/rerank", "A: Unopened tins can be returned"])
