"""The fault matrix: every fault the simulator can inject x every public surface of both skins.

One table of faults (:data:`FAULTS`) and one table of surfaces (:data:`SURFACES`); a cell is a
(fault, surface) pair where the fault can apply to the surface (a stream-only fault is not a
cell of a non-streaming surface).  Everything goes over real sockets to
``GatewaySimulator`` instances on 127.0.0.1, through the real ``openai`` client.

Each failing cell asserts
  * the exception class: exactly zzz_core's (LlamaIndex) or its ``langchain_zzz.errors`` twin
    (LangChain), with every documented ``openai`` and LangChain parent;
  * ``retryable`` (and LangChain's ``is_retryable``);
  * the attempts: ``exc.attempts`` and the requests the simulator saw -- a non-retryable
    failure is sent once, a retryable one 1 + ``max_retries`` times, a stream that failed
    after content once (never re-sent: that would duplicate text);
  * the gateway's ``msg`` (or, for non-JSON and transport faults, what the message must say)
    in the text;
  * for a stream that failed after content: the text that arrived is ``partial_content``;
  * that the key is nowhere: the exception, its cause/context chain, ``repr``, pickle, and
    the log records captured at DEBUG on the root logger.
Cells of the failover row assert success on the mirror instead.

Retry waits are recorded, never slept (``sleeps`` fixture); the backoff is 0 except in the
``Retry-After`` row, which asserts that exactly the wait the gateway asked for was requested.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import pickle
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document as LCDocument
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.schema import NodeWithScore, TextNode
from pydantic import BaseModel
from reliability_kit import KEY, KEY_FRAGMENT, assert_no_secret, assert_typed

from langchain_zzz import ZZZ as LCCompletions
from langchain_zzz import ChatZZZ, ZZZEmbeddings
from langchain_zzz import ZZZRerank as LCRerank
from llamaindex_zzz import ZZZ as LIChat
from llamaindex_zzz import ZZZEmbedding
from llamaindex_zzz import ZZZRerank as LIRerank
from zzz_core import Gateway
from zzz_core import errors as E
from zzz_core.bulk import arun_bulk
from zzz_core.bulk.ray import ChatRows, EmbeddingRows
from zzz_core.bulk.runner import ACCOUNT_STOPS
from zzz_testing import CATEGORIES, Fault, GatewaySimulator, error_body
from zzz_testing.faults import SAMPLE_MODEL

pytestmark = pytest.mark.timeout(60)

MAX_RETRIES = 2
TIMEOUT = 10.0  # seconds; a hang guard only
SHORT_TIMEOUT = 0.1  # the slow-first-byte row: well under the delay below
SLOW_FIRST_BYTE = 1.0
RETRY_AFTER = 1.5

CATEGORY_CLASS: dict[str, type[E.ZZZError]] = {
    "auth": E.AuthenticationError,
    "permission": E.PermissionDeniedError,
    "balance": E.InsufficientBalanceError,
    "rate_limit": E.RateLimitError,
    "model_not_found": E.ModelNotFoundError,
    "invalid_request": E.InvalidRequestError,
    "context_length": E.ContextLengthExceededError,
    "content_filter": E.ContentFilterError,
    "server_error": E.GatewayServerError,
    "unknown_code": E.GatewayError,
}
assert set(CATEGORY_CLASS) == set(CATEGORIES)

CHAT_MODEL = "gpt-4o-mini"
COMPLETION_MODEL = "gpt-3.5-turbo-instruct"
EMBEDDING_MODEL = "text-embedding-3-small"
RERANK_MODEL = "bge-reranker-v2-m3"
RERANK = "/rerank"
CHAT = "/chat/completions"
PROMPT = "hello there"
ASK = [ChatMessage(role="user", content=PROMPT)]
QUESTION = "When did Mount Fuji last erupt?"


# ============================================================================ the faults
@dataclass(frozen=True)
class FaultCase:
    """One row: how to cause the failure, and what every surface must then raise."""

    id: str
    expect: type[E.ZZZError] | None
    """The zzz_core class raised; None: the call succeeds (failover)."""
    retryable: bool = False
    fault: Fault | None = None
    dialect: str = "zhizengzeng"
    where: str = "sim"
    """``sim``: injected into the simulator; ``refused``: base_url is a port that refuses
    connections; ``failover``: that refused port is the primary and the simulator the mirror."""
    stream_only: bool = False
    after_content: bool = False
    """The stream fails after text was delivered: sent once, text kept on the exception."""
    msgs: Callable[[str], set[str]] | None = None
    """model name -> the gateway msg(s) the exception must carry."""
    text: str | None = None
    """A fragment the message must contain (faults without a gateway msg)."""
    timeout: float = TIMEOUT
    retry_after: float | None = None

    @property
    def attempts(self) -> int:
        return 1 + MAX_RETRIES if self.retryable and not self.after_content else 1


def _msg_of(body: dict[str, Any]) -> str:
    raw = body["msg"] if "msg" in body else body["error"]["message"]
    return re.sub(r"\s*\(request id: [^)]*\)\s*$", "", raw).strip()


def _gateway_msgs(
    dialect: str, category: str, shape: str | None, *, any_model: bool = False
) -> Callable[[str], set[str]]:
    def msgs(model: str) -> set[str]:
        found = {_msg_of(error_body(dialect, category, shape, model=model)[1])}
        if any_model:  # an error event is rendered without the request's model (sample model)
            found.add(_msg_of(error_body(dialect, category, shape)[1]))
        return found

    return msgs


_SSE_STYLE_SHAPE = {"data_envelope": "envelope_200", "data_error_object": "error_object", "event_error": None}


def _stream_error_class(dialect: str, category: str, style: str) -> type[E.ZZZError]:
    # A stream's error event arrives under HTTP 200, so docs/errors.md's rule 4 (weak hints
    # for HTTP-200 errors) applies: new-api's unknown-code text "上游返回了无法识别的错误"
    # ("upstream returned …") reads as a server fault there, while the same body as an
    # HTTP 400 answer is a GatewayError (a 4xx is never made retryable by a hint).
    if category == "unknown_code" and dialect == "newapi" and style != "data_envelope":
        return E.GatewayServerError
    return CATEGORY_CLASS[category]


def _faults() -> Iterator[FaultCase]:
    retried = {E.RateLimitError, E.GatewayServerError}
    # 1-3: each category in each shape: envelope + HTTP 200, envelope + status, {"error": …}
    # (智增增's OpenAI-style object, and new-api's own texts with the request-id suffix).
    for dialect, shape in [("zhizengzeng", "envelope_200"), ("zhizengzeng", "envelope_status"),
                           ("zhizengzeng", "error_object"), ("newapi", "error_object")]:  # fmt: skip
        for cat, cls in CATEGORY_CLASS.items():
            yield FaultCase(
                f"{cat}:{shape}" + (":newapi" if dialect == "newapi" else ""), cls, cls in retried,
                Fault.error(cat, shape=shape), dialect, msgs=_gateway_msgs(dialect, cat, shape),
            )  # fmt: skip
    # 4: non-JSON bodies
    html_502 = "HTML page instead of JSON (502 Bad Gateway)"
    yield FaultCase("html:502", E.GatewayServerError, True, Fault.html(502), text=html_502)
    yield FaultCase("html:504", E.GatewayServerError, True, Fault.html(504), text="504: Gateway time-out")
    empty = "HTTP 502 with an empty body"
    yield FaultCase("empty_body:502", E.GatewayServerError, True, Fault.empty_body(502), text=empty)
    # 5: an error event inside the stream, before any content (so retried like any other)...
    for dialect, style in [("zhizengzeng", "data_envelope"), ("zhizengzeng", "data_error_object"),
                           ("zhizengzeng", "event_error"), ("newapi", "event_error")]:  # fmt: skip
        for cat in CATEGORY_CLASS:
            cls = _stream_error_class(dialect, cat, style)
            yield FaultCase(
                f"sse_error:{cat}:{style}" + (":newapi" if dialect == "newapi" else ""), cls, cls in retried,
                Fault.sse_error(cat, after_chunks=0, style=style), dialect, stream_only=True,
                msgs=_gateway_msgs(dialect, cat, _SSE_STYLE_SHAPE[style], any_model=True),
            )  # fmt: skip
    # ... and after content: raised, not retried, the text kept
    for cat in ("rate_limit", "server_error", "balance"):
        cls = CATEGORY_CLASS[cat]
        yield FaultCase(
            f"sse_error:{cat}:after_content", cls, cls in retried,
            Fault.sse_error(cat, after_chunks=2, style="event_error"),
            stream_only=True, after_content=True, msgs=_gateway_msgs("zhizengzeng", cat, None, any_model=True),
        )  # fmt: skip
    # 5b: a JSON error body (application/json) to a stream request
    for dialect in ("zhizengzeng", "newapi"):
        for cat, cls in CATEGORY_CLASS.items():
            yield FaultCase(
                f"json_error_to_stream:{cat}" + (":newapi" if dialect == "newapi" else ""), cls, cls in retried,
                Fault.json_error_to_stream(cat), dialect, stream_only=True, msgs=_gateway_msgs(dialect, cat, None),
            )  # fmt: skip
    # 6: the connection closed mid-stream; a stream that ends without [DONE] or a finish reason
    for kind, make in (("mid_stream_drop", Fault.mid_stream_drop), ("no_done", Fault.no_done)):
        yield FaultCase(f"{kind}:0", E.StreamInterruptedError, True, make(0), stream_only=True, text="ended early")
        yield FaultCase(
            f"{kind}:3", E.StreamInterruptedError, False, make(3), stream_only=True, after_content=True,
            text="not retried, which would duplicate text",
        )  # fmt: skip
    # 7: transport failures
    yield FaultCase(
        "slow_first_byte", E.GatewayTimeoutError, True, Fault.slow_first_byte(SLOW_FIRST_BYTE),
        timeout=SHORT_TIMEOUT, text="Timed out waiting for",
    )  # fmt: skip
    unreachable = "Could not reach"
    yield FaultCase("connection_reset", E.GatewayConnectionError, True, Fault.connection_reset(), text=unreachable)
    yield FaultCase(
        "connection_refused", E.GatewayConnectionError, True, where="refused", text=f"{unreachable} 127.0.0.1:"
    )
    # 8: a rate limit with Retry-After: the wait asked for is the wait requested
    yield FaultCase(
        "rate_limit:retry_after", E.RateLimitError, True, Fault.rate_limit(retry_after=RETRY_AFTER),
        msgs=_gateway_msgs("zhizengzeng", "rate_limit", None), retry_after=RETRY_AFTER,
    )  # fmt: skip
    # 9: the primary host refuses connections, the mirror is up: the call succeeds there
    yield FaultCase("primary_down_mirror_up", None, where="failover")


FAULTS: list[FaultCase] = list(_faults())


# ========================================================================== the surfaces
@dataclass(frozen=True)
class Surface:
    """One public entry point: ``make(settings, index)`` builds the model, embedder or query
    engine; ``call(target, received)`` calls it once, appending streamed text to
    ``received`` as it arrives, and returns what it answered (or raises)."""

    id: str
    skin: str
    path: str
    model: str
    make: Callable[[dict[str, Any], Any], Any]
    call: Callable[[Any, list[str]], Any]
    streaming: bool = False
    requests: int = 1
    """Requests one call sends (a batch of two sends two)."""
    needs_index: bool = False
    dialects: tuple[str, ...] = ("zhizengzeng", "newapi")
    """The simulator dialects that serve the surface's route (new-api has no /v1/batches)."""


