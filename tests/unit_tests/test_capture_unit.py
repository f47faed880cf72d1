"""The capture's sanitizer and the replay's matching, offline (no sockets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zzz_cli._capture import BAD_KEY, Sanitizer, probes
from zzz_testing.handlers import SimRequest
from zzz_testing.replay import Replay, load_capture, match_key

KEY = "sk-zkT4m9Qx2Rw7Lp1Vn8Bc3Hd6Jf0Gk5Ys"


def test_the_key_goes_in_every_form() -> None:
    s = Sanitizer([KEY])
    for form in (KEY, KEY[3:], KEY[5:17], f"Bearer {KEY}", f"{KEY[:5]}…{KEY[-4:]}", f"{KEY[:3]}...{KEY[-6:]}",
                 f"{KEY[:4]}****{KEY[-4:]}"):  # fmt: skip
        out = s.text(f"invalid token {form} (request id: 2025)")
        assert "<redacted-key>" in out and "(request id: 2025)" in out, form
        assert not any(KEY[i : i + 8] in out for i in range(len(KEY) - 7)), form
    assert s.text("sk-zk…0000 is another key") == "sk-zk…0000 is another key"  # not this key's suffix


def test_account_ids_and_emails_go() -> None:
    body = {"data": {"user_id": 4242, "username": "lilei", "email": "li.lei@example.cn", "quota": 5},
            "message": "用户 han.meimei@example.com 额度不足", "object": "credit_summary"}  # fmt: skip
    out = Sanitizer([KEY]).value(body)
    assert out["data"] == {"user_id": "<redacted-account>", "username": "<redacted-account>",
                           "email": "<redacted-account>", "quota": 5}  # fmt: skip
    assert out["message"] == "用户 <redacted-email> 额度不足" and out["object"] == "credit_summary"


def test_long_values_are_trimmed() -> None:
    s = Sanitizer([])
    out = s.value({"text": "x" * 1000, "vector": [0.5] * 1536, "items": [{"id": i} for i in range(100)]})
    assert out["text"].endswith("…[600 characters trimmed]") and len(out["text"]) < 450
    assert out["vector"] == [0.5] * 8 and len(out["items"]) == 24  # still lists of what they held
    assert sorted(s.trimmed) == ["items: 76 of 100 items trimmed", "vector: 1528 of 1536 items trimmed"]
    events = s.events([json.dumps({"i": i}) for i in range(200)] + ["[DONE]"])
    assert len(events) == 60 and events[0] == '{"i": 0}' and events[-1] == "[DONE]"


def test_the_probe_set_is_fixed() -> None:
    got = probes("m", "e", (("GET", "/dashboard/billing/subscription"), ("GET", "/dashboard/billing/usage")))
    assert [p["name"] for p in got] == [
        "chat", "stream", "tool_call", "structured_output", "embedding", "models", "balance", "balance_2",
        "unknown_model", "bad_key", "oversized_max_tokens", "unsupported_parameter", "empty_messages"]  # fmt: skip
    keys = [match_key(p["request"]["method"], p["request"]["path"], p["request"]["body"]) for p in got]
    bad_key = next(i for i, p in enumerate(got) if p["name"] == "bad_key")
    others = [k for i, k in enumerate(keys) if i != bad_key]  # bad_key is told apart by its key, not its body
    assert len(set(others)) == len(others)
    assert BAD_KEY not in json.dumps(got)  # the bad key is chosen at send time


def _capture(tmp_path: Path) -> Path:
    doc = {"version": 1, "gateway": "x", "probes": [
        {"name": "chat", "request": {"method": "POST", "path": "/chat/completions",
                                     "body": {"model": "m", "messages": [{"role": "user", "content": "q"}]}},
         "status": 200, "headers": {"content-type": "application/json"}, "body": {"ok": 1}},
        {"name": "stream", "request": {"method": "POST", "path": "/chat/completions",
                                       "body": {"model": "m", "messages": [{"role": "user", "content": "q"}],
                                                "stream": True}},
         "status": 200, "headers": {"content-type": "text/event-stream"}, "sse": ['{"a": 1}', "[DONE]"]},
        {"name": "bad_key", "request": {"method": "POST", "path": "/chat/completions", "body": {"model": "m"},
                                        "auth": "invalid"}, "status": 401, "headers": {}, "body": {"error": "no"}},
    ]}  # fmt: skip
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    return path


def _req(body: dict, key: str = KEY) -> SimRequest:
    return SimRequest("POST", "/v1/chat/completions", {"authorization": f"Bearer {key}"}, json.dumps(body).encode())


def test_replay_matches_on_the_salient_fields(tmp_path: Path) -> None:
    replay = Replay.from_file(_capture(tmp_path))
    msgs = [{"role": "user", "content": "another question"}]
    resp = replay.answer(_req({"model": "m", "messages": msgs, "temperature": 0.3}), None)
    assert resp.status == 200 and json.loads(resp.body) == {"ok": 1}
    resp = replay.answer(_req({"model": "m", "messages": msgs, "stream": True}), None)
    assert list(resp.body) == [b'data: {"a": 1}\n\n', b"data: [DONE]\n\n"]
    assert replay.answer(_req({"model": "m", "messages": msgs}, key="sk-other"), frozenset([KEY])).status == 401
    resp = replay.answer(_req({"model": "other", "messages": msgs}), None)
    message = json.loads(resp.body)["error"]["message"]
    assert resp.status == 404 and "no recorded probe matches POST /v1/chat/completions model='other'" in message


def test_a_file_that_is_not_a_capture_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"version": 7, "probes": []}')
    with pytest.raises(ValueError, match="capture version 7"):
        load_capture(bad)
    bad.write_text("[]")
    with pytest.raises(ValueError, match="zzz capture -o FILE"):
        load_capture(bad)
