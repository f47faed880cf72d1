"""The Batch API's pure parts: the poll schedule, mapping results back, the missing-route rule,
the not-repeatable create, file-content decoding, and the simulated jobs (no sockets)."""

from __future__ import annotations

import itertools
import json
import pickle
from typing import Any

import openai
import pytest

from zzz_core import error_map
from zzz_core import errors as E
from zzz_core.bulk.batch import BatchJob, merge_results, poll_delays, prepare_input
from zzz_core.error_map import ErrorContext
from zzz_core.response_bodies import decode_content
from zzz_core.retry import Attempts, HostHealth
from zzz_testing import Fault
from zzz_testing.handlers import SimConfig, SimRequest, handle

CTX = ErrorContext(host="gw", url="https://gw/v1/chat/completions")


def jsonl(*rows: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def ok_line(cid: str) -> dict[str, Any]:
    body = {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": cid}}]}
    response = {"status_code": 200, "request_id": "r", "body": body}
    return {"id": f"batch_req_{cid}", "custom_id": cid, "response": response, "error": None}


# --------------------------------------------------------------------- poll schedule
def test_poll_delays_grow_by_half_up_to_the_maximum() -> None:
    assert list(itertools.islice(poll_delays(2.0, 5.0), 5)) == [2.0, 3.0, 4.5, 5.0, 5.0]


# ------------------------------------------------------------------ results mapping
def test_merge_results_keeps_input_order_and_records_every_line() -> None:
    inputs = jsonl(*({"custom_id": c, "method": "POST", "url": "/v1/chat/completions", "body": {}} for c in "abcde"))
    outputs = jsonl(ok_line("c"), ok_line("a"), ok_line("zz"))  # out of order; zz is not an input line
    envelope = {**ok_line("b"), "response": {"status_code": 200, "request_id": None,
                                            "body": {"code": 1001, "msg": "余额不足，请充值后再试"}}}  # fmt: skip
    errors = jsonl(envelope, {"id": "x", "custom_id": "d", "response": None,
                              "error": {"code": "batch_expired", "message": "window over"}}) + b"{torn"  # fmt: skip
    lines = merge_results(inputs, outputs, errors, ctx=CTX)
    assert [r["custom_id"] for r in lines] == ["a", "b", "c", "d", "e", "zz"]
    by = {r["custom_id"]: r for r in lines}
    assert by["a"]["error"] is None and by["a"]["id"] == "batch_req_a"
    assert by["b"]["error"]["class"] == "InsufficientBalanceError" and by["b"]["error"]["retryable"] is False
    assert (by["d"]["error"]["class"], by["d"]["error"]["code"], by["d"]["error"]["retryable"]) == (
        "BatchExpiredError", "batch_expired", True)  # fmt: skip
    assert by["e"]["error"]["code"] == "missing_from_batch_output" and by["e"]["error"]["retryable"] is True
    assert by["zz"]["error"] is None  # an answered line is never dropped


def test_prepare_input_normalizes_shorthands_and_names_the_endpoint() -> None:
    data, endpoint, name = prepare_input([{"input": "a"}, {"custom_id": "k", "input": "b"}], model="emb", endpoint=None)
    rows = [json.loads(line) for line in data.splitlines()]
    assert endpoint == "/v1/embeddings" and name == "input.jsonl"
    assert rows[1] == {
        "custom_id": "k",
        "method": "POST",
        "url": "/v1/embeddings",
        "body": {"input": "b", "model": "emb"},
    }
    assert rows[0]["custom_id"].startswith("zzz-")  # the bulk runner's stable id
    with pytest.raises(E.InvalidInputError, match="nothing to submit"):
        prepare_input([], model="m", endpoint=None)


# ------------------------------------------------------------------ missing routes
@pytest.mark.parametrize(
    "status,url,payload,expected",
    [
        (501, "https://gw/v1/files", {"error": {"message": "API not implemented", "code": "api_not_implemented"}},
         E.BatchAPIUnsupportedError),
        (404, "https://gw/v1/batches", {"error": {"message": "Invalid URL (POST /v1/batches)", "code": ""}},
         E.BatchAPIUnsupportedError),
        (404, "https://gw/v1/batches/batch_1", {"error": {"message": "Invalid URL (GET /v1/batches/batch_1)"}},
         E.BatchAPIUnsupportedError),
        (404, "https://gw/v1/batches/batch_1", {"error": {"message": "No batch found with id 'batch_1'"}},
         E.InvalidRequestError),
        (404, "https://gw/v1/files/file-1/content", {"error": {"message": "No such File object: file-1"}},
         E.InvalidRequestError),
        (404, "https://gw/v1/chat/completions", {"error": {"message": "Invalid URL (POST /v1/chat/completions)"}},
         E.InvalidRequestError),
        (404, "https://gw/v1/batches", {"code": 1005, "msg": "模型不存在: gpt-4o"}, E.ModelNotFoundError),
    ],
)  # fmt: skip
def test_a_missing_batch_api_is_told_from_a_missing_item(status: int, url: str, payload: Any, expected: type) -> None:
    exc = error_map.from_payload(payload, status, ErrorContext(host="gw", url=url))
    assert isinstance(exc, expected)  # (or its status twin: a 501 is also an openai.InternalServerError)
    assert isinstance(exc, E.BatchAPIUnsupportedError) is (expected is E.BatchAPIUnsupportedError)
    if expected is E.BatchAPIUnsupportedError:
        assert isinstance(exc, E.EndpointNotSupportedError) and isinstance(exc, openai.NotFoundError)
        assert "zzz bulk" in str(exc) and "base_url is probably wrong" not in str(exc)


def test_an_html_404_on_a_batch_item_route_is_a_missing_api() -> None:
    exc = error_map.from_body(
        404, b"<html><title>404 Not Found</title></html>", ErrorContext(url="https://gw/v1/batches/b")
    )
    assert isinstance(exc, E.BatchAPIUnsupportedError)


# ---------------------------------------------------------------- never twice
def _server_error() -> E.ZZZError:
    return error_map.from_payload({"error": {"message": "upstream error"}}, 502, CTX)


def test_a_request_that_must_not_repeat_is_retried_only_after_a_rate_limit() -> None:
    attempts = Attempts(HostHealth(("https://a/v1", "https://b/v1"), 30.0), max_retries=3, repeatable=False)
    attempts.first()
    with pytest.raises(E.GatewayServerError) as info:
        attempts.next(_server_error())  # no retry and no failover: the job may exist already
    assert info.value.attempts == 1
    attempts = Attempts(HostHealth(("https://a/v1",), 30.0), max_retries=3, repeatable=False)
    attempts.first()
    limited = error_map.from_payload({"error": {"message": "rate limit", "code": "rate_limit_exceeded"}}, 429, CTX)
    assert attempts.next(limited).host == "https://a/v1"


# ------------------------------------------------------------------ file content
def test_file_content_is_returned_as_sent_unless_it_is_one_error_object() -> None:
    one_line_file = jsonl({**ok_line("a"), "error": {"code": "x", "message": "y"}})
    assert decode_content(200, one_line_file, CTX) == one_line_file  # a result line, not an error
    with pytest.raises(E.InsufficientBalanceError):
        decode_content(200, json.dumps({"code": 1001, "msg": "余额不足"}).encode(), CTX)
    assert decode_content(200, b"", CTX) == b""


# ----------------------------------------------------------------- typed job errors
def test_batch_errors_pickle_with_their_job_and_no_key() -> None:
    job = BatchJob("batch_1", "failed", errors=({"code": "duplicate_custom_id", "line": 2, "message": "m"},))
    exc = E.BatchValidationError("failed validation", job=job, url="https://gw/v1/batches/batch_1", host="gw")
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is E.BatchValidationError and again.errors == [job.errors[0]] and again.batch_id == "batch_1"
    assert isinstance(again, openai.APIError) and again.retryable is False


# ------------------------------------------------------------- the simulated jobs
def call(cfg: SimConfig, method: str, path: str, body: Any = None, raw: bytes | None = None,
         ctype: str = "application/json") -> tuple[int, Any]:  # fmt: skip
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    resp = handle(SimRequest(method, path, {"authorization": "Bearer sk-test", "content-type": ctype}, data), cfg)
    try:
        return resp.status, json.loads(resp.body)
    except ValueError:
        return resp.status, resp.body


def upload(cfg: SimConfig, data: bytes) -> str:
    boundary = "b0undary"
    form = (f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
            "Content-Type: application/jsonl\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    status, obj = call(cfg, "POST", "/v1/files", raw=form, ctype=f"multipart/form-data; boundary={boundary}")
    assert status == 200 and obj["purpose"] == "batch" and obj["bytes"] == len(data)
    return obj["id"]


def chat(cid: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"question {cid}"}], **extra}
    return {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}


def test_simulated_job_moves_through_its_states_on_the_simulated_clock() -> None:
    cfg = SimConfig()
    cfg.batches.timing.validating, cfg.batches.timing.per_line, cfg.batches.timing.finalizing = 10, 5, 10
    fid = upload(cfg, jsonl(chat("a"), chat("b", n=-1), chat("c")))
    status, job = call(cfg, "POST", "/v1/batches", {"input_file_id": fid, "endpoint": "/v1/chat/completions",
                                                     "completion_window": "24h"})  # fmt: skip
    assert status == 200 and job["status"] == "validating" and job["code"] == 0  # 智增增's envelope
    seen = []
    for _ in range(8):
        cfg.batches.advance(5)
        seen.append(call(cfg, "GET", f"/v1/batches/{job['id']}")[1])
    assert [(j["status"], j["request_counts"]["completed"], j["request_counts"]["failed"]) for j in seen] == [
        ("validating", 0, 0), ("in_progress", 0, 0), ("in_progress", 1, 0), ("in_progress", 1, 1),
        ("finalizing", 2, 1), ("finalizing", 2, 1), ("completed", 2, 1), ("completed", 2, 1),
    ]  # fmt: skip
    done = seen[-1]
    out = call(cfg, "GET", f"/v1/files/{done['output_file_id']}/content")[1]
    err = call(cfg, "GET", f"/v1/files/{done['error_file_id']}/content")[1]
    assert [json.loads(x)["custom_id"] for x in out.splitlines()] == ["a", "c"]
    assert err["response"]["status_code"] == 400  # one line: decoded by call()
    assert cfg.batches.lines_run == 3


def test_simulated_validation_failure_lists_each_bad_line() -> None:
    cfg = SimConfig()
    fid = upload(cfg, jsonl(chat("a"), chat("a")) + b"not json\n" + jsonl({**chat("b"), "url": "/v1/embeddings"}))
    job = call(cfg, "POST", "/v1/batches", {"input_file_id": fid, "endpoint": "/v1/chat/completions",
                                            "completion_window": "24h"})[1]  # fmt: skip
    cfg.batches.advance(60)
    job = call(cfg, "GET", f"/v1/batches/{job['id']}")[1]
    assert job["status"] == "failed"
    assert [(e["line"], e["code"]) for e in job["errors"]["data"]] == [
        (2, "duplicate_custom_id"), (3, "invalid_json_line"), (4, "mismatched_endpoint")]  # fmt: skip


def test_simulated_line_faults_come_from_the_queue() -> None:
    cfg = SimConfig()
    cfg.batch_line_fault = lambda req: Fault.error("content_filter") if b"question b" in req.body else None
    fid = upload(cfg, jsonl(chat("a"), chat("b")))
    job = call(cfg, "POST", "/v1/batches", {"input_file_id": fid, "endpoint": "/v1/chat/completions",
                                            "completion_window": "24h"})[1]  # fmt: skip
    cfg.batches.advance(3600)
    job = call(cfg, "GET", f"/v1/batches/{job['id']}")[1]
    assert job["status"] == "completed" and job["request_counts"] == {"total": 2, "completed": 1, "failed": 1}


def test_simulated_new_api_has_no_batch_api() -> None:
    cfg = SimConfig(dialect="newapi")
    status, body = call(cfg, "POST", "/v1/files", raw=b"x", ctype="multipart/form-data; boundary=x")
    assert status == 501 and body["error"]["code"] == "api_not_implemented"
    assert call(cfg, "GET", "/v1/files/file-1/content")[0] == 501
    assert call(cfg, "POST", "/v1/batches", {})[0] == 404 and call(cfg, "GET", "/v1/batches/b")[0] == 404


def test_simulated_routes_reject_what_openai_rejects() -> None:
    cfg = SimConfig()
    assert call(cfg, "POST", "/v1/batches", {"input_file_id": "nope", "endpoint": "/v1/chat/completions",
                                             "completion_window": "24h"})[0] == 404  # fmt: skip
    fid = upload(cfg, jsonl(chat("a")))
    status, body = call(cfg, "POST", "/v1/batches", {"input_file_id": fid, "endpoint": "/v1/chat/completions",
                                                      "completion_window": "1h"})  # fmt: skip
    assert status == 400 and body["error"]["param"] == "completion_window"
    assert call(cfg, "GET", "/v1/batches/nope")[0] == 404
    assert call(cfg, "DELETE", "/v1/batches")[0] == 404


def test_an_id_that_would_change_the_url_is_refused_before_sending() -> None:
    from zzz_core import Gateway

    batches = Gateway.from_settings(api_key="sk-test", base_url="http://127.0.0.1:9/v1", mirrors=[]).batches
    for bad in ("../models", "b?x=1", "", "a b"):
        with pytest.raises(E.InvalidInputError, match="not a batch or file id"):
            batches.retrieve(bad)
    with pytest.raises(E.InvalidInputError):
        batches.content("file/../x")
