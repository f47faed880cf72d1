"""What every case shares: the server process, round-robin sampling, result rows, CPU bookkeeping."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Display order of the columns; each contender class names its slot.
SLOTS = (
    "httpx", "httpx2", "aiohttp", "openai-raw", "openai-raw-aiohttp", "openai", "lc-peer", "li-peer",
    "lc-zzz", "li-zzz", "lc-zzz+httpx", "li-zzz+httpx", "lc-zzz+b64", "li-zzz+b64", "lc-frame", "li-frame",
)  # fmt: skip
SLOT_TITLES = {
    "httpx": "httpx", "httpx2": "httpx2", "aiohttp": "aiohttp", "openai-raw": "oai raw",
    "openai-raw-aiohttp": "oai raw+aio", "openai": "oai parsed", "lc-peer": "LC peer", "li-peer": "LI peer",
    "lc-zzz": "LC zzz", "li-zzz": "LI zzz", "lc-zzz+httpx": "LC zzz+httpx", "li-zzz+httpx": "LI zzz+httpx",
    "lc-zzz+b64": "LC zzz+b64*", "li-zzz+b64": "LI zzz+b64*", "lc-frame": "LC alone", "li-frame": "LI alone",
}  # fmt: skip
LEGEND = (
    "httpx / httpx2 / aiohttp: the raw HTTP client + json.loads (httpx is the floor); "
    "oai raw: the openai SDK's raw-response path, client.post(cast_to=Response) + json.loads (zzz_core's sender); "
    "oai raw+aio: the same through openai.DefaultAioHttpClient; oai parsed: the SDK's usual pydantic-parsed calls; "
    "LC peer: ChatOpenAI / OpenAIEmbeddings (langchain-openai); LI peer: OpenAILike / OpenAILikeEmbedding; "
    "LC zzz: ChatZZZ / ZZZEmbeddings; LI zzz: llamaindex_zzz ZZZ / ZZZEmbedding, with their defaults (async calls "
    "through aiohttp, which is installed here: async_transport='auto'); +httpx: the same with "
    "async_transport='httpx', as where aiohttp is not installed; "
    "*: the ZZZ classes with an option set explicitly (+b64: encoding_format='base64', today's default, asked); "
    "LC alone / LI alone: a LangChain BaseChatModel / LlamaIndex LLM that does no I/O at all, i.e. the framework's "
    "own cost, the floor under both the peer and the ZZZ class."
)
SLOT_OF = {
    "ChatOpenAI": "lc-peer", "OpenAIEmbeddings": "lc-peer", "OpenAILike": "li-peer", "OpenAILikeEmbedding": "li-peer",
    "ChatZZZ": "lc-zzz", "ZZZEmbeddings": "lc-zzz", "ZZZ": "li-zzz", "ZZZEmbedding": "li-zzz",
    "ChatZZZ+httpx": "lc-zzz+httpx", "ZZZ+httpx": "li-zzz+httpx",
    "ZZZEmbeddings+b64": "lc-zzz+b64", "ZZZEmbedding+b64": "li-zzz+b64",
    "lc-null": "lc-frame", "li-null": "li-frame",
}  # fmt: skip
PEER_OF = {"lc-zzz": "lc-peer", "li-zzz": "li-peer"}


def slot(name: str) -> str:
    return SLOT_OF.get(name, name)


@dataclass
class Row:
    """One measured quantity for every contender: a line of the table."""

    id: str
    case: str
    metric: str
    unit: str
    values: dict[str, float]  # slot -> value (median of the samples)
    detail: dict[str, str] = field(default_factory=dict)  # slot -> extra text (p90, requests, ...)
    floor: str = "httpx"
    spread: dict[str, float] = field(default_factory=dict)  # slot -> relative half-IQR of the samples
    higher_is_better: bool = False

    def ratio(self, a: str, b: str) -> float | None:
        va, vb = self.values.get(a), self.values.get(b)
        if va is None or vb is None or vb == 0:
            return None
        return va / vb


@dataclass
class CaseResult:
    rows: list[Row] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    wall: float = 0.0
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Settings:
    short: bool
    server: Server
    only: set[str] | None = None  # contender names to run (None: all available)
    profile: bool = False
    log: Callable[[str], None] = print

    def n(self, full: int, short: int) -> int:
        return short if self.short else full


# ---------------------------------------------------------------------------- server
class Server:
    """The benchmark server (benchmarks/server.py) in its own process, so it never shares our GIL."""

    def __init__(self, *, no_base64: bool = False) -> None:
        cmd = [sys.executable, str(ROOT / "benchmarks" / "server.py"), "--port", "0"]
        if no_base64:
            cmd.append("--no-base64")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"benchmark server did not start (said {line!r})")
        self.base_url = line
        self.root = line.rsplit("/v1", 1)[0]

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.root + "/_bench/stats", timeout=30) as r:
            return json.loads(r.read())

    def cpu(self) -> float:
        """The server process's CPU seconds so far (user + system)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            tick = os.sysconf("SC_CLK_TCK")
            return (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            return float(self.stats()["cpu"])

    def requests(self, path_suffix: str) -> int:
        return sum(v for k, v in self.stats()["requests"].items() if k.endswith(path_suffix))

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (subprocess.TimeoutExpired, OSError):
                self.proc.terminate()
                self.proc.wait(timeout=5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def client_cpu() -> float:
    t = os.times()
    return t.user + t.system


class Meter:
    """Client vs server CPU seconds over a block (a case)."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def __enter__(self) -> Meter:
        self.c0, self.s0, self.w0 = client_cpu(), self.server.cpu(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client = client_cpu() - self.c0
        self.srv = self.server.cpu() - self.s0
        self.wall = time.perf_counter() - self.w0


# -------------------------------------------------------------------------- sampling
def rotated(items: Sequence[Any], k: int) -> list[Any]:
    if not items:
        return []
    k %= len(items)
    return list(items[k:]) + list(items[:k])


def round_robin(names: Sequence[str], sample: Callable[[str], Any], rounds: int, warmup: int = 1,
                log: Callable[[str], None] | None = None) -> dict[str, list[Any]]:  # fmt: skip
    """``sample(name)`` for every name, ``rounds`` times, in a rotating order; warm-up rounds dropped.

    Interleaving is what makes ratios meaningful on a shared, noisy machine: a
    slow second hits every contender alike instead of one of them.
    """
    out: dict[str, list[Any]] = {n: [] for n in names}
    for r in range(warmup + rounds):
        for name in rotated(names, r):
            gc.collect()
            value = sample(name)
            if r >= warmup:
                out[name].append(value)
        if log is not None and r >= warmup:
            log(f"    round {r - warmup + 1}/{rounds}")
    return out


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def percentile(xs: Sequence[float], p: float) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def rel_spread(xs: Sequence[float]) -> float:
    """Half the interquartile range over the median: the +-x% the median is good to."""
    if len(xs) < 3:
        return 0.0
    m = median(xs)
    return (percentile(xs, 0.75) - percentile(xs, 0.25)) / 2 / m if m else 0.0


def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> ...`` in a fresh interpreter; return the JSON it prints last."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        p = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {p.returncode}: {' | '.join(tail)[:300]}"}
    return json.loads(lines[-1])
