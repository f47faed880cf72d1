"""The README's demo: LangChain and LlamaIndex through a relay gateway, in six steps.

    bash scripts/demo.sh            # or: python examples/demo.py

1. a LangChain chain streaming tokens (``ChatZZZ``)
2. ``with_structured_output`` into a pydantic model
3. a ``create_agent`` tool loop calling two tools
4. a LlamaIndex RAG query over ``examples/docs/``: retrieve (``ZZZEmbedding``), rerank
   (``ZZZRerank``, scores printed), answer (``ZZZ``), citing its source
5. a reasoning model's thinking shown apart from its answer
6. a gateway error (insufficient balance) caught as a typed exception

With no ``ZZZ_API_KEY`` it starts the gateway simulator (``zzz_testing``) on 127.0.0.1 and
runs against it (nothing leaves the machine).  With a key it runs the same code
against the real gateway (``ZZZ_GATEWAY``/``ZZZ_BASE_URL`` choose which), skips
the injected error of step 6 in favour of a harmless real one, and reports the
account balance at the end.  Models: ``ZZZ_DEMO_CHAT_MODEL`` (default
gpt-4o-mini), ``ZZZ_DEMO_REASONING_MODEL`` (deepseek-reasoner),
``ZZZ_DEMO_EMBED_MODEL`` (text-embedding-3-small), ``ZZZ_DEMO_RERANK_MODEL``
(bge-reranker-v2-m3; 智增增 has no rerank route, so there step 4 says so and answers from
the retrieval order).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from zzz_core import EndpointNotSupportedError, Gateway, InsufficientBalanceError, ZZZConfig, ZZZError

DOCS = Path(__file__).resolve().parent / "docs"
CHAT_MODEL = os.environ.get("ZZZ_DEMO_CHAT_MODEL") or "gpt-4o-mini"
REASONING_MODEL = os.environ.get("ZZZ_DEMO_REASONING_MODEL") or "deepseek-reasoner"
EMBED_MODEL = os.environ.get("ZZZ_DEMO_EMBED_MODEL") or "text-embedding-3-small"
RERANK_MODEL = os.environ.get("ZZZ_DEMO_RERANK_MODEL") or "bge-reranker-v2-m3"
SIMULATOR_KEY = "sk-zk-demo-simulator-key"


# --------------------------------------------------------------------------- 1
def chain_streaming() -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from langchain_zzz import ChatZZZ

    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "Answer in one sentence. Facts: zzz-relay connects LangChain and LlamaIndex to relay "
                       "gateways. One gateway key reaches gpt, claude, gemini, deepseek and qwen models."),
            ("human", "{question}"),
        ]
    )  # fmt: skip
    chain = prompt | ChatZZZ(model=CHAT_MODEL) | StrOutputParser()
    question = "Which models does one gateway key reach?"
    print(f"Q: {question}\nA: ", end="", flush=True)
    chunks = 0
    for token in chain.stream({"question": question}):
        print(token, end="", flush=True)
        chunks += 1
    print(f"\n   ({chunks} chunks streamed)")


# --------------------------------------------------------------------------- 2
class TeaOrder(BaseModel):
    """An order for tea."""

    tea: str = Field(description="the tea's name")
    grams: int = Field(description="how many grams")
    ship_to: str = Field(description="the city to ship to")


def structured_output() -> None:
    from langchain_zzz import ChatZZZ

    extractor = ChatZZZ(model=CHAT_MODEL).with_structured_output(TeaOrder)
    text = 'I would like 250 grams of "Longjing"; ship to Hangzhou, please.'
    order = extractor.invoke(text)
    print(f"text:   {text}")
    print(f"parsed: {order!r}")
    assert isinstance(order, TeaOrder)


# --------------------------------------------------------------------------- 3
def agent_tool_loop() -> None:
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.tools import tool

    from langchain_zzz import ChatZZZ

    @tool
    def get_weather(city: str) -> str:
        """Today's weather in a city."""
        return f"sunny and 23 °C in {city}"  # canned, for the demo

    @tool
    def get_local_time(city: str) -> str:
        """The local time in a city in China (UTC+8)."""
        return f"{datetime.now(timezone(timedelta(hours=8))):%H:%M} in {city}"

    agent = create_agent(ChatZZZ(model=CHAT_MODEL), tools=[get_weather, get_local_time])
    question = "Use get_weather and get_local_time for Hangzhou."
    print(f"Q: {question}")
    for step in agent.stream({"messages": [("user", question)]}, stream_mode="updates"):
        for update in step.values():
            for msg in (update or {}).get("messages", []):
                if isinstance(msg, AIMessage) and msg.tool_calls:
                    for call in msg.tool_calls:
                        args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
                        print(f"   model calls  {call['name']}({args})")
                elif isinstance(msg, ToolMessage):
                    print(f"   tool answers {msg.name}: {msg.content}")
                elif isinstance(msg, AIMessage):
                    print(f"A: {msg.text}")


