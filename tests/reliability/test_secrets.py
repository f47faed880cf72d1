"""The key never shows, and is never sent in clear text to a remote host by accident.

Every public surface of both skins runs with a recognisable fake key (successes, streams,
gateway errors, retried failures, a broken stream), and everything observable is scanned
for it (and for its recognisable middle, so a partly redacted key counts too):

* the objects: ``repr``/``str``, pydantic dumps, pickles; LangChain's ``dumps``/``dumpd``,
  ``_get_ls_params``, ``_identifying_params``; LlamaIndex's ``to_json``/``to_dict``;
* every exception, its cause/context chain, ``repr`` and pickle;
* the log records of every logger at DEBUG (caplog on the root logger);
* LangChain callback payloads (a handler recording the arguments of every ``on_*``);
* LlamaIndex instrumentation (an event handler and a span handler on the root dispatcher,
  recording every event, span argument, result and error) and legacy callback payloads.

And a plain ``http://`` base URL or mirror on a non-loopback host is refused by both
skins' constructors unless ``allow_insecure_http=True``.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler as LCCallbackHandler
from langchain_core.load import dumpd, dumps
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.callbacks import CallbackManager
from llama_index.core.callbacks.base_handler import BaseCallbackHandler as LICallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
from llama_index.core.llms import ChatMessage
from reliability_kit import KEY, KEY_FRAGMENT, assert_no_secret

from langchain_zzz import ZZZ as LCCompletions
from langchain_zzz import ChatZZZ, ZZZEmbeddings
from llamaindex_zzz import ZZZ as LIChat
from llamaindex_zzz import ZZZEmbedding
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

pytestmark = pytest.mark.timeout(60)

ASK = [ChatMessage(role="user", content="Tell me about Mount Fuji")]


@pytest.fixture
def sim(no_backoff: None) -> Iterator[GatewaySimulator]:
    with GatewaySimulator() as s:
        yield s


class Seen:
    """Everything observable, as text, with where it came from."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, value: Any) -> None:
        self.items.append((where, value if isinstance(value, str) else repr(value)))

    def add_pickle(self, where: str, obj: Any) -> None:
        self.items.append((where, repr(pickle.dumps(obj))))

    def error(self, where: str, exc: BaseException) -> None:
        assert isinstance(exc, E.ZZZError), repr(exc)
        assert_no_secret(exc)
        self.add(where, exc)

    def check(self, caplog: pytest.LogCaptureFixture) -> None:
        self.add("logs", caplog.text)
        for record in caplog.records:
            self.add(f"log record {record.name}", record.__dict__)
        assert len(self.items) > 20
        leaks = [where for where, text in self.items if KEY in text or KEY_FRAGMENT in text]
        assert not leaks, leaks


# ------------------------------------------------------------------------ LangChain
class LCRecorder(LCCallbackHandler):
    """Records the arguments of every LangChain callback."""

    raise_error = True  # a recording that fails must fail the test, not be logged away

    def __init__(self, seen: Seen) -> None:
        self.seen = seen
        self.calls = 0


