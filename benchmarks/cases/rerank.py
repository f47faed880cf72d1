"""(r) Rerank: the latency a ``ZZZRerank`` call adds over the raw ``openai`` client posting the same body.

The floor is the sender zzz_core uses, the SDK's raw-response path
(``client.post("/rerank", cast_to=<http Response>)`` + ``json.loads``), posting exactly
the body ``Gateway.rerank`` sends (``model``, ``query``, 20 ``documents``, ``top_n``,
``return_documents``).  Over it: LangChain's ``ZZZRerank.compress_documents`` (20
``Document``s in, the top 5 out with ``relevance_score``) and LlamaIndex's
``ZZZRerank.postprocess_nodes`` (20 ``NodeWithScore`` in, 5 out).  Sequential sync calls,
interleaved round-robin; read the ratios.
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Any

from ..clients import API_KEY, sdk_http
from ..common import CaseResult, Meter, Row, Settings, median, percentile, rel_spread, round_robin

MODEL = "bge-reranker-v2-m3"
QUERY = "When did Mount Fuji last erupt?"
DOCUMENTS = [f"passage {i}: relays route rerank requests to Jina, Cohere and SiliconFlow upstreams" for i in range(20)]
TOP_N = 5
BODY = {"model": MODEL, "query": QUERY, "documents": DOCUMENTS, "top_n": TOP_N, "return_documents": False}
BLOCK = 50  # calls per contender per round


class RawPost:
    slot = "openai-raw"
    _RAW = {"X-Stainless-Raw-Response": "stream"}

    def __init__(self, base_url: str) -> None:
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)
        self.Response = sdk_http().Response

    def call(self) -> int:
        r = self.client.post("/rerank", cast_to=self.Response, body=BODY, options={"headers": self._RAW})
        try:
            return len(json.loads(r.read())["results"])
        finally:
            r.close()

    def close(self) -> None:
        self.client.close()


class LangChainRerank:
    slot = "lc-zzz"

    def __init__(self, base_url: str) -> None:
        from langchain_core.documents import Document

        from langchain_zzz import ZZZRerank

        self.model = ZZZRerank(model=MODEL, top_n=TOP_N, api_key=API_KEY, base_url=base_url)
        self.docs = [Document(page_content=d, metadata={"i": i}) for i, d in enumerate(DOCUMENTS)]

    def call(self) -> int:
        return len(self.model.compress_documents(self.docs, QUERY))

    def close(self) -> None:
        self.model.close()


class LlamaRerank:
    slot = "li-zzz"

    def __init__(self, base_url: str) -> None:
        from llama_index.core.schema import NodeWithScore, TextNode

        from llamaindex_zzz import ZZZRerank

        self.model = ZZZRerank(model=MODEL, top_n=TOP_N, api_key=API_KEY, api_base=base_url)
        self.nodes = [NodeWithScore(node=TextNode(text=d, id_=str(i))) for i, d in enumerate(DOCUMENTS)]

    def call(self) -> int:
        return len(self.model.postprocess_nodes(self.nodes, query_str=QUERY))

    def close(self) -> None:
        self.model.close()


CONTENDERS: dict[str, Any] = {"openai-raw": RawPost, "ZZZRerank (LangChain)": LangChainRerank,
                              "ZZZRerank (LlamaIndex)": LlamaRerank}  # fmt: skip


def run(s: Settings) -> CaseResult:
    objs = {name: cls(s.server.base_url) for name, cls in CONTENDERS.items() if s.only is None or name in s.only}
    rounds = s.n(8, 1)
    block = BLOCK if not s.short else 5

    def sample(name: str) -> list[float]:
        call = objs[name].call
        out = []
        for _ in range(block):
            t0 = time.perf_counter()
            got = call()
            out.append(time.perf_counter() - t0)
        assert got == TOP_N, f"{name} returned {got} results"
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the one "no price known" warning of an unpriced rerank model
        with Meter(s.server) as m:
            samples = round_robin(list(objs), sample, rounds, warmup=0 if s.short else 1,
                                  log=s.log if not s.short else None)  # fmt: skip
    for o in objs.values():
        o.close()
    slots = {name: obj.slot for name, obj in objs.items()}
    flat = {name: [t * 1e3 for b in v for t in b] for name, v in samples.items()}
    calls = f"{rounds * block} calls each"
    med = Row("rerank.median", "r", f"rerank {len(DOCUMENTS)} docs, top {TOP_N}, median ({calls})", "ms",
              {slots[n]: median(v) for n, v in flat.items()}, floor="openai-raw",
              detail={slots[n]: f"p90 {percentile(v, 0.9):.2f}" for n, v in flat.items()},
              spread={slots[n]: rel_spread([median(b) for b in samples[n]]) for n in flat})  # fmt: skip
    return CaseResult([med], client_cpu=m.client, server_cpu=m.srv, wall=m.wall)
