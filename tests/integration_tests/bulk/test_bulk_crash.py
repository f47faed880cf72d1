"""Crash safety: SIGKILL the runner at random points and resume each time.

At the end every item is recorded exactly once, the simulator's log shows that no item
recorded as done was sent again, and the output parses line by line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

from bulk_kit import KEY, item_of, write_input

from zzz_core.bulk import load_index

ITEMS = 600
KILLS = 20


def _run(src, out, base_url) -> subprocess.Popen:
    env = {**os.environ, "ZZZ_API_KEY": KEY, "ZZZ_BASE_URL": base_url}
    cmd = [sys.executable, "-m", "zzz_cli", "bulk", "chat", str(src), "-o", str(out), "--model", "gpt-4o-mini",
           "--concurrency", "8", "--max-concurrency", "16", "--no-progress"]  # fmt: skip
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(proc: subprocess.Popen, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not condition():
        time.sleep(0.005)


def test_sigkill_at_random_points_then_resume(tmp_path, zzz_simulator_factory):
    sim = zzz_simulator_factory(latency=0.05)
    src, out = write_input(tmp_path / "in.jsonl", ITEMS), tmp_path / "out.jsonl"
    rng = random.Random(int(os.environ.get("ZZZ_CRASH_SEED", "13")))
    resent_done: set[str] = set()
    killed_mid_run = 0
    for _ in range(KILLS):
        done_before = set(load_index(out).done)
        if len(done_before) == ITEMS:
            break
        mark = len(sim.requests)
        proc = _run(src, out, sim.base_url)
        if rng.random() < 0.2:  # during startup or the first sends
            _wait(proc, lambda: False, rng.uniform(0.0, 1.0))
        else:  # once it writes, a random moment later
            size = out.stat().st_size if out.exists() else 0
            _wait(proc, lambda size=size: out.exists() and out.stat().st_size > size, 20.0)
            _wait(proc, lambda: False, rng.uniform(0.0, 0.2))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_run += len(done_before) < len(load_index(out).done) < ITEMS
        proc.wait()
        resent_done |= {item_of(r) for r in sim.requests[mark:]} & done_before
    mark = len(sim.requests)
    done_before = set(load_index(out).done)
    final = _run(src, out, sim.base_url)
    assert final.wait(timeout=60) == 0
    resent_done |= {item_of(r) for r in sim.requests[mark:]} & done_before

    lines = out.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]  # every line parses
    counts = Counter(r["custom_id"] for r in records)
    assert counts == Counter({f"q{i}": 1 for i in range(ITEMS)})
    assert all(r["error"] is None for r in records)
    assert not resent_done, f"items already recorded were sent again: {sorted(resent_done)[:5]}"
    assert killed_mid_run >= 3, "the kills should land while the runner is writing"
    assert len(Counter(item_of(r) for r in sim.requests)) == ITEMS
