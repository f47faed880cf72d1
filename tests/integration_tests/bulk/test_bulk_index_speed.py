"""Resuming a big job: the done-index of a 1,000,000-line results file loads in seconds."""

from __future__ import annotations

import json
import time

from zzz_core.bulk.results import load_index, success_record


def test_done_index_of_a_million_lines_loads_in_seconds(tmp_path):
    path = tmp_path / "big.jsonl"
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "答案"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 40, "total_tokens": 50}}  # fmt: skip
    line = json.dumps(success_record("X", body), ensure_ascii=False, separators=(",", ":"))
    head, tail = line.split('"X"', 1)
    with open(path, "w") as fh:
        for k in range(10):
            fh.write("".join(f'{head}"item-{i}"{tail}\n' for i in range(k * 100_000, (k + 1) * 100_000)))
    # CPU time, not wall time: the machines that run the tests are shared.
    t0 = time.process_time()
    index = load_index(path)
    elapsed = time.process_time() - t0
    assert len(index) == 1_000_000 and index.ok == 1_000_000
    assert elapsed < 10, f"loading the done-index took {elapsed:.1f}s of CPU"