def _lc_recording(name: str) -> Any:
    def record(self: LCRecorder, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        self.seen.add(f"langchain callback {name}", (args, kwargs))

    return record


for _name in [n for n in dir(LCCallbackHandler) if n.startswith("on_")]:
    setattr(LCRecorder, _name, _lc_recording(_name))


async def test_langchain_surfaces_never_show_the_key(sim: GatewaySimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen = Seen()
    recorder = LCRecorder(seen)
    cfg = {"callbacks": [recorder]}
    common = {"api_key": KEY, "base_url": sim.base_url, "mirrors": [], "max_retries": 1}
    chat = ChatZZZ(model="deepseek-reasoner", temperature=0.3, **common)
    llm = LCCompletions(model="gpt-3.5-turbo-instruct", **common)
    emb = ZZZEmbeddings(model="text-embedding-3-small", **common)

    seen.add("chat.invoke", chat.invoke("hello", config=cfg))
    seen.add("chat.stream", list(chat.stream("hello", config=cfg)))
    seen.add("chat.ainvoke", await chat.ainvoke("hello", config=cfg))
    seen.add("chat.astream", [c async for c in chat.astream("hello", config=cfg)])
    seen.add("chat.batch", chat.batch(["a", "b"], config=cfg))
    schema = {"title": "Answer", "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    seen.add("chat.with_structured_output", chat.with_structured_output(schema).invoke("x", config=cfg))
    seen.add("llm.invoke", llm.invoke("hello", config=cfg))
    seen.add("llm.stream", list(llm.stream("hello", config=cfg)))
    seen.add("emb.embed_documents", emb.embed_documents(["a", "b"]))
    seen.add("emb.aembed_query", await emb.aembed_query("a"))

    # failures: rejected, retried then raised, broken after content
    for fault, call in [
        (Fault.error("auth"), lambda: chat.invoke("hello", config=cfg)),
        (Fault.error("server_error"), lambda: list(chat.stream("hello", config=cfg))),
        (Fault.mid_stream_drop(2), lambda: list(chat.stream("hello", config=cfg))),
        (Fault.error("balance", shape="envelope_200"), lambda: llm.invoke("hello", config=cfg)),
        (Fault.connection_reset(), lambda: emb.embed_query("a")),
    ]:
        sim.inject(fault, times=None)
        with pytest.raises(E.ZZZError) as info:
            call()
        seen.error(f"error {fault.name}", info.value)
        sim.clear_faults()
    with pytest.raises(E.ZZZError) as info:
        sim.inject(Fault.rate_limit(retry_after=0), times=None)
        await chat.ainvoke("hello", config=cfg)
    seen.error("error rate_limit (async)", info.value)
    sim.clear_faults()

    for name, model in (("chat", chat), ("llm", llm), ("emb", emb)):
        seen.add(f"{name} repr", model)
        seen.add(f"{name} str", str(model))
        seen.add(f"{name} model_dump", model.model_dump())
        seen.add(f"{name} model_dump_json", model.model_dump_json())
        seen.add(f"{name} config", model.config)
        seen.add_pickle(f"{name} pickle", model)
    for name, model in (("chat", chat), ("llm", llm)):
        seen.add(f"{name} dumps", dumps(model))
        seen.add(f"{name} dumpd", dumpd(model))
        seen.add(f"{name} _get_ls_params", model._get_ls_params())
        seen.add(f"{name} _identifying_params", model._identifying_params)
        params = model._get_invocation_params() if name == "chat" else model._identifying_params
        seen.add(f"{name} invocation params", params)
        assert '"id": ["ZZZ_API_KEY"]' in dumps(model)  # a secret reference, not the value
    assert recorder.calls > 10
    seen.check(caplog)
    assert chat.api_key is not None and chat.api_key.get_secret_value() == KEY  # still usable


# ----------------------------------------------------------------------- LlamaIndex
class LIEvents(BaseEventHandler):
    seen: Any = None

    @classmethod
    def class_name(cls) -> str:
        return "LIEvents"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.seen.add(f"llamaindex event {type(event).__name__}", event)
        try:
            self.seen.add(f"llamaindex event {type(event).__name__} json", event.model_dump_json())
        except Exception:  # noqa: BLE001 - some events hold objects pydantic cannot serialize
            pass


class LISpans(SimpleSpanHandler):
    seen: Any = None

    def new_span(self, id_: str, bound_args: Any, instance: Any = None, parent_span_id: Any = None,
                 tags: Any = None, **kwargs: Any) -> Any:  # fmt: skip
        self.seen.add(f"llamaindex span {id_}", (bound_args.arguments, instance, tags))
        return super().new_span(id_, bound_args, instance, parent_span_id, tags, **kwargs)

    def prepare_to_exit_span(
        self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any
    ) -> Any:
        self.seen.add(f"llamaindex span exit {id_}", result)
        return super().prepare_to_exit_span(id_, bound_args, instance, result, **kwargs)

    def prepare_to_drop_span(
        self, id_: str, bound_args: Any, instance: Any = None, err: Any = None, **kwargs: Any
    ) -> Any:
        self.seen.add(f"llamaindex span drop {id_}", err)
        return super().prepare_to_drop_span(id_, bound_args, instance, err, **kwargs)


class LICallbacks(LICallbackHandler):
    def __init__(self, seen: Seen) -> None:
        super().__init__([], [])
        self.seen = seen

    def on_event_start(
        self, event_type: Any, payload: Any = None, event_id: str = "", parent_id: str = "", **kw: Any
    ) -> str:
        self.seen.add(f"llamaindex callback start {event_type}", (payload, kw))
        return event_id

    def on_event_end(self, event_type: Any, payload: Any = None, event_id: str = "", **kw: Any) -> None:
        self.seen.add(f"llamaindex callback end {event_type}", (payload, kw))

    def start_trace(self, trace_id: Any = None) -> None:
        pass

    def end_trace(self, trace_id: Any = None, trace_map: Any = None) -> None:
        pass


@pytest.fixture
def instrumented() -> Iterator[Seen]:
    seen = Seen()
    dispatcher = get_dispatcher()
    events, spans = LIEvents(), LISpans()
    events.seen = spans.seen = seen
    dispatcher.add_event_handler(events)
    dispatcher.add_span_handler(spans)
    try:
        yield seen
    finally:
        dispatcher.event_handlers.remove(events)
        dispatcher.span_handlers.remove(spans)


async def test_llamaindex_surfaces_never_show_the_key(
    sim: GatewaySimulator, instrumented: Seen, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = instrumented
    callbacks = CallbackManager([LICallbacks(seen)])
    common = {"api_key": KEY, "base_url": sim.base_url, "max_retries": 1, "callback_manager": callbacks}
    llm = LIChat(model="deepseek-reasoner", temperature=0.3, **common)
    embed = ZZZEmbedding(model_name="text-embedding-3-small", **common)

    seen.add("chat", llm.chat(ASK))
    seen.add("stream_chat", list(llm.stream_chat(ASK)))
    seen.add("achat", await llm.achat(ASK))
    seen.add("astream_chat", [r async for r in await llm.astream_chat(ASK)])
    seen.add("complete", llm.complete("hello"))
    seen.add("stream_complete", list(llm.stream_complete("hello")))
    seen.add("acomplete", await llm.acomplete("hello"))
    seen.add("get_text_embedding", embed.get_text_embedding("a"))
    seen.add("aget_text_embedding_batch", await embed.aget_text_embedding_batch(["a", "b"]))
    index = VectorStoreIndex.from_documents([Document(text="Mount Fuji last erupted in 1707.")], embed_model=embed)
    seen.add("query", index.as_query_engine(llm=llm).query("When did Mount Fuji last erupt?"))

    for fault, call in [
        (Fault.error("auth"), lambda: llm.chat(ASK)),
        (Fault.error("server_error"), lambda: list(llm.stream_chat(ASK))),
        (Fault.mid_stream_drop(2), lambda: list(llm.stream_chat(ASK))),
        (Fault.error("balance", shape="error_object"), lambda: llm.complete("hello")),
        (Fault.connection_reset(), lambda: embed.get_text_embedding("a")),
    ]:
        sim.inject(fault, times=None)
        with pytest.raises(E.ZZZError) as info:
            call()
        seen.error(f"error {fault.name}", info.value)
        sim.clear_faults()
    sim.inject(Fault.error("rate_limit"), times=None)
    with pytest.raises(E.ZZZError) as info:
        await llm.achat(ASK)
    seen.error("error rate_limit (async)", info.value)
    sim.clear_faults()

    for name, model in (("llm", llm), ("embed", embed)):
        seen.add(f"{name} repr", model)
        seen.add(f"{name} str", str(model))
        seen.add(f"{name} to_json", model.to_json())
        seen.add(f"{name} to_dict", model.to_dict())
        seen.add(f"{name} model_dump", model.model_dump())
        seen.add(f"{name} _config", model._config)
        seen.add_pickle(f"{name} pickle", model)
    seen.add("metadata", llm.metadata)
    assert any(where.startswith("llamaindex event") for where, _ in seen.items)
    assert any(where.startswith("llamaindex span") for where, _ in seen.items)
    assert any(where.startswith("llamaindex callback") for where, _ in seen.items)
    seen.check(caplog)
    assert llm.api_key is not None and llm.api_key.get_secret_value() == KEY


# ------------------------------------------------------------------ plain http://
CONSTRUCTORS = {
    "ChatZZZ": lambda **kw: ChatZZZ(model="gpt-4o-mini", **kw),
    "ZZZ (langchain)": lambda **kw: LCCompletions(model="gpt-3.5-turbo-instruct", **kw),
    "ZZZEmbeddings": lambda **kw: ZZZEmbeddings(model="text-embedding-3-small", **kw),
    "ZZZ (llamaindex)": lambda **kw: LIChat(model="gpt-4o-mini", **kw),
    "ZZZEmbedding": lambda **kw: ZZZEmbedding(model_name="text-embedding-3-small", **kw),
}
REMOTE_HTTP = [
    {"base_url": "http://gateway.example.com/v1"},
    {"base_url": "http://10.1.2.3:8080/v1"},
    {"base_url": "https://gateway.example.com/v1", "mirrors": ["http://mirror.example.com/v1"]},
]


@pytest.mark.parametrize("settings", REMOTE_HTTP, ids=["host", "private-ip", "mirror"])
@pytest.mark.parametrize("make", list(CONSTRUCTORS.values()), ids=list(CONSTRUCTORS))
def test_plain_http_to_a_remote_host_is_refused_unless_allowed(make: Any, settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="refusing plain http://") as info:
        make(api_key=KEY, **settings)
    assert KEY not in str(info.value) and KEY_FRAGMENT not in repr(info.value)
    model = make(api_key=KEY, allow_insecure_http=True, **settings)  # opted in: built, nothing sent
    config = model._config
    assert config.allow_insecure_http and "http://" in " ".join(config.hosts)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1"])
@pytest.mark.parametrize("make", list(CONSTRUCTORS.values()), ids=list(CONSTRUCTORS))
def test_plain_http_to_loopback_needs_no_opt_in(make: Any, url: str) -> None:
    make(api_key=KEY, base_url=url)


# ------------------------------------------------ the exception chain (regression)
def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@pytest.mark.parametrize(
    "surface,fault",
    [(surface, fault) for surface in ("ChatZZZ.invoke", "ChatZZZ.astream", "li.ZZZ.achat", "li.ZZZ.stream_chat")
     for fault in (Fault.error("auth"), Fault.connection_reset(), Fault.mid_stream_drop(2))
     if "stream" in surface or not fault.stream_only],
    ids=lambda v: v if isinstance(v, str) else v.name,
)  # fmt: skip
async def test_no_exception_in_the_chain_holds_the_authorization_header(
    sim: GatewaySimulator, fault: Fault, surface: str
) -> None:
    """Was: ``raise … from None`` in zzz_core.transport kept the openai/httpx2 exception as
    ``__context__``; its ``request`` carried ``Authorization: Bearer <key>`` (in pickles too)."""
    sim.inject(fault, times=None)
    common = {"model": "gpt-4o-mini", "api_key": KEY, "base_url": sim.base_url, "max_retries": 1}
    with pytest.raises(E.ZZZError) as info:
        if surface == "ChatZZZ.invoke":
            ChatZZZ(**common).invoke("hello")
        elif surface == "ChatZZZ.astream":
            [c async for c in ChatZZZ(**common).astream("hello")]
        elif surface == "li.ZZZ.achat":
            await LIChat(**common).achat(ASK)
        else:
            list(LIChat(**common).stream_chat(ASK))
    for e in _chain(info.value):
        for request in (getattr(e, "request", None), getattr(getattr(e, "response", None), "request", None)):
            if request is not None:
                assert "authorization" not in {k.lower() for k in request.headers}, type(e)
        assert KEY.encode() not in pickle.dumps(e)
