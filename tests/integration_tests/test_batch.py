"""The Batch API client against the simulator over 127.0.0.1, through the real openai client:
submit -> wait -> fetch, each way a job can end, and a gateway without batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from zzz_core import Gateway
from zzz_core import errors as E
from zzz_core.bulk.batch import BatchJob
from zzz_testing import Fault, GatewaySimulator

KEY = "sk-test-batch-0123456789abcdef"
MODEL = "gpt-4o-mini"
QUESTIONS = ["What is 2+2?", "Name a colour.", "What is the capital of France?", "Say hi.", "Count to three."]
FAST = {"poll_interval": 0.001, "max_interval": 0.001}


def chat_line(i: int, content: Any = None) -> dict[str, Any]:
    messages = [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}] if content is None else content
    return {"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": messages}}


@pytest.fixture
def sim() -> Iterator[GatewaySimulator]:
    with GatewaySimulator() as s:
        yield s


@pytest.fixture
def gw(sim: GatewaySimulator) -> Gateway:
    return Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=2, mirrors=[])


def ticking(sim: GatewaySimulator, seconds: float = 1.0, seen: list[BatchJob] | None = None) -> Any:
    """A progress callback that moves simulated time on at each poll (no real waiting)."""

    def on_progress(job: BatchJob) -> None:
        if seen is not None:
            seen.append(job)
        sim.advance_batches(seconds)

    return on_progress


def live_answer(gw: Gateway, line: dict[str, Any]) -> str | None:
    """What the live chat route answers for the same body."""
    return gw.chat({"model": MODEL, **line["body"]}).choices[0].content


# ------------------------------------------------------------------ the whole flow
def test_submit_wait_fetch_maps_every_line_back_by_custom_id(sim: GatewaySimulator, gw: Gateway) -> None:
    lines = [chat_line(i) for i in range(6)]
    lines[2]["body"]["n"] = -1  # the gateway answers 400 for this line
    sim.inject(Fault.error("content_filter"), times=1, path="/chat/completions")  # the first line run
    job = gw.batches.submit(lines, model=MODEL)
    assert job.status == "validating" and job.endpoint == "/v1/chat/completions"

    seen: list[BatchJob] = []
    done = gw.batches.wait(job.id, on_progress=ticking(sim, 0.5, seen), **FAST)
    assert done.status == "completed" and (done.total, done.completed, done.failed) == (6, 4, 2)
    statuses = [j.status for j in seen]
    assert statuses[0] == "validating" and "in_progress" in statuses and statuses[-1] == "completed"
    assert any(0 < j.completed < 4 for j in seen)  # progress was visible on the way

    results = gw.batches.fetch(job.id)
    assert [r["custom_id"] for r in results.lines] == [f"q{i}" for i in range(6)]  # input order
    assert (results.succeeded, results.failed) == (4, 2)
    first, bad = results.lines[0], results.lines[2]
    assert first["response"]["status_code"] != 200
    assert first["error"]["class"] == "ContentFilterError" and first["error"]["retryable"] is False
    assert bad["error"]["class"] == "InvalidRequestError" and "n 必须是非负整数" in bad["error"]["msg"]
    assert bad["response"]["status_code"] == 400
    for i in (1, 3, 4, 5):
        r = results.lines[i]
        assert r["error"] is None and r["response"]["status_code"] == 200 and r["response"]["request_id"]
        content = r["response"]["body"]["choices"][0]["message"]["content"]
        assert content == live_answer(gw, lines[i])  # computed by the live route's own handler
    # files went up as multipart through the openai client; lines ran once each
    assert sim.batches.lines_run == 6


async def test_async_flow_with_shorthand_lines(sim: GatewaySimulator, gw: Gateway) -> None:
    lines = [{"custom_id": f"e{i}", "input": f"text {i}"} for i in range(3)]  # the bulk runner's shorthand
    job = await gw.batches.asubmit(lines, model="text-embedding-3-small")
    done = await gw.batches.await_batch(job.id, on_progress=ticking(sim, 5.0), **FAST)
    assert done.status == "completed" and done.completed == 3
    results = await gw.batches.afetch(job.id)
    assert [r["custom_id"] for r in results.lines] == ["e0", "e1", "e2"]
    vectors = [r["response"]["body"]["data"][0]["embedding"] for r in results.lines]
    assert len({json.dumps(v) for v in vectors}) == 3
    assert [j.id for j in await gw.batches.alist()][0] == job.id
    await gw.aclose()


def test_a_line_answered_with_an_http_200_error_envelope_is_an_error(sim: GatewaySimulator, gw: Gateway) -> None:
    # 智增增 reports 余额不足 with HTTP 200: the line lands in the output file, yet it failed.
    sim.inject(Fault.error("balance", shape="envelope_200"), times=1, path="/chat/completions")
    job = gw.batches.submit([chat_line(0), chat_line(1)], model=MODEL)
    gw.batches.wait(job.id, on_progress=ticking(sim, 2.0), **FAST)
    first, second = gw.batches.fetch(job.id).lines
    assert first["response"]["status_code"] == 200
    assert first["error"]["class"] == "InsufficientBalanceError" and first["error"]["retryable"] is False
    assert second["error"] is None


# --------------------------------------------------------------- batch-level failures
def test_validation_failure_is_typed_with_the_gateways_line_errors(sim: GatewaySimulator, gw: Gateway) -> None:
    rows = [chat_line(0), chat_line(0), {**chat_line(1), "url": "/v1/embeddings"}]
    for row in rows:
        row["body"]["model"] = MODEL
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    file_id = gw.batches.upload(data, filename="dup.jsonl")  # upload + create: past submit's own checks
    job = gw.batches.create(file_id, "/v1/chat/completions")
    with pytest.raises(E.BatchValidationError) as info:
        gw.batches.wait(job.id, on_progress=ticking(sim), **FAST)
    exc = info.value
    assert isinstance(exc, E.BatchJobError) and isinstance(exc, openai.APIError) and exc.retryable is False
    assert exc.status == "failed" and exc.batch_id == job.id
    assert [(e["line"], e["code"]) for e in exc.errors] == [(2, "duplicate_custom_id"), (3, "mismatched_endpoint")]
    assert "line 2:" in str(exc) and "duplicate_custom_id" in str(exc)
    with pytest.raises(E.BatchValidationError):
        gw.batches.fetch(job.id)
    assert sim.batches.lines_run == 0


def test_expiry_keeps_the_finished_lines_and_types_the_rest(sim: GatewaySimulator, gw: Gateway) -> None:
    sim.batches.timing.per_line = 10 * 3600  # 3 lines would take 30 h: the 24 h window ends first
    job = gw.batches.submit([chat_line(i) for i in range(4)], model=MODEL)
    with pytest.raises(E.BatchExpiredError) as info:
        gw.batches.wait(job.id, on_progress=ticking(sim, 6 * 3600), **FAST)
    assert info.value.job.status == "expired" and "2 of 4 lines were answered" in str(info.value)
    assert "zzz batch fetch" in str(info.value)
    results = gw.batches.fetch(job.id)
    done = [r for r in results.lines if r["error"] is None]
    cut = [r for r in results.lines if r["error"] is not None]
    assert [r["custom_id"] for r in results.lines] == ["q0", "q1", "q2", "q3"]
    assert len(done) == 2 and [r["custom_id"] for r in done] == ["q0", "q1"]
    assert {(r["error"]["class"], r["error"]["code"], r["error"]["retryable"]) for r in cut} == {
        ("BatchExpiredError", "batch_expired", True)
    }


def test_cancel_keeps_what_finished(sim: GatewaySimulator, gw: Gateway) -> None:
    sim.batches.timing.per_line = 10.0
    job = gw.batches.submit([chat_line(i) for i in range(5)], model=MODEL)
    sim.advance_batches(1.0 + 25.0)  # validated, then two lines answered
    cancelling = gw.batches.cancel(job.id)
    assert cancelling.status == "cancelling" and cancelling.completed == 2
    with pytest.raises(E.BatchCancelledError):
        gw.batches.wait(job.id, on_progress=ticking(sim), **FAST)
    results = gw.batches.fetch(job.id)
    assert [r["error"] and r["error"]["code"] for r in results.lines] == [None, None] + ["batch_cancelled"] * 3
    assert results.lines[4]["error"]["class"] == "BatchCancelledError"
    with pytest.raises(E.InvalidRequestError, match="Cannot cancel"):
        gw.batches.cancel(job.id)


def test_fetch_before_the_end_and_a_wait_timeout_are_pending_errors(sim: GatewaySimulator, gw: Gateway) -> None:
    job = gw.batches.submit([chat_line(0)], model=MODEL)
    with pytest.raises(E.BatchPendingError, match="has not finished"):
        gw.batches.fetch(job.id)
    with pytest.raises(E.BatchPendingError, match="timeout"):
        gw.batches.wait(job.id, timeout=0.05, poll_interval=0.01)


def test_an_unknown_batch_id_is_not_mistaken_for_a_missing_api(gw: Gateway) -> None:
    with pytest.raises(E.InvalidRequestError) as info:
        gw.batches.retrieve("batch_nope")
    assert not isinstance(info.value, E.BatchAPIUnsupportedError) and info.value.status_code == 404


# ------------------------------------------------------------ a gateway without batches
def test_newapi_has_no_batch_api_and_the_error_names_zzz_bulk() -> None:
    with GatewaySimulator("newapi") as sim:
        gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, gateway="4z", mirrors=[])
        with pytest.raises(E.BatchAPIUnsupportedError) as info:
            gw.batches.submit([chat_line(0)], model=MODEL)
        exc = info.value
        assert exc.status_code == 501 and exc.code == "api_not_implemented" and exc.retryable is False
        assert isinstance(exc, openai.NotFoundError) and "zzz bulk" in str(exc)
        assert sim.count("/v1/files") == 1 and sim.count("/v1/batches") == 0  # asked once, not retried
        for call in (lambda: gw.batches.retrieve("batch_x"), gw.batches.list, lambda: gw.batches.cancel("b")):
            with pytest.raises(E.BatchAPIUnsupportedError) as info:
                call()
            assert info.value.status_code == 404 and "zzz bulk" in str(info.value)
            assert "base_url is probably wrong" not in str(info.value)


# ---------------------------------------------------------------- retries, and not twice
def test_upload_is_retried_but_create_is_sent_once_after_a_5xx(
    sim: GatewaySimulator, gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("zzz_core.retry.backoff_delay", lambda n, retry_after=None: 0.0)
    sim.inject(Fault.error("server_error"), times=1, path="/v1/files")
    file_id = gw.batches.upload(json.dumps({**chat_line(0), "body": {"model": MODEL, "messages": []}}).encode())
    assert sim.count("/v1/files") == 2  # one failure, one retry: the one loop
    sim.inject(Fault.error("server_error"), times=None, path="/v1/batches")
    with pytest.raises(E.GatewayServerError) as info:
        gw.batches.create(file_id, "/v1/chat/completions")
    assert sim.count("/v1/batches") == 1 and info.value.attempts == 1
    assert "may have been created" in str(info.value) and "zzz batch list" in str(info.value)
    sim.clear_faults()
    sim.inject(Fault.rate_limit(retry_after=0), times=1, path="/v1/batches")  # refused: safe to send again
    assert gw.batches.create(file_id, "/v1/chat/completions").status == "validating"
    assert sim.count("/v1/batches") == 3


def test_submit_rejects_bad_input_before_sending(sim: GatewaySimulator, gw: Gateway, tmp_path: Any) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(chat_line(0)) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(E.InvalidInputError, match="in.jsonl:line 2: not valid JSON"):
        gw.batches.submit(str(path), model=MODEL)
    with pytest.raises(E.InvalidInputError, match="line 2: custom_id 'q0' was already used on line 1"):
        gw.batches.submit([chat_line(0), chat_line(0)], model=MODEL)
    mixed = [chat_line(0), {"custom_id": "e1", "input": "a text to embed"}]
    with pytest.raises(E.InvalidInputError, match="one batch serves one endpoint"):
        gw.batches.submit(mixed, model=MODEL)
    with pytest.raises(E.InvalidInputError, match="embeddings"):
        gw.batches.submit([chat_line(0)], model=MODEL, endpoint="/v1/embeddings")
    assert sim.count() == 0