def _lc_chat(kw: dict[str, Any], _: Any) -> ChatZZZ:
    return ChatZZZ(model=CHAT_MODEL, **kw)


def _li_chat(kw: dict[str, Any], _: Any) -> LIChat:
    return LIChat(model=CHAT_MODEL, **kw)


def _lc_invoke(m: ChatZZZ, got: list[str]) -> str:
    return m.invoke(PROMPT).text


def _lc_stream(m: ChatZZZ, got: list[str]) -> str:
    for chunk in m.stream(PROMPT):
        got.append(chunk.text)
    return "".join(got)


async def _lc_ainvoke(m: ChatZZZ, got: list[str]) -> str:
    return (await m.ainvoke(PROMPT)).text


async def _lc_astream(m: ChatZZZ, got: list[str]) -> str:
    async for chunk in m.astream(PROMPT):
        got.append(chunk.text)
    return "".join(got)


def _lc_batch(m: ChatZZZ, got: list[str]) -> list[str]:
    results = m.batch([PROMPT, PROMPT], return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        assert len(errors) == len(results) and len({type(e) for e in errors}) == 1, results
        raise errors[0]
    return [r.text for r in results]


def _li_stream_chat(m: LIChat, got: list[str]) -> str:
    for r in m.stream_chat(ASK):
        got.append(r.delta or "")
    return "".join(got)


async def _li_astream_chat(m: LIChat, got: list[str]) -> str:
    async for r in await m.astream_chat(ASK):
        got.append(r.delta or "")
    return "".join(got)


async def _li_achat(m: LIChat, got: list[str]) -> str:
    return (await m.achat(ASK)).message.content


async def _lc_aembed(m: ZZZEmbeddings, got: list[str]) -> list[list[float]]:
    return await m.aembed_documents(["alpha", "beta"])


async def _li_aembed(m: ZZZEmbedding, got: list[str]) -> list[float]:
    return await m.aget_text_embedding("alpha")


def _lc_docs() -> list[LCDocument]:
    return [LCDocument("Mount Fuji last erupted in 1707.", id="fuji"), LCDocument("Kyoto has temples.", id="kyoto")]


def _li_nodes() -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=d.page_content, id_=d.id)) for d in _lc_docs()]