# --------------------------------------------------------------------------- 4
def rag_query() -> None:
    from llama_index.core import Document, VectorStoreIndex, get_response_synthesizer
    from llama_index.core.llms import ChatMessage
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.prompts import ChatPromptTemplate
    from llama_index.core.schema import MetadataMode

    from llamaindex_zzz import ZZZ, ZZZEmbedding, ZZZRerank

    documents = [Document(text=p.read_text(encoding="utf-8"), metadata={"file_name": p.name})
                 for p in sorted(DOCS.glob("*.md"))]  # fmt: skip
    nodes = SentenceSplitter(chunk_size=64, chunk_overlap=0).get_nodes_from_documents(documents)
    embed_model = ZZZEmbedding(model_name=EMBED_MODEL)

    # Embed in small batches to show progress (VectorStoreIndex.from_documents(..., show_progress=True)
    # does the same with a tqdm bar).
    print(f"embedding {len(nodes)} chunks of {len(documents)} documents with {EMBED_MODEL}: ", end="", flush=True)
    started = time.perf_counter()
    for start in range(0, len(nodes), 2):
        batch = nodes[start : start + 2]
        vectors = embed_model.get_text_embedding_batch([n.get_content(MetadataMode.EMBED) for n in batch])
        for node, vector in zip(batch, vectors, strict=True):
            node.embedding = vector
        print(f"{start + len(batch)}/{len(nodes)} ", end="", flush=True)
    print(f"done in {time.perf_counter() - started:.2f} s")

    # Retrieve generously, then let a rerank model pick what the answer is built from.  (In a
    # query engine: index.as_query_engine(similarity_top_k=4, node_postprocessors=[reranker]).)
    question = "Within how many days can unopened tins be returned?"
    retrieved = VectorStoreIndex(nodes, embed_model=embed_model).as_retriever(similarity_top_k=4).retrieve(question)
    print(f"Q: {question}\nretrieved {len(retrieved)} chunks by embedding similarity:")
    for n in retrieved:
        print(f"   {n.score:.2f}  {n.metadata['file_name']}: {_snippet(n.node.get_content())}")
    reranker = ZZZRerank(model=RERANK_MODEL, top_n=2)
    try:
        context = reranker.postprocess_nodes(retrieved, query_str=question)
        print(f"reranked with {RERANK_MODEL}, top {len(context)} kept:")
        for n in context:
            print(f"   {n.score:.2f}  {n.metadata['file_name']}: {_snippet(n.node.get_content())}")
    except EndpointNotSupportedError:
        context = retrieved[:2]
        print("   (this gateway has no /v1/rerank -- 智增增 documents none; answering from the retrieval order)")
    qa_prompt = ChatPromptTemplate(
        [
            ChatMessage(role="system", content="Answer from this context only, in one sentence.\n{context_str}"),
            ChatMessage(role="user", content="{query_str}"),
        ]
    )
    synthesizer = get_response_synthesizer(llm=ZZZ(model=CHAT_MODEL), text_qa_template=qa_prompt)
    response = synthesizer.synthesize(question, nodes=context)
    print(f"A: {response}")
    print(f"   source: examples/docs/{context[0].metadata['file_name']} (score {context[0].score:.2f})")


