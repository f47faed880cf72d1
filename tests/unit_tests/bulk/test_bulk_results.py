"""The results file: whole lines, torn tail, fast done-index, retry-failed rewrite."""

from __future__ import annotations

import json

from zzz_core import errors as E
from zzz_core.bulk.results import ResultsFile, error_record, load_index, read_results, success_record


def _err(cls=E.ContextLengthExceededError):
    return cls("上下文长度超过模型最大限制", status_code=400, url="http://x/v1/chat/completions",
               code=1007, msg="上下文长度超过模型最大限制")  # fmt: skip


def test_records_in_batch_output_format(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path) as out:
        out.write(success_record("a", {"choices": []}, request_id="r1"))
        out.write(error_record("b", _err()))
    ok, bad = list(read_results(path))
    assert set(ok) == {"id", "custom_id", "response", "error"} and ok["error"] is None
    assert ok["response"] == {"status_code": 200, "request_id": "r1", "body": {"choices": []}}
    assert bad["error"] == {
        "code": 1007, "message": bad["error"]["message"], "class": "ContextLengthExceededError",
        "category": "context_length_exceeded", "msg": "上下文长度超过模型最大限制", "retryable": False,
        "status_code": 400,
    }  # fmt: skip
    assert bad["response"]["status_code"] == 400
    index = load_index(path)
    assert "a" in index and "b" in index and (index.ok, index.failed) == (1, 1)


def test_torn_last_line_is_ignored_and_cut_before_appending(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path) as out:
        out.write(success_record("a", {"x": 1}))
    with open(path, "ab") as fh:
        fh.write(b'{"id":"zzz_req_1","custom_id":"b","respo')
    index = load_index(path)
    assert index.torn and set(index.done) == {"a"}
    assert [r["custom_id"] for r in read_results(path)] == ["a"]
    with ResultsFile(path) as out:
        out.write(success_record("b", {"x": 2}))
    lines = path.read_bytes().splitlines()
    assert [json.loads(x)["custom_id"] for x in lines] == ["a", "b"]
    assert not load_index(path).torn


def test_ids_with_quotes_and_unicode(tmp_path):
    path = tmp_path / "out.jsonl"
    ids = ['he said "hi"', "back\\slash", "中文", "tab\there"]
    with ResultsFile(path) as out:
        for i in ids:
            out.write(success_record(i, {"ok": True}))
    assert load_index(path).done == set(ids)


def test_foreign_lines_are_parsed_or_counted(tmp_path):
    path = tmp_path / "out.jsonl"
    foreign = {"custom_id": "z", "error": {"code": "x", "message": "m"}, "response": None, "id": "batch_req_1"}
    path.write_text(json.dumps(foreign) + "\n" + "garbage\n")
    index = load_index(path)
    assert index.done == {"z"} and index.failed == 1 and index.bad_lines == 1


def test_retry_failed_drops_failure_lines(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path) as out:
        out.write(success_record("a", {}))
        out.write(error_record("b", _err()))
        out.write(error_record("c", E.RateLimitError("slow", status_code=429, url="u")))
    index = load_index(path, retry_failed=True)
    assert index.done == {"a"} and index.failed == 2 and index.retryable == 1
    out = ResultsFile(path).open(drop_failed=True)
    out.write(success_record("b", {}))
    out.close()
    assert [r["custom_id"] for r in read_results(path)] == ["a", "b"]