def _lc_rerank(m: LCRerank, got: list[str]) -> list[tuple[str | None, float]]:
    return [(d.id, d.metadata["relevance_score"]) for d in m.compress_documents(_lc_docs(), QUESTION)]


async def _lc_arerank(m: LCRerank, got: list[str]) -> list[tuple[str | None, float]]:
    return [(d.id, d.metadata["relevance_score"]) for d in await m.acompress_documents(_lc_docs(), QUESTION)]


def _li_rerank(m: LIRerank, got: list[str]) -> list[tuple[str, float | None]]:
    return [(n.node.node_id, n.score) for n in m.postprocess_nodes(_li_nodes(), query_str=QUESTION)]


async def _li_arerank(m: LIRerank, got: list[str]) -> list[tuple[str, float | None]]:
    return [(n.node.node_id, n.score) for n in await m.apostprocess_nodes(_li_nodes(), query_str=QUESTION)]


async def _bulk_chat(settings: dict[str, Any], got: list[str]) -> str:
    """A one-item bulk job: the runner's account stop or recorded per-item failure is raised,
    so the matrix checks that it classifies (and retries) exactly as a single call does."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "out.jsonl")
        items = [{"custom_id": "one", "messages": [{"role": "user", "content": PROMPT}]}]
        # rate_limit_patience=None: a fault injected for good would otherwise be retried for the
        # runner's patience (minutes); the matrix checks the count-based policy a single call has.
        report = await arun_bulk(
            items, out, model=CHAT_MODEL, concurrency=1, progress=False, rate_limit_patience=None, **settings
        )
        error = report.stop_error or report.last_error
        if error is not None:
            raise error
        assert report.complete and report.succeeded == 1
        line = json.loads(out.read_text(encoding="utf-8"))
        return line["response"]["body"]["choices"][0]["message"]["content"]


def _batches(kw: dict[str, Any], _: Any) -> Any:
    return Gateway.from_settings(**kw).batches


BATCH_LINE = b'{"custom_id": "q1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}\n'


def _batch_list(batches: Any, got: list[str]) -> list[str]:
    return [job.id for job in batches.list()]


async def _batch_aupload(batches: Any, got: list[str]) -> bool:
    return (await batches.aupload(BATCH_LINE)).startswith("file-")  # a multipart POST through the openai client


SURFACES: list[Surface] = [
    # LangChain
    Surface("ChatZZZ.invoke", "langchain", CHAT, CHAT_MODEL, _lc_chat, _lc_invoke),
    Surface("ChatZZZ.stream", "langchain", CHAT, CHAT_MODEL, _lc_chat, _lc_stream, streaming=True),
    Surface("ChatZZZ.ainvoke", "langchain", CHAT, CHAT_MODEL, _lc_chat, _lc_ainvoke),
    Surface("ChatZZZ.astream", "langchain", CHAT, CHAT_MODEL, _lc_chat, _lc_astream, streaming=True),
    Surface("ChatZZZ.batch", "langchain", CHAT, CHAT_MODEL, _lc_chat, _lc_batch, requests=2),
    Surface(
        "ZZZ.invoke", "langchain", "/v1/completions", COMPLETION_MODEL,
        lambda kw, _: LCCompletions(model=COMPLETION_MODEL, **kw), lambda m, got: m.invoke(PROMPT),
    ),  # fmt: skip
    Surface(
        "ZZZEmbeddings.embed_documents", "langchain", "/embeddings", EMBEDDING_MODEL,
        lambda kw, _: ZZZEmbeddings(model=EMBEDDING_MODEL, **kw), lambda m, got: m.embed_documents(["alpha", "beta"]),
    ),  # fmt: skip
    Surface(
        "ZZZEmbeddings.aembed_documents", "langchain", "/embeddings", EMBEDDING_MODEL,
        lambda kw, _: ZZZEmbeddings(model=EMBEDDING_MODEL, **kw), _lc_aembed,
    ),  # fmt: skip
    Surface(
        "ZZZRerank.compress_documents", "langchain", RERANK, RERANK_MODEL,
        lambda kw, _: LCRerank(model=RERANK_MODEL, **kw), _lc_rerank,
    ),  # fmt: skip
    Surface(
        "ZZZRerank.acompress_documents", "langchain", RERANK, RERANK_MODEL,
        lambda kw, _: LCRerank(model=RERANK_MODEL, **kw), _lc_arerank,
    ),  # fmt: skip
    # LlamaIndex
    Surface("li.ZZZ.chat", "llamaindex", CHAT, CHAT_MODEL, _li_chat, lambda m, got: m.chat(ASK).message.content),
    Surface("li.ZZZ.stream_chat", "llamaindex", CHAT, CHAT_MODEL, _li_chat, _li_stream_chat, streaming=True),
    Surface("li.ZZZ.achat", "llamaindex", CHAT, CHAT_MODEL, _li_chat, _li_achat),
    Surface("li.ZZZ.astream_chat", "llamaindex", CHAT, CHAT_MODEL, _li_chat, _li_astream_chat, streaming=True),
    Surface("li.ZZZ.complete", "llamaindex", CHAT, CHAT_MODEL, _li_chat, lambda m, got: m.complete(PROMPT).text),
    Surface(
        "li.ZZZEmbedding.get_text_embedding", "llamaindex", "/embeddings", EMBEDDING_MODEL,
        lambda kw, _: ZZZEmbedding(model_name=EMBEDDING_MODEL, **kw), lambda m, got: m.get_text_embedding("alpha"),
    ),  # fmt: skip
    Surface(
        "li.ZZZEmbedding.aget_text_embedding", "llamaindex", "/embeddings", EMBEDDING_MODEL,
        lambda kw, _: ZZZEmbedding(model_name=EMBEDDING_MODEL, **kw), _li_aembed,
    ),  # fmt: skip
    Surface(
        "li.ZZZRerank.postprocess_nodes", "llamaindex", RERANK, RERANK_MODEL,
        lambda kw, _: LIRerank(model=RERANK_MODEL, **kw), _li_rerank,
    ),  # fmt: skip
    Surface(
        "li.ZZZRerank.apostprocess_nodes", "llamaindex", RERANK, RERANK_MODEL,
        lambda kw, _: LIRerank(model=RERANK_MODEL, **kw), _li_arerank,
    ),  # fmt: skip
    Surface(
        "li.query_engine.query", "llamaindex", CHAT, CHAT_MODEL,
        lambda kw, index: index.as_query_engine(llm=LIChat(model=CHAT_MODEL, **kw)),
        lambda engine, got: engine.query(QUESTION).response, needs_index=True,
    ),  # fmt: skip
    # The bulk runner (zzz_core.bulk), shared by both skins' users and `zzz bulk`
    Surface("bulk.arun_bulk", "core", CHAT, CHAT_MODEL, lambda kw, _: dict(kw), _bulk_chat),
    # The Batch API (zzz_core.bulk.batch); creating a job is never repeated, so it is tested
    # apart (tests/integration_tests/test_batch.py), not here where retryable cells expect retries.
    # A GET is sync here: aiohttp itself re-sends an idempotent request once when a pooled
    # connection was reset, which would double the connection_reset cell's request count.
    Surface("BatchClient.aupload", "core", "/v1/files", SAMPLE_MODEL, _batches, _batch_aupload),
    Surface("BatchClient.list", "core", "/v1/batches", SAMPLE_MODEL, _batches, _batch_list,
            dialects=("zhizengzeng",)),  # fmt: skip
]


def _over_httpx(surface: Surface) -> Surface:
    """The same async surface with ``async_transport="httpx"``: where aiohttp is installed
    the default (``"auto"``) sends async calls through it, and both must behave alike."""

    def make(kw: dict[str, Any], index: Any) -> Any:
        return surface.make({**kw, "async_transport": "httpx"}, index)

    return dataclasses.replace(surface, id=f"{surface.id}[httpx]", make=make)


_ASYNC_SURFACES = [s for s in SURFACES if inspect.iscoroutinefunction(s.call)]
SURFACES += [_over_httpx(s) for s in _ASYNC_SURFACES]

CELLS = [
    pytest.param(fault, surface, id=f"{fault.id}-{surface.id}")
    for fault in FAULTS
    for surface in SURFACES
    if (surface.streaming or not fault.stream_only) and fault.dialect in surface.dialects
]


# ============================================================================= fixtures
@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, GatewaySimulator]]:
    """One simulator per dialect, for the whole module."""
    # 智增增 documents no /v1/rerank; rerank=True makes this one serve it, so that the rerank
    # surfaces meet every fault in 智增增's shapes too.
    with GatewaySimulator("zhizengzeng", rerank=True) as zzz, GatewaySimulator("newapi") as newapi:
        yield {"zhizengzeng": zzz, "newapi": newapi}


@pytest.fixture(scope="module")
def rag_sim() -> Iterator[GatewaySimulator]:
    """The query engine's embeddings are served here, so a fault on the LLM's host (even
    connection refused) leaves retrieval working."""
    with GatewaySimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def index(rag_sim: GatewaySimulator) -> VectorStoreIndex:
    embed = ZZZEmbedding(api_key=KEY, base_url=rag_sim.base_url)
    return VectorStoreIndex.from_documents([Document(text="Mount Fuji last erupted in 1707.")], embed_model=embed)


@pytest.fixture(autouse=True)
def _clean(sims: dict[str, GatewaySimulator]) -> Iterator[None]:
    for sim in sims.values():
        sim.clear_faults()
        sim.clear_requests()
    yield
    for sim in sims.values():
        sim.clear_faults()


_baselines: dict[tuple[str, str], Any] = {}


async def _run(surface: Surface, target: Any, got: list[str]) -> Any:
    result = surface.call(target, got)
    if inspect.isawaitable(result):
        result = await result
    return result


# ================================================================================ cells
def _seen(sim: GatewaySimulator, path: str, expected: int) -> int:
    """The requests the simulator saw.  A client that timed out may have closed its socket
    before the simulator's thread read the request, so wait (bounded) for it to catch up."""
    deadline = time.monotonic() + 5.0
    while sim.count(path) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return sim.count(path)