def _snippet(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------- 5
def reasoning() -> None:
    from langchain_zzz import ChatZZZ

    question = "Which is larger, 9.11 or 9.9?"
    print(f"Q: {question}")
    shown = None
    for chunk in ChatZZZ(model=REASONING_MODEL).stream(question):
        for kind, text in (("thinking", chunk.additional_kwargs.get("reasoning_content")), ("answer", chunk.text)):
            if text:
                if kind != shown:
                    print(f"\n[{kind}] " if shown else f"[{kind}] ", end="")
                    shown = kind
                print(text, end="", flush=True)
    print()


# --------------------------------------------------------------------------- 6
def typed_error(sim: object | None) -> None:
    import openai
    from langchain_core.exceptions import ModelPermissionDeniedError

    from langchain_zzz import ChatZZZ

    llm = ChatZZZ(model=CHAT_MODEL)
    if sim is None:
        # Against the real gateway: a model that does not exist gives a harmless typed error.
        try:
            ChatZZZ(model="zzz-demo-no-such-model").invoke("hello")
            print("the gateway answered a made-up model name without an error")
        except ZZZError as exc:
            print(f"caught {type(exc).__name__} (retryable={exc.retryable}): {exc}")
        print("(the insufficient-balance error is injected only in the simulator)")
        return

    from zzz_testing import Fault

    # The next call fails as 智增增 does when the account is empty: HTTP 200 and
    # {"code": 1001, "msg": "余额不足…"} instead of a completion.  ChatOpenAI dies here with
    # "TypeError: Received response with null value for choices".
    sim.inject(Fault.error("balance", shape="envelope_200"))  # type: ignore[attr-defined]
    try:
        llm.invoke("hello")
    except InsufficientBalanceError as exc:
        print(f"caught {type(exc).__name__}: {exc}")
        print(f"   code={exc.code!r} msg={exc.msg!r} HTTP {exc.status_code} retryable={exc.retryable}")
        print(f"   also an openai.PermissionDeniedError: {isinstance(exc, openai.PermissionDeniedError)}, "
              f"a LangChain ModelPermissionDeniedError: {isinstance(exc, ModelPermissionDeniedError)}")  # fmt: skip


# ------------------------------------------------------------------------ main
STEPS: list[tuple[str, Callable[..., None]]] = [
    (f"1. LangChain: a chain streaming tokens ({CHAT_MODEL})", chain_streaming),
    ("2. LangChain: with_structured_output into a pydantic model", structured_output),
    ("3. LangChain: a create_agent tool loop calling two tools", agent_tool_loop),
    (
        f"4. LlamaIndex: RAG over examples/docs/ with ZZZEmbedding ({EMBED_MODEL}), ZZZRerank ({RERANK_MODEL}) and ZZZ",
        rag_query,
    ),
    (f"5. Reasoning: {REASONING_MODEL}'s thinking apart from its answer", reasoning),
    ("6. A gateway error, caught as a typed exception", typed_error),
]


@contextlib.contextmanager
def gateway() -> Iterator[object | None]:
    """The simulator (started, with the environment pointing at it) when no key is set, else None."""
    if os.environ.get("ZZZ_API_KEY"):
        config = ZZZConfig.resolve()
        print(f"Running against the real gateway {config.base_url} (ZZZ_API_KEY is set).")
        yield None
        return
    from zzz_testing import GatewaySimulator

    # 智增增 documents no /v1/rerank; the simulator serves it here (rerank=True) so that step 4
    # can show the rerank step offline, as 4Z-API (new-api) serves it for real.
    with GatewaySimulator("zhizengzeng", rerank=True) as sim:
        os.environ.pop("ZZZ_MIRRORS", None)
        os.environ.update(ZZZ_API_KEY=SIMULATOR_KEY, ZZZ_BASE_URL=sim.base_url, ZZZ_GATEWAY="zhizengzeng")
        print(f"Running against the embedded gateway simulator at {sim.base_url}: no ZZZ_API_KEY is set "
              "(set it to run against the real gateway).")  # fmt: skip
        try:
            yield sim
        finally:
            for name in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY"):
                os.environ.pop(name, None)


def main() -> int:
    started = time.perf_counter()
    failed = []
    with gateway() as sim:
        for title, step in STEPS:
            print(f"\n== {title}")
            try:
                step(sim) if step is typed_error else step()
            except Exception as exc:  # noqa: BLE001 - report and go on with the next step
                failed.append(title)
                if isinstance(exc, ZZZError):
                    print(f"\n!! failed with {type(exc).__name__}: {exc}")
                else:
                    traceback.print_exc()
        print("\n== Balance")
        try:
            balance = Gateway.from_settings().balance()
            print(f"remaining: {balance.remaining:.4f} {balance.currency or ''}".rstrip()
                  + (" (simulated)" if sim is not None else ""))  # fmt: skip
        except ZZZError as exc:
            failed.append("balance")
            print(f"!! could not read the balance: {type(exc).__name__}: {exc}")
    print(f"\nDone in {time.perf_counter() - started:.1f} s" + (f"; failed: {', '.join(failed)}" if failed else "."))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
