"""(e) Cold import time of each client module, in a fresh interpreter per run (median of several).

"Cold" means a new process: bytecode caches and the OS page cache are warm
(one untimed run first), as on any machine after the first start.
"""

from __future__ import annotations

import importlib.util

from ..clients import openai_major
from ..common import CaseResult, Row, Settings, median, rel_spread, round_robin, run_child

#: slot -> module imported
MODULES = {
    "httpx": "httpx",
    "httpx2": "httpx2",
    "openai": "openai",
    "lc-peer": "langchain_openai",
    "li-peer": "llama_index.llms.openai_like",
    "lc-zzz": "langchain_zzz",
    "li-zzz": "llamaindex_zzz",
}
#: what a skin cannot avoid: the framework base classes it subclasses
FRAMEWORK = {
    "lc-zzz": "langchain_core.language_models.chat_models,langchain_core.embeddings",
    "li-zzz": "llama_index.core.llms.function_calling,llama_index.core.base.embeddings.base",
}
#: ... plus openai, which zzz_core imports at import time (its errors subclass openai's)
FRAMEWORK_OPENAI = {k: v + ",openai" for k, v in FRAMEWORK.items()}
PROBE = (
    "import sys,time,json\n"
    "mods=sys.argv[1].split(',');before=set(sys.modules);t=time.perf_counter()\n"
    "for m in mods: __import__(m)\n"
    "dt=time.perf_counter()-t;new=set(sys.modules)-before\n"
    "print(json.dumps({'s':dt,'modules':len(new),'openai':'openai' in sys.modules,"
    "'pydantic':'pydantic' in sys.modules,'httpx':'httpx' in sys.modules or 'httpx2' in sys.modules}))\n"
)


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def run(s: Settings) -> CaseResult:
    targets = {k: v for k, v in MODULES.items() if _exists(v)}
    if "httpx2" in targets and openai_major() < 3:
        del targets["httpx2"]
    if s.short:  # proves it works: the floor, the skins and their peers
        targets = {k: v for k, v in targets.items() if k in ("httpx", "lc-zzz", "li-zzz", "lc-peer", "li-peer")}
    if s.only is not None:
        names = {"ChatOpenAI": "lc-peer", "OpenAILike": "li-peer", "ChatZZZ": "lc-zzz", "ZZZ": "li-zzz"}
        keep = {names.get(n, n) for n in s.only} | {"httpx"}
        targets = {k: v for k, v in targets.items() if k in keep}
    jobs = dict(targets)
    for k, v in FRAMEWORK.items():
        if k in targets and not s.short:
            jobs["base:" + k] = v
            jobs["base+openai:" + k] = FRAMEWORK_OPENAI[k]
    rounds = s.n(7, 1)
    info: dict[str, dict] = {}

    def sample(key: str) -> float:
        out = run_child(["-c", PROBE, jobs[key]], timeout=120)
        if "error" in out:
            raise RuntimeError(f"import {jobs[key]}: {out['error']}")
        info[key] = out
        return out["s"] * 1e3

    got = round_robin(list(jobs), sample, rounds, warmup=0 if s.short else 1)
    main = Row("import", "e", "cold import of the client module", "ms",
               {k: median(got[k]) for k in targets},
               detail={k: f"{info[k]['modules']} modules{', openai' if info[k]['openai'] else ''}" for k in targets},
               spread={k: rel_spread(got[k]) for k in targets})  # fmt: skip
    rows = [main]
    for prefix, rid, text in (
        ("base:", "import.base", "import of the framework base classes alone"),
        ("base+openai:", "import.base_openai", "import of the framework base classes + openai"),
    ):
        base = {k[len(prefix) :]: median(v) for k, v in got.items() if k.startswith(prefix)}
        if base:
            values = {"httpx": main.values["httpx"], **base}
            detail = {k[len(prefix) :]: f"{info[k]['modules']} modules" for k in got if k.startswith(prefix)}
            rows.append(Row(rid, "e", text, "ms", values, detail=detail))
    notes = [f"import {jobs[k]}: {info[k]['modules']} modules; pulls in openai: {info[k]['openai']}" for k in jobs]
    return CaseResult(rows, notes=notes)