@pytest.mark.asyncio(loop_scope="module")  # one loop: async clients (and their pools) are reused across cells
@pytest.mark.parametrize("fault,surface", CELLS)
async def test_cell(
    fault: FaultCase,
    surface: Surface,
    sims: dict[str, GatewaySimulator],
    refused_url: str,
    request: pytest.FixtureRequest,
    sleeps: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = sims[fault.dialect]
    index = request.getfixturevalue("index") if surface.needs_index else None
    if fault.retry_after is None:
        request.getfixturevalue("no_backoff")
    settings: dict[str, Any] = {"api_key": KEY, "max_retries": MAX_RETRIES, "timeout": fault.timeout}
    if fault.where == "sim":
        settings.update(base_url=sim.base_url, mirrors=[])
        assert fault.fault is not None
        sim.inject(fault.fault, times=None, path=surface.path)
    elif fault.where == "refused":
        settings.update(base_url=refused_url, mirrors=[])
    else:  # failover
        settings.update(base_url=refused_url, mirrors=[sim.base_url])
    target = surface.make(settings, index)
    caplog.set_level(logging.DEBUG)
    got: list[str] = []

    if fault.expect is None:
        result = await _run(surface, target, got)
        assert sim.count(surface.path) == surface.requests  # every request answered by the mirror
        key = (surface.id, fault.dialect)
        if key not in _baselines:  # the same call straight to the simulator
            healthy = surface.make({"api_key": KEY, "base_url": sim.base_url, "mirrors": []}, index)
            _baselines[key] = await _run(surface, healthy, [])
        assert result == _baselines[key]
        assert KEY not in caplog.text
        return

    with pytest.raises(E.ZZZError) as info:
        await _run(surface, target, got)
    exc = info.value

    assert_typed(exc, fault.expect, surface.skin)
    assert exc.retryable is fault.retryable
    assert exc.attempts == fault.attempts
    if fault.where == "sim":
        assert _seen(sim, surface.path, fault.attempts * surface.requests) == fault.attempts * surface.requests
        assert exc.host == f"127.0.0.1:{sim.port}"
    else:
        assert sim.count() == 0
        assert exc.hosts_tried == (refused_url.split("/")[2],)
    if fault.msgs is not None:
        assert exc.msg in fault.msgs(surface.model), (exc.msg, fault.msgs(surface.model))
        assert exc.msg in str(exc)
    if fault.text is not None:
        assert fault.text in str(exc), str(exc)
    if fault.after_content:
        assert got and exc.partial_content and exc.partial_content == "".join(got)
    if fault.retry_after is not None:
        assert exc.retry_after == fault.retry_after
        assert sleeps.waits == [fault.retry_after] * (MAX_RETRIES * surface.requests)
    assert_no_secret(exc, caplog)


# ===================================================================== the Ray Data callables
# zzz_core.bulk.ray's map_batches callables record a failure in the row instead of raising
# it, so they get cells of their own: every non-stream fault x a callable built from each
# skin's model.  The callable runs here, in-process, as a Ray worker runs it
# (tests/integration_tests/test_ray.py runs it on a local Ray).  A cell asserts the row's
# status (account stops: not sent, so a rerun sends it; other failures: recorded), the error
# class, ``retryable``, the gateway's msg, the attempts the simulator saw, and no key in the
# row, its results line, the pickled callable or the log.
@dataclass(frozen=True)
class RaySurface:
    id: str
    path: str
    model: str
    make: Callable[[dict[str, Any]], Any]
    batch: dict[str, list[Any]]
    answer: str


RAY_SURFACES = [
    RaySurface(
        "ChatRows(ChatZZZ)",
        CHAT,
        CHAT_MODEL,
        lambda kw: ChatRows(ChatZZZ(model=CHAT_MODEL, **kw), rate_limit_patience=None),
        {"prompt": [PROMPT]},
        "content",
    ),  # fmt: skip
    RaySurface(
        "EmbeddingRows(li.ZZZEmbedding)",
        "/embeddings",
        EMBEDDING_MODEL,
        lambda kw: EmbeddingRows(ZZZEmbedding(model_name=EMBEDDING_MODEL, **kw), rate_limit_patience=None),
        {"text": ["alpha"]},
        "embedding",
    ),  # fmt: skip
]
RAY_CELLS = [
    pytest.param(fault, surface, id=f"{fault.id}-ray.{surface.id}")
    for fault in FAULTS
    if not fault.stream_only
    for surface in RAY_SURFACES
]


@pytest.mark.parametrize("fault,surface", RAY_CELLS)
def test_ray_cell(
    fault: FaultCase,
    surface: RaySurface,
    sims: dict[str, GatewaySimulator],
    refused_url: str,
    request: pytest.FixtureRequest,
    sleeps: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = sims[fault.dialect]
    if fault.retry_after is None:
        request.getfixturevalue("no_backoff")
    settings: dict[str, Any] = {"api_key": KEY, "max_retries": MAX_RETRIES, "timeout": fault.timeout}
    if fault.where == "sim":
        settings.update(base_url=sim.base_url, mirrors=[])
        assert fault.fault is not None
        sim.inject(fault.fault, times=None, path=surface.path)
    elif fault.where == "refused":
        settings.update(base_url=refused_url, mirrors=[])
    else:  # failover
        settings.update(base_url=refused_url, mirrors=[sim.base_url])
    rows = surface.make(settings)
    caplog.set_level(logging.DEBUG)
    out = rows(surface.batch)
    (status,), (error,), (result,) = out["status"], out["error"], out["result"]

    if fault.expect is None:
        assert status == "ok" and error is None and out[surface.answer][0]
        assert sim.count(surface.path) == 1  # answered by the mirror
    elif issubclass(fault.expect, ACCOUNT_STOPS):
        # an account stop ends the run: the row is not written, so the rerun sends it
        assert status == "not_sent" and result is None and out[surface.answer] == [None]
        assert error.startswith(f"{fault.expect.__name__}: "), error
        assert _seen(sim, surface.path, 1) == 1
    else:
        assert status == "failed" and out[surface.answer] == [None]
        line = json.loads(result)["error"]
        assert line["class"] == fault.expect.__name__ and error.startswith(f"{fault.expect.__name__}: ")
        assert line["retryable"] is fault.retryable
        if fault.where == "sim":
            assert _seen(sim, surface.path, fault.attempts) == fault.attempts
        else:
            assert sim.count() == 0
        if fault.msgs is not None:
            assert line["msg"] in fault.msgs(surface.model), (line["msg"], fault.msgs(surface.model))
        if fault.text is not None:
            assert fault.text in line["message"], line["message"]
        if fault.retry_after is not None:
            assert sleeps.waits == [fault.retry_after] * MAX_RETRIES
    for text in (repr(out), caplog.text, repr(pickle.dumps(rows))):
        assert KEY not in text and KEY_FRAGMENT not in text


def test_matrix_size() -> None:
    """The size reported in docs/reliability.md."""
    streaming = sum(s.streaming for s in SURFACES)
    both = sum(not f.stream_only for f in FAULTS)
    stream_only = sum(f.stream_only for f in FAULTS)
    newapi_only_gaps = sum(not f.stream_only and f.dialect == "newapi" for f in FAULTS) * sum(
        "newapi" not in s.dialects for s in SURFACES
    )
    assert len(CELLS) == both * len(SURFACES) + stream_only * streaming - newapi_only_gaps
    assert len(RAY_CELLS) == both * len(RAY_SURFACES)
    print(f"\nfault matrix: {len(FAULTS)} faults ({stream_only} stream-only) x {len(SURFACES)} surfaces "
          f"({streaming} streaming) = {len(CELLS)} cells")  # fmt: skip


# ======================================================================== the pricing fetch
# new-api's GET /api/pricing is read once per process, the first time a cost is asked for.
# Every fault that can hit a plain JSON request is injected there (on the new-api
# simulator): the call it was fetched for still succeeds, priced from the next source
# (the built-in list price), with exactly one warning, and the fetch is not repeated.
PRICING_FAULTS = [f for f in FAULTS if not f.stream_only and f.where == "sim"]


def _lc_priced(kw: dict[str, Any]) -> Any:
    return ChatZZZ(model=CHAT_MODEL, gateway="4z", **kw).invoke(PROMPT).response_metadata


async def _lc_apriced(kw: dict[str, Any]) -> Any:
    return (await ChatZZZ(model=CHAT_MODEL, gateway="4z", **kw).ainvoke(PROMPT)).response_metadata


async def _li_apriced(kw: dict[str, Any]) -> Any:
    return (await LIChat(model=CHAT_MODEL, gateway="4z", **kw).achat(ASK)).additional_kwargs


def _li_priced(kw: dict[str, Any]) -> Any:
    return LIChat(model=CHAT_MODEL, gateway="4z", **kw).chat(ASK).additional_kwargs


PRICED_SURFACES = {"lc_invoke": _lc_priced, "lc_ainvoke": _lc_apriced, "li_chat": _li_priced, "li_achat": _li_apriced}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("surface", sorted(PRICED_SURFACES))
@pytest.mark.parametrize("fault", PRICING_FAULTS, ids=lambda f: f.id)
async def test_pricing_fetch_fault_degrades_to_the_next_source(
    fault: FaultCase, surface: str, sims: dict[str, GatewaySimulator], sleeps: Any, request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from zzz_core.pricing import PricingWarning, reset_price_cache

    if fault.retry_after is None:
        request.getfixturevalue("no_backoff")
    reset_price_cache()
    sim = sims["newapi"]
    assert fault.fault is not None
    sim.inject(fault.fault, times=None, path="/api/pricing")
    settings = {"api_key": KEY, "base_url": sim.base_url, "mirrors": [], "max_retries": MAX_RETRIES,
                "timeout": fault.timeout}  # fmt: skip
    caplog.set_level(logging.DEBUG)
    with pytest.warns(PricingWarning) as caught:
        metas = [await _run_priced(PRICED_SURFACES[surface], settings)]
        # Sent once, retried per the one retry policy (a new-api error object on this route comes
        # with HTTP 200, where an unknown code reads as a server fault and is retried) ...
        fetched = _seen(sim, "/api/pricing", 1)
        assert fetched in (1, 1 + MAX_RETRIES) and (fault.attempts == 1 or fetched == fault.attempts)
        metas.append(await _run_priced(PRICED_SURFACES[surface], settings))
    assert sim.count("/api/pricing") == fetched  # ... and not again for the next call
    fetch_warnings = [str(w.message) for w in caught if "/api/pricing" in str(w.message)]
    assert len(fetch_warnings) == 1 and KEY not in fetch_warnings[0]
    for meta in metas:
        assert meta["cost"]["source"].startswith("list price https://openai.com/"), meta["cost"]
        assert meta["cost"]["amount"] > 0
    assert sim.count(CHAT) == 2
    assert KEY not in caplog.text
    reset_price_cache()


async def _run_priced(call: Callable[[dict[str, Any]], Any], settings: dict[str, Any]) -> Any:
    result = call(settings)
    return await result if inspect.isawaitable(result) else result


@pytest.mark.asyncio(loop_scope="module")
async def test_pricing_without_status_uses_new_api_defaults(sims: dict[str, GatewaySimulator]) -> None:
    from zzz_core.pricing import reset_price_cache

    reset_price_cache()
    sim = sims["newapi"]
    sim.inject(Fault.error("server_error"), times=None, path="/api/status")
    meta = _lc_priced({"api_key": KEY, "base_url": sim.base_url, "mirrors": [], "max_retries": 0})
    assert meta["cost"]["source"].endswith("/api/pricing (group default ×1)")  # 500000 quota per USD
    reset_price_cache()


# ===================================================================== the negotiation path
def _negotiation_rule(surface: Surface) -> str | None:
    """The parameter each surface sends by default that a model can reject (zzz_testing.rejections)."""
    if surface.skin not in ("langchain", "llamaindex") or surface.path not in (CHAT, "/v1/completions", "/embeddings"):
        return None  # rerank sends nothing optional; the bulk runner and Batch API are tested apart
    if surface.path == "/embeddings":
        return "encoding_format"  # the base64 fallback, one case of negotiation
    return "stream_options" if surface.streaming else "max_tokens"


NEGOTIATION_CELLS = [
    pytest.param(dialect, surface, id=f"negotiation:{_negotiation_rule(surface)}:{dialect}-{surface.id}")
    for dialect in ("zhizengzeng", "newapi")
    for surface in SURFACES
    if _negotiation_rule(surface) is not None
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("dialect,surface", NEGOTIATION_CELLS)
async def test_negotiation_cell(
    dialect: str,
    surface: Surface,
    sims: dict[str, GatewaySimulator],
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The model rejects a parameter the surface sends (the real message, param and code): the call
    succeeds after one adjusted resend per request, and the next identical call sends each request once."""
    from zzz_core import negotiation

    sim = sims[dialect]
    rule = _negotiation_rule(surface)
    index = request.getfixturevalue("index") if surface.needs_index else None
    settings: dict[str, Any] = {"api_key": KEY, "base_url": sim.base_url, "mirrors": [], "max_retries": 0}
    if rule == "max_tokens" and surface.path == CHAT:
        settings["max_tokens"] = 64
    negotiation.forget()
    sim.reject(surface.model, rule)
    caplog.set_level(logging.DEBUG)
    try:
        target = surface.make(settings, index)
        assert await _run(surface, target, [])
        first = sim.count(surface.path)
        assert surface.requests < first <= 2 * surface.requests
        assert await _run(surface, target, [])
        assert sim.count(surface.path) - first == surface.requests
        warned = [r.getMessage() for r in caplog.records if "rejected the parameter" in r.getMessage()]
        assert any(repr(rule) in text for text in warned)
        assert KEY not in caplog.text
    finally:
        sim.clear_rejections()
        negotiation.forget()


# ------------------------------- structured output: json_schema -> a forced function call -> JSON mode
class Forecast(BaseModel):
    city: str
    days: int


FORECAST = "Forecast for Paris for 3 days"
FORECAST_PROMPT = PromptTemplate("Forecast for {city} for 3 days")
JSON_SCHEMA_PROFILE = {"profile_overrides": {"json_schema": True, "structured_output_method": "json_schema"}}


def _lc_structured(kw: dict[str, Any], _: Any) -> Any:
    return ChatZZZ(model=CHAT_MODEL, **kw).with_structured_output(Forecast, method="json_schema")


def _li_structured(kw: dict[str, Any], _: Any) -> LIChat:
    return LIChat(model=CHAT_MODEL, **kw, **JSON_SCHEMA_PROFILE)


async def _lc_structured_astream(m: Any, got: list[str]) -> Any:
    return [part async for part in m.astream(FORECAST)][-1]


async def _li_astream_structured(m: LIChat, got: list[str]) -> Any:
    return [part async for part in await m.astream_structured_predict(Forecast, FORECAST_PROMPT, city="Paris")][-1]


async def _li_astructured(m: LIChat, got: list[str]) -> Any:
    return await m.astructured_predict(Forecast, FORECAST_PROMPT, city="Paris")


async def _lc_structured_ainvoke(m: Any, got: list[str]) -> Any:
    return await m.ainvoke(FORECAST)


STRUCTURED_SURFACES = [
    Surface("ChatZZZ.with_structured_output.invoke", "langchain", CHAT, CHAT_MODEL, _lc_structured,
            lambda m, got: m.invoke(FORECAST)),
    Surface("ChatZZZ.with_structured_output.stream", "langchain", CHAT, CHAT_MODEL, _lc_structured,
            lambda m, got: list(m.stream(FORECAST))[-1], streaming=True),
    Surface("ChatZZZ.with_structured_output.ainvoke", "langchain", CHAT, CHAT_MODEL, _lc_structured,
            _lc_structured_ainvoke),
    Surface("ChatZZZ.with_structured_output.astream", "langchain", CHAT, CHAT_MODEL, _lc_structured,
            _lc_structured_astream, streaming=True),
    Surface("li.ZZZ.structured_predict", "llamaindex", CHAT, CHAT_MODEL, _li_structured,
            lambda m, got: m.structured_predict(Forecast, FORECAST_PROMPT, city="Paris")),
    Surface("li.ZZZ.stream_structured_predict", "llamaindex", CHAT, CHAT_MODEL, _li_structured,
            lambda m, got: list(m.stream_structured_predict(Forecast, FORECAST_PROMPT, city="Paris"))[-1],
            streaming=True),
    Surface("li.ZZZ.astructured_predict", "llamaindex", CHAT, CHAT_MODEL, _li_structured, _li_astructured),
    Surface("li.ZZZ.astream_structured_predict", "llamaindex", CHAT, CHAT_MODEL, _li_structured,
            _li_astream_structured, streaming=True),
]  # fmt: skip
STRUCTURED_SURFACES += [_over_httpx(s) for s in STRUCTURED_SURFACES if inspect.iscoroutinefunction(s.call)]
#: the rules the model has -> the requests the first call sends (json_schema, the forced call, JSON mode);
#: "ignores_tools": the model takes tools but answers in text, so the forced call never comes
STRUCTURED_RULES = {("json_schema",): 2, ("json_schema", "tools"): 3, ("json_schema", "ignores_tools"): 3}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    "dialect,surface,rules",
    [
        pytest.param(dialect, surface, rules, id=f"negotiation:{'+'.join(rules)}:{dialect}-{surface.id}")
        for dialect in ("zhizengzeng", "newapi")
        for surface in STRUCTURED_SURFACES
        for rules in STRUCTURED_RULES
    ],
)
async def test_structured_negotiation_cell(
    dialect: str,
    surface: Surface,
    rules: tuple[str, ...],
    sims: dict[str, GatewaySimulator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The model rejects ``json_schema`` (and function calling, or answers without the forced
    call): the structured call still returns the parsed type, after one forced function call
    (and JSON mode), and the next identical call sends one request."""
    from zzz_core import negotiation

    sim = sims[dialect]
    settings: dict[str, Any] = {"api_key": KEY, "base_url": sim.base_url, "mirrors": [], "max_retries": 0}
    negotiation.forget()
    sim.reject(surface.model, *rules)
    caplog.set_level(logging.DEBUG)
    try:
        target = surface.make(settings, None)
        before = sim.count(surface.path)
        result = await _run(surface, target, [])
        assert isinstance(result, Forecast) and result.city and isinstance(result.days, int)
        first = sim.count(surface.path) - before
        assert first == STRUCTURED_RULES[rules]
        assert isinstance(await _run(surface, target, []), Forecast)
        assert sim.count(surface.path) - before - first == 1
        warned = [r.getMessage() for r in caplog.records if "for this model and host from now on" in r.getMessage()]
        assert len(warned) == len(rules) and "'response_format'" in warned[0]
        assert KEY not in caplog.text
    finally:
        sim.clear_rejections()
        negotiation.forget()
