"""(i) Resuming a big bulk job: loading the done-index of a results file of N lines.

``zzz_core.bulk.results.load_index`` (what ``zzz bulk`` does before it sends anything on a
rerun) against the obvious way, ``json.loads`` on every line and a set of ``custom_id``s.
The issue's goal is "a 1,000,000-line output in seconds"; the test suite checks only that
the index is right, the time is measured here.  CPU time of this process, interleaved.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from ..common import CaseResult, Settings, median, rel_spread, round_robin

BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "答案"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 40, "total_tokens": 50},
}


def _write(path: Path, n: int) -> None:
    from zzz_core.bulk.results import success_record

    line = json.dumps(success_record("X", BODY), ensure_ascii=False, separators=(",", ":"))
    head, tail = line.split('"X"', 1)
    with open(path, "w", encoding="utf-8") as fh:
        for start in range(0, n, 100_000):
            fh.write("".join(f'{head}"item-{i}"{tail}\n' for i in range(start, min(n, start + 100_000))))


def _naive(path: Path) -> int:
    done = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            done.add(json.loads(line)["custom_id"])
    return len(done)


def _zzz(path: Path) -> int:
    from zzz_core.bulk.results import load_index

    return len(load_index(path))


def run(s: Settings) -> CaseResult:
    n = 20_000 if s.short else 1_000_000
    rounds = 1 if s.short else 3
    contenders = {"json-lines": _naive, "zzz-index": _zzz}
    result = CaseResult()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.jsonl"
        _write(path, n)
        size_mb = os.path.getsize(path) / 1e6

        def sample(name: str) -> float:
            t0 = time.process_time()
            assert contenders[name](path) == n
            return time.process_time() - t0

        samples = round_robin(list(contenders), sample, rounds=rounds, warmup=0, log=s.log)
    # The report's columns are the HTTP contenders' slots, so this case reports in its notes.
    zzz, naive = median(samples["zzz-index"]), median(samples["json-lines"])
    result.notes.append(
        f"done-index load of {n:,} lines ({size_mb:.0f} MB), CPU seconds, median of {rounds}: "
        f"zzz_core.bulk load_index {zzz:.2f} s (+-{rel_spread(samples['zzz-index']):.0%}), "
        f"json.loads per line {naive:.2f} s; ratio {zzz / naive:.2f}"
    )
    result.extra["bulk_index"] = {"lines": n, "zzz_s": zzz, "json_lines_s": naive}
    return result
