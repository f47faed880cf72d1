"""Resuming a big job: the done-index of a large results file is right.

How long it takes to load (the issue's "a 1,000,000-line output in seconds") is measured by
the benchmark case ``bulk_index`` (``python benchmarks/run.py --only i``), not asserted here:
timed assertions fail on shared machines and prove nothing about speed.
"""

from __future__ import annotations

import json

from zzz_core.bulk.results import load_index, success_record


def test_done_index_of_a_large_file_holds_every_id(tmp_path):
    path = tmp_path / "big.jsonl"
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "答案"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 40, "total_tokens": 50}}  # fmt: skip
    line = json.dumps(success_record("X", body), ensure_ascii=False, separators=(",", ":"))
    head, tail = line.split('"X"', 1)
    n = 200_000  # several of load_index's 16 MB blocks, so lines split across blocks are covered
    with open(path, "w") as fh:
        fh.write("".join(f'{head}"item-{i}"{tail}\n' for i in range(n)))
    index = load_index(path)
    assert len(index) == n and index.ok == n and not index.torn and index.bad_lines == 0
    assert "item-0" in index.done and f"item-{n - 1}" in index.done and "item-x" not in index.done
