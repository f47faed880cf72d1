"""The bulk runner against the simulator, through the real openai client."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from bulk_kit import KEY, answered, recorded, sent, write_input

from zzz_core.bulk import BulkInputError, arun_bulk, load_index, run_bulk
from zzz_testing import Fault


def test_runs_every_item_and_resumes_without_resending(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 40), tmp_path / "out.jsonl"
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings)
    assert report.complete and report.exit_status == 0 and report.succeeded == 40
    lines = recorded(out)
    assert sorted(r["custom_id"] for r in lines) == sorted(f"q{i}" for i in range(40))
    first = lines[0]
    assert first["error"] is None and first["response"]["status_code"] == 200
    assert first["response"]["body"]["choices"][0]["message"]["content"]
    assert report.tokens == sum(r["response"]["body"]["usage"]["total_tokens"] for r in lines)
    # Drop 10 lines as if the run had stopped there: only those 10 are sent again.
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines[:30]), encoding="utf-8")
    zzz_simulator.clear_requests()
    again = run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings)
    assert again.already_done == 30 and again.succeeded == 10 and again.complete
    assert set(sent(zzz_simulator)) == {r["custom_id"] for r in lines[30:]}
    zzz_simulator.clear_requests()
    assert run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings).succeeded == 0
    assert zzz_simulator.count() == 0


@pytest.mark.parametrize("kind", ["completions", "embeddings"])
def test_completions_and_embeddings(tmp_path, zzz_simulator, settings, kind):
    model = "gpt-3.5-turbo-instruct" if kind == "completions" else "text-embedding-3-small"
    src, out = write_input(tmp_path / "in.jsonl", 12, kind=kind), tmp_path / "out.jsonl"
    report = run_bulk(src, out, kind=kind, model=model, **settings)
    assert report.complete and report.succeeded == 12
    body = recorded(out)[0]["response"]["body"]
    assert ("data" if kind == "embeddings" else "choices") in body


def test_torn_last_line_is_resent_and_the_file_parses(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 10), tmp_path / "out.jsonl"
    run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings)
    lines = out.read_bytes().splitlines(keepends=True)
    torn_id = json.loads(lines[-1])["custom_id"]
    out.write_bytes(b"".join(lines[:-1]) + lines[-1][:25])  # killed mid-write
    assert load_index(out).torn
    zzz_simulator.clear_requests()
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings)
    assert report.succeeded == 1 and set(sent(zzz_simulator)) == {torn_id}
    assert Counter(r["custom_id"] for r in recorded(out)) == Counter({f"q{i}": 1 for i in range(10)})


def test_per_item_errors_are_recorded_and_the_job_goes_on(tmp_path, zzz_simulator, settings):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_input(src, 20)
    with open(src, "a") as fh:  # four items for a model whose every call is refused
        for i in range(20, 24):
            fh.write(json.dumps({"custom_id": f"q{i}", "messages": [{"role": "user", "content": f"item {i}"}],
                                 "model": "gpt-4o"}) + "\n")  # fmt: skip
    zzz_simulator.inject(Fault.error("context_length"), times=None, model="gpt-4o")
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings)
    assert report.complete and report.exit_status == 0
    assert (report.succeeded, report.failed) == (20, 4)
    errors = {r["custom_id"]: r["error"] for r in recorded(out) if r["error"]}
    assert set(errors) == {"q20", "q21", "q22", "q23"}
    err = errors["q20"]
    assert err["class"] == "ContextLengthExceededError" and err["code"] == 1007
    assert err["msg"] == "上下文长度超过模型最大限制" and err["retryable"] is False and err["status_code"] == 400
    assert "上下文长度" in err["message"]
    # A rerun skips the recorded failures; --retry-failed sends them again and replaces their lines.
    zzz_simulator.clear_requests()
    assert run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings).succeeded == 0
    assert zzz_simulator.count() == 0
    zzz_simulator.clear_faults()
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", retry_failed=True, **settings)
    assert (report.succeeded, report.failed, report.already_done) == (4, 0, 20)
    assert set(sent(zzz_simulator)) == {"q20", "q21", "q22", "q23"}
    lines = recorded(out)
    assert len(lines) == 24 and all(r["error"] is None for r in lines)


@pytest.mark.parametrize("zzz_simulator", ["zhizengzeng", "newapi"], indirect=True)
def test_balance_stop_then_top_up_answers_each_item_once(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 60), tmp_path / "out.jsonl"
    zzz_simulator.set_credits(25)
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", concurrency=8, max_concurrency=8, **settings)
    assert report.stopped == "account" and report.exit_status == 3
    assert type(report.stop_error).__name__ == "InsufficientBalanceError"
    assert report.recorded == 25 == len(recorded(out))
    assert "25 of 60 done; top up and run the same command again to resume" in report.summary()
    # No new request after the stop: at most the ones already in flight met the empty balance.
    refused = sum(1 for r in zzz_simulator.requests if r.ok is None)
    assert refused <= 8
    zzz_simulator.top_up(None)
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", **settings)
    assert report.complete and report.exit_status == 0 and report.already_done == 25
    assert answered(zzz_simulator) == Counter({f"q{i}": 1 for i in range(60)})
    assert sorted(r["custom_id"] for r in recorded(out)) == sorted(f"q{i}" for i in range(60))


def test_rejected_key_stops_the_job(tmp_path, zzz_simulator_factory):
    sim = zzz_simulator_factory(api_keys=["sk-the-right-key-0123456789"])
    src, out = write_input(tmp_path / "in.jsonl", 30), tmp_path / "out.jsonl"
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url,
                      concurrency=4, progress=False)  # fmt: skip
    assert report.stopped == "account" and report.exit_status == 3 and report.recorded == 0
    assert type(report.stop_error).__name__ == "AuthenticationError"
    assert sim.count("/chat/completions") <= 4
    assert not out.exists() or out.read_text() == ""


def test_malformed_input_sends_nothing(tmp_path, zzz_simulator, settings):
    src = write_input(tmp_path / "in.jsonl", 5)
    with open(src, "a") as fh:
        fh.write('{"messages": "not a list"}\n')
    with pytest.raises(BulkInputError, match="line 6: messages must be a non-empty list"):
        run_bulk(src, tmp_path / "out.jsonl", kind="chat", model="gpt-4o-mini", **settings)
    assert zzz_simulator.count() == 0


async def test_async_api_with_an_iterable_and_a_generator(tmp_path, zzz_simulator, settings):
    items = [{"custom_id": f"q{i}", "input": f"item {i}"} for i in range(15)]
    report = await arun_bulk(items, tmp_path / "a.jsonl", kind="embed", model="text-embedding-3-small", **settings)
    assert report.succeeded == 15
    gen = ({"input": f"item {i}"} for i in range(7))
    report = await arun_bulk(gen, tmp_path / "b.jsonl", model="text-embedding-3-small", **settings)
    assert report.succeeded == 7 and report.complete


def test_adaptive_concurrency_backs_off_from_a_saturated_gateway(tmp_path, zzz_simulator_factory):
    sim = zzz_simulator_factory(latency=0.02)
    sim.set_max_in_flight(6, retry_after=0.05)
    src, out = write_input(tmp_path / "in.jsonl", 300), tmp_path / "out.jsonl"
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url,
                      concurrency=32, max_concurrency=64, progress=False)  # fmt: skip
    # However often an item is throttled, it waits its turn (rate limits are retried for
    # rate_limit_patience seconds, not max_retries times): no item fails while the job runs.
    assert report.complete and report.failed == 0, report.summary()
    assert sim.limits.saturated > 0  # it did meet the cap...
    assert report.limit < 16  # ...and learned from it (started at 32)
    # A throttled request gives its slot back while it waits, so retries never run above the
    # limit: the gateway never sees more than the starting concurrency at once.
    assert sim.limits.peak_in_flight <= 32


def test_a_throttled_item_is_not_failed_by_the_retry_count(tmp_path, zzz_simulator_factory):
    sim = zzz_simulator_factory(latency=0.1)
    sim.set_max_in_flight(1, retry_after=0.01)
    src, out = write_input(tmp_path / "in.jsonl", 30), tmp_path / "out.jsonl"
    common = dict(kind="chat", model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url, concurrency=8,
                  max_concurrency=8, progress=False, max_retries=0)  # fmt: skip
    report = run_bulk(src, out, **common)
    assert report.complete and report.failed == 0, report.summary()
    assert sim.limits.saturated > 0  # with max_retries=0, each of these would have failed its item
    assert answered(sim) == Counter({f"q{i}": 1 for i in range(30)})
    # Without the patience, a rate limit counts against max_retries like any other failure.
    out2 = tmp_path / "out2.jsonl"
    report = run_bulk(src, out2, rate_limit_patience=None, **common)
    assert report.complete and report.failed > 0 and report.retryable_failed == report.failed


def test_max_cost_stops_like_an_empty_balance_and_resumes_with_more(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 40), tmp_path / "out.jsonl"
    first = run_bulk(src, out, kind="chat", model="gpt-4o-mini", concurrency=2, max_concurrency=2, **settings)
    per_item = first.cost / 40  # gpt-4o-mini at its list price, from the usage the simulator reports
    assert first.currency == "USD" and per_item > 0
    out.unlink()
    zzz_simulator.clear_requests()
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", concurrency=2, max_concurrency=2,
                      max_cost=per_item * 10, **settings)  # fmt: skip
    assert report.stopped == "budget" and report.exit_status == 3
    assert type(report.stop_error).__name__ == "BudgetExceededError"
    # No call starts once the budget is spent; the two in flight then still count.
    assert 10 <= report.recorded <= 12 and zzz_simulator.count() == report.recorded
    assert "raise --max-cost and run the same command again to resume" in report.summary()
    report = run_bulk(src, out, kind="chat", model="gpt-4o-mini", max_cost=1.0, **settings)
    assert report.complete and report.exit_status == 0
    assert answered(zzz_simulator) == Counter({f"q{i}": 1 for i in range(40)})


def test_one_text_embedding_items_are_packed_and_recorded_each(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 600, kind="embeddings"), tmp_path / "out.jsonl"
    report = run_bulk(src, out, kind="embed", model="text-embedding-3-small", **settings)
    assert report.complete and report.succeeded == 600
    assert zzz_simulator.count("/embeddings") == 3  # 256 + 256 + 88
    lines = {r["custom_id"]: r for r in recorded(out)}
    from zzz_core import Gateway, ZZZConfig, build_embedding_request

    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=zzz_simulator.base_url))
    alone = gw.embed(build_embedding_request("text-embedding-3-small", ["item 7"])).vectors[0]
    body = lines["q7"]["response"]["body"]
    assert len(body["data"]) == 1 and body["data"][0]["index"] == 0
    assert body["data"][0]["embedding"] == pytest.approx(alone)
    assert sum(r["response"]["body"]["usage"]["total_tokens"] for r in lines.values()) == report.tokens


def test_a_refused_pack_is_sent_again_one_text_at_a_time(tmp_path, zzz_simulator, settings):
    src, out = write_input(tmp_path / "in.jsonl", 10, kind="embeddings"), tmp_path / "out.jsonl"
    zzz_simulator.inject(Fault.error("invalid_request"), times=1, path="/embeddings")
    report = run_bulk(src, out, kind="embed", model="text-embedding-3-small", **settings)
    assert report.complete and report.succeeded == 10 and report.failed == 0
    assert zzz_simulator.count("/embeddings") == 1 + 10
