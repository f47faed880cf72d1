"""The contenders: one small adapter per way of reaching the relay, all doing the same work.

Every chat contender answers the same four questions -- ``call()`` (one
non-streamed completion, returns its text), ``acall()``, ``stream()`` (one
streamed completion, returns the number of content pieces received) and
``astream()`` -- against the same server, with the same model and message, and
each hands the text to its caller the way a user of that library gets it
(``.content`` of an ``AIMessage``/``AIMessageChunk``, ``.delta`` of a llama-index
``ChatResponse``, ``choices[0].delta.content`` of an SDK chunk).  Consumers keep
only counts, never the text, so memory figures are the library's own.

A contender whose package is missing in this environment is skipped (see
:func:`available`); the runner says so.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

MODEL = "gpt-4o-mini"
EMBED_MODEL = "text-embedding-3-small"
API_KEY = "sk-bench"
PROMPT = "Say hello."
MESSAGES = [{"role": "user", "content": PROMPT}]
CHUNKS_HEADER = "X-ZZZ-Stream-Chunks"


def openai_major() -> int:
    import openai

    return int(openai.__version__.split(".", 1)[0])


def sdk_http() -> Any:
    """The HTTP package the installed ``openai`` uses (httpx2 for 3.x, httpx for 2.x)."""
    return importlib.import_module("httpx2" if openai_major() >= 3 else "httpx")


# --------------------------------------------------------------------------- SSE floor
class MiniSSE:
    """The least a correct client must do with an SSE body: split events, ``json.loads`` each."""

    __slots__ = ("buf", "done", "pieces")

    def __init__(self) -> None:
        self.buf = b""
        self.pieces = 0
        self.done = False

    def feed(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        start = 0
        while True:
            end = buf.find(b"\n\n", start)
            if end < 0:
                break
            if buf.startswith(b"data: ", start):
                payload = buf[start + 6 : end]
                if payload == b"[DONE]":
                    self.done = True
                    break
                for choice in json.loads(payload)["choices"]:
                    if choice["delta"].get("content"):
                        self.pieces += 1
            start = end + 2
        self.buf = buf[start:]


# ------------------------------------------------------------------------------ chat
class Chat:
    """Base of the chat contenders."""

    name = "?"
    label = "?"
    family = "floor"  # floor | sdk | peer | zzz
    peer: str | None = None
    requires: tuple[str, ...] = ()

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = dict(headers or {})

    def call(self) -> str:
        raise NotImplementedError

    async def acall(self) -> str:
        raise NotImplementedError

    def stream(self) -> int:
        raise NotImplementedError

    async def astream(self) -> int:
        raise NotImplementedError

    async def aclose(self) -> None:  # release the async pool (first-burst samples build fresh ones)
        return None

    def close(self) -> None:
        return None


class RawHTTP(Chat):
    """The floor: ``httpx`` (or ``httpx2``) + ``json.loads``, nothing else."""

    name = "httpx"
    label = "raw httpx"
    module = "httpx"

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        self.http = importlib.import_module(self.module)
        self.url = base_url + "/chat/completions"
        self.req_headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", **self.headers}
        limits = self.http.Limits(max_connections=1000, max_keepalive_connections=100)  # the openai SDK's defaults
        self.client = self.http.Client(timeout=60, limits=limits)
        self._aclient: Any = None
        self._limits = limits

    @property
    def aclient(self) -> Any:
        if self._aclient is None:
            self._aclient = self.http.AsyncClient(timeout=60, limits=self._limits)
        return self._aclient

    def _body(self, stream: bool) -> bytes:
        body: dict[str, Any] = {"model": MODEL, "messages": MESSAGES}
        if stream:
            body.update(stream=True, stream_options={"include_usage": True})
        return json.dumps(body).encode()

    def call(self) -> str:
        r = self.client.post(self.url, content=self._body(False), headers=self.req_headers)
        return json.loads(r.content)["choices"][0]["message"]["content"]

    async def acall(self) -> str:
        r = await self.aclient.post(self.url, content=self._body(False), headers=self.req_headers)
        return json.loads(r.content)["choices"][0]["message"]["content"]

    def stream(self) -> int:
        sse = MiniSSE()
        with self.client.stream("POST", self.url, content=self._body(True), headers=self.req_headers) as r:
            for data in r.iter_bytes():
                sse.feed(data)
                if sse.done:
                    break
        return sse.pieces

    async def astream(self) -> int:
        sse = MiniSSE()
        async with self.aclient.stream("POST", self.url, content=self._body(True), headers=self.req_headers) as r:
            async for data in r.aiter_bytes():
                sse.feed(data)
                if sse.done:
                    break
        return sse.pieces

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None

    def close(self) -> None:
        self.client.close()


class RawHTTPX2(RawHTTP):
    name = "httpx2"
    label = "raw httpx2"
    module = "httpx2"
    requires = ("httpx2",)


class RawAiohttp(Chat):
    """``aiohttp`` + ``json.loads`` (async only): what the HTTP layer alone costs without httpx."""

    name = "aiohttp"
    label = "raw aiohttp"
    requires = ("aiohttp",)

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        self.url = base_url + "/chat/completions"
        self.req_headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json", **self.headers}
        self._session: Any = None

    @property
    def session(self) -> Any:
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
        return self._session

    async def acall(self) -> str:
        body = json.dumps({"model": MODEL, "messages": MESSAGES}).encode()
        async with self.session.post(self.url, data=body, headers=self.req_headers) as r:
            return json.loads(await r.read())["choices"][0]["message"]["content"]

    async def astream(self) -> int:
        body = json.dumps({"model": MODEL, "messages": MESSAGES, "stream": True,
                           "stream_options": {"include_usage": True}}).encode()  # fmt: skip
        sse = MiniSSE()
        async with self.session.post(self.url, data=body, headers=self.req_headers) as r:
            async for data in r.content.iter_any():
                sse.feed(data)
                if sse.done:
                    break
        return sse.pieces

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class OpenAIParsed(Chat):
    """The official SDK the usual way: pydantic models per response and per chunk."""

    name = "openai"
    label = "openai (parsed)"
    family = "sdk"
    requires = ("openai",)
    aiohttp = False

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=API_KEY, default_headers=self.headers or None)
        self._aclient: Any = None

    @property
    def aclient(self) -> Any:
        if self._aclient is None:
            import openai

            http_client = openai.DefaultAioHttpClient() if self.aiohttp else None
            headers = self.headers or None
            self._aclient = openai.AsyncOpenAI(
                base_url=self.base_url, api_key=API_KEY, default_headers=headers, http_client=http_client
            )
        return self._aclient

    def call(self) -> str:
        return self.client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content

    async def acall(self) -> str:
        r = await self.aclient.chat.completions.create(model=MODEL, messages=MESSAGES)
        return r.choices[0].message.content

    def stream(self) -> int:
        n = 0
        for chunk in self.client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                n += 1
        return n

    async def astream(self) -> int:
        n = 0
        stream = await self.aclient.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                n += 1
        return n

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.close()
            self._aclient = None

    def close(self) -> None:
        self.client.close()


class OpenAIRaw(OpenAIParsed):
    """The SDK's documented raw path: ``client.post(path, cast_to=<http Response>)`` + ``json.loads``.

    This is the sender zzz_core uses (auth, timeouts, pool of the SDK; no pydantic).
    """

    name = "openai-raw"
    label = "openai raw-response"
    _RAW = {"X-Stainless-Raw-Response": "stream"}

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        self.Response = sdk_http().Response

    def _post(self, client: Any, stream: bool) -> Any:
        body: dict[str, Any] = {"model": MODEL, "messages": MESSAGES}
        if stream:
            body.update(stream=True, stream_options={"include_usage": True})
        return client.post("/chat/completions", cast_to=self.Response, body=body, options={"headers": self._RAW})

    def call(self) -> str:
        r = self._post(self.client, False)
        try:
            return json.loads(r.read())["choices"][0]["message"]["content"]
        finally:
            r.close()

    async def acall(self) -> str:
        r = await self._post(self.aclient, False)
        try:
            return json.loads(await r.aread())["choices"][0]["message"]["content"]
        finally:
            await r.aclose()

    def stream(self) -> int:
        sse = MiniSSE()
        r = self._post(self.client, True)
        try:
            for data in r.iter_bytes():
                sse.feed(data)
                if sse.done:
                    break
        finally:
            r.close()
        return sse.pieces

    async def astream(self) -> int:
        sse = MiniSSE()
        r = await self._post(self.aclient, True)
        try:
            async for data in r.aiter_bytes():
                sse.feed(data)
                if sse.done:
                    break
        finally:
            await r.aclose()
        return sse.pieces


class OpenAIRawAiohttp(OpenAIRaw):
    """The raw path through ``openai.DefaultAioHttpClient`` (the ``openai[aiohttp]`` extra)."""

    name = "openai-raw-aiohttp"
    label = "openai raw + aiohttp"
    requires = ("openai", "aiohttp")
    aiohttp = True
    async_only = True


class LangChainChat(Chat):
    family = "peer"
    name = "ChatOpenAI"
    label = "ChatOpenAI"
    requires = ("langchain_openai",)

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        self.llm = self._build()

    def _build(self) -> Any:
        from langchain_openai import ChatOpenAI

        try:  # a fresh async pool per instance (first-burst samples); langchain-openai caches one per base_url
            from langchain_openai.chat_models import _client_utils

            _client_utils._cached_async_httpx_client.cache_clear()
        except (ImportError, AttributeError):
            pass
        return ChatOpenAI(model=MODEL, base_url=self.base_url, api_key=API_KEY, default_headers=self.headers or None,
                          stream_usage=True)  # fmt: skip

    def call(self) -> str:
        return self.llm.invoke(PROMPT).content

    async def acall(self) -> str:
        return (await self.llm.ainvoke(PROMPT)).content

    def stream(self) -> int:
        n = 0
        for chunk in self.llm.stream(PROMPT):
            if chunk.content:
                n += 1
        return n

    async def astream(self) -> int:
        n = 0
        async for chunk in self.llm.astream(PROMPT):
            if chunk.content:
                n += 1
        return n

    async def aclose(self) -> None:
        client = getattr(self.llm, "root_async_client", None)
        if client is not None:
            await client.close()


class ChatZZZ(LangChainChat):
    family = "zzz"
    name = "ChatZZZ"
    label = "ChatZZZ"
    peer = "ChatOpenAI"
    requires = ("langchain_zzz",)

    def _build(self) -> Any:
        from langchain_zzz import ChatZZZ as _ChatZZZ

        return _ChatZZZ(model=MODEL, base_url=self.base_url, api_key=API_KEY, default_headers=self.headers or None)

    async def aclose(self) -> None:
        await self.llm.aclose()


class LlamaChat(Chat):
    family = "peer"
    name = "OpenAILike"
    label = "OpenAILike"
    requires = ("llama_index.llms.openai_like",)

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        from llama_index.core.llms import ChatMessage

        self.ChatMessage = ChatMessage
        self.llm = self._build()

    def _build(self) -> Any:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(model=MODEL, api_base=self.base_url, api_key=API_KEY, is_chat_model=True,
                          context_window=128000, default_headers=self.headers or None)  # fmt: skip

    def _messages(self) -> list[Any]:
        return [self.ChatMessage(role="user", content=PROMPT)]

    def call(self) -> str:
        return self.llm.chat(self._messages()).message.content

    async def acall(self) -> str:
        return (await self.llm.achat(self._messages())).message.content

    def stream(self) -> int:
        n = 0
        for r in self.llm.stream_chat(self._messages()):
            if r.delta:
                n += 1
        return n

    async def astream(self) -> int:
        n = 0
        async for r in await self.llm.astream_chat(self._messages()):
            if r.delta:
                n += 1
        return n

    async def aclose(self) -> None:
        client = getattr(self.llm, "_aclient", None)
        if client is not None:
            await client.close()


class LlamaZZZ(LlamaChat):
    family = "zzz"
    name = "ZZZ"
    label = "llamaindex ZZZ"
    peer = "OpenAILike"
    requires = ("llamaindex_zzz",)

    def _build(self) -> Any:
        from llamaindex_zzz import ZZZ

        return ZZZ(model=MODEL, base_url=self.base_url, api_key=API_KEY, default_headers=self.headers or None)

    async def aclose(self) -> None:
        await self.llm.aclose()


class ChatZZZHttpx(ChatZZZ):
    """ChatZZZ with ``async_transport="httpx"``: async calls through the openai client's
    httpx pool, as they go where aiohttp is not installed (the default, ``"auto"``,
    sends them through aiohttp when it is)."""

    name = "ChatZZZ+httpx"
    label = "ChatZZZ, async_transport='httpx'"

    def _build(self) -> Any:
        from langchain_zzz import ChatZZZ as _ChatZZZ

        return _ChatZZZ(model=MODEL, base_url=self.base_url, api_key=API_KEY, default_headers=self.headers or None,
                        async_transport="httpx")  # fmt: skip


class LlamaZZZHttpx(LlamaZZZ):
    """llamaindex ZZZ with ``async_transport="httpx"`` (as :class:`ChatZZZHttpx`)."""

    name = "ZZZ+httpx"
    label = "llamaindex ZZZ, async_transport='httpx'"

    def _build(self) -> Any:
        from llamaindex_zzz import ZZZ

        return ZZZ(model=MODEL, base_url=self.base_url, api_key=API_KEY, default_headers=self.headers or None,
                   async_transport="httpx")  # fmt: skip


# ------------------------------------------------------------- framework floors (no I/O)
_WORDS = ("The ", "quick ", "brown ", "fox ", "jumps ", "over ", "the ", "lazy ", "dog ")
REPLY = "Hello! How can I help you today?"


def _lc_null_class() -> type:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class NullChatModel(BaseChatModel):
        """A LangChain chat model that does no I/O: what the framework alone costs."""

        chunks: int = 0

        @property
        def _llm_type(self) -> str:
            return "null"

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=REPLY))])

        async def _agenerate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            return self._generate(messages)

        def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            for k in range(self.chunks):
                yield ChatGenerationChunk(message=AIMessageChunk(content=_WORDS[k % len(_WORDS)]))

        async def _astream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            for k in range(self.chunks):
                yield ChatGenerationChunk(message=AIMessageChunk(content=_WORDS[k % len(_WORDS)]))

    return NullChatModel


def _li_null_class() -> type:
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from llama_index.core.llms.custom import CustomLLM

    def respond(content: str, delta: str | None) -> Any:
        # the cheapest response a skin can build: the message validated, the envelope not
        message = ChatMessage(role=MessageRole.ASSISTANT, content=content)
        return ChatResponse.model_construct(message=message, delta=delta, raw=None, logprobs=None, additional_kwargs={})

    class NullLLM(CustomLLM):
        """A LlamaIndex LLM that does no I/O: what the framework alone costs (callbacks, events)."""

        chunks: int = 0

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True, model_name="null")

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            return CompletionResponse(text=REPLY)

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            yield CompletionResponse(text=REPLY, delta=REPLY)

        @llm_chat_callback()
        def chat(self, messages: Any, **kw: Any) -> Any:
            return respond(REPLY, None)

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kw: Any) -> Any:
            def gen() -> Any:
                for k in range(self.chunks):
                    w = _WORDS[k % len(_WORDS)]
                    yield respond(w, w)  # content = the delta: no cumulative text, the floor of the floor

            return gen()

        @llm_chat_callback()
        async def achat(self, messages: Any, **kw: Any) -> Any:
            return respond(REPLY, None)

        @llm_chat_callback()
        async def astream_chat(self, messages: Any, **kw: Any) -> Any:
            async def gen() -> Any:
                for k in range(self.chunks):
                    w = _WORDS[k % len(_WORDS)]
                    yield respond(w, w)

            return gen()

    return NullLLM


class LangChainNull(LangChainChat):
    """LangChain's own cost: a BaseChatModel with no I/O (the floor under ChatZZZ and ChatOpenAI)."""

    family = "frame"
    name = "lc-null"
    label = "LangChain, no I/O"
    requires = ("langchain_core",)
    _cls: Any = None

    def _build(self) -> Any:
        if LangChainNull._cls is None:
            LangChainNull._cls = _lc_null_class()
        return LangChainNull._cls(chunks=int(self.headers.get(CHUNKS_HEADER, 0)))

    async def aclose(self) -> None:
        return None


class LlamaNull(LlamaChat):
    """LlamaIndex's own cost: an LLM with no I/O behind the chat callbacks (the floor under ZZZ and OpenAILike)."""

    family = "frame"
    name = "li-null"
    label = "LlamaIndex, no I/O"
    requires = ("llama_index.core",)
    _cls: Any = None

    def _build(self) -> Any:
        if LlamaNull._cls is None:
            LlamaNull._cls = _li_null_class()
        return LlamaNull._cls(chunks=int(self.headers.get(CHUNKS_HEADER, 0)))

    async def aclose(self) -> None:
        return None


CHAT: list[type[Chat]] = [RawHTTP, RawHTTPX2, RawAiohttp, OpenAIRaw, OpenAIRawAiohttp, OpenAIParsed,
                          LangChainChat, LlamaChat, ChatZZZ, LlamaZZZ, ChatZZZHttpx, LlamaZZZHttpx,
                          LangChainNull, LlamaNull]  # fmt: skip
#: The columns of the sync cases (aiohttp is async-only; httpx2 is shown where openai 3.x uses it).
SYNC_NAMES = (
    "httpx",
    "httpx2",
    "openai-raw",
    "openai",
    "ChatOpenAI",
    "OpenAILike",
    "ChatZZZ",
    "ZZZ",
    "lc-null",
    "li-null",
)
ASYNC_NAMES = ("httpx", "httpx2", "aiohttp", "openai-raw", "openai-raw-aiohttp", "openai", "ChatOpenAI",
               "OpenAILike", "ChatZZZ", "ZZZ", "ChatZZZ+httpx", "ZZZ+httpx", "lc-null", "li-null")  # fmt: skip


def importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - any import failure means "not in this environment"
        return False
    return True


_AVAILABLE: dict[str, bool] = {}


def available(cls: type[Any]) -> bool:
    key = cls.__name__
    if key not in _AVAILABLE:
        _AVAILABLE[key] = all(importable(m) for m in cls.requires)
        if _AVAILABLE[key] and cls.name == "httpx2":
            # shown only where the SDK sends through it; in an openai 2.x environment httpx is the SDK's package
            _AVAILABLE[key] = openai_major() >= 3
    return _AVAILABLE[key]


def chat_contenders(names: tuple[str, ...], only: set[str] | None = None) -> list[type[Chat]]:
    by_name = {c.name: c for c in CHAT}
    out = []
    for name in names:
        cls = by_name[name]
        if only is not None and name not in only:
            continue
        if available(cls):
            out.append(cls)
    return out


def missing(names: tuple[str, ...]) -> list[str]:
    by_name = {c.name: c for c in CHAT + EMBED}
    return [n for n in names if n in by_name and not available(by_name[n])]


# ------------------------------------------------------------------------ embeddings
class Embed:
    """Base of the embedding contenders: ``embed(texts)`` and ``aembed(texts)`` return the vectors."""

    name = "?"
    label = "?"
    family = "floor"
    peer: str | None = None
    requires: tuple[str, ...] = ()

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def embed(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _b64_or_floats(value: Any) -> list[float]:
    if isinstance(value, str):
        import array
        import base64

        return array.array("f", base64.b64decode(value)).tolist()
    return value


class RawEmbed(Embed):
    """Floor: httpx + json.loads, 1,000 texts per request, sequential, base64 asked (floats accepted)."""

    name = "httpx"
    label = "raw httpx"
    batch = 1000

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        import httpx

        self.http = httpx
        self.url = base_url + "/embeddings"
        self.headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        self.client = httpx.Client(timeout=120)
        self._aclient: Any = None

    def _body(self, batch: list[str]) -> bytes:
        return json.dumps({"model": EMBED_MODEL, "input": batch, "encoding_format": "base64"}).encode()

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch):
            r = self.client.post(self.url, content=self._body(texts[i : i + self.batch]), headers=self.headers)
            out.extend(_b64_or_floats(d["embedding"]) for d in json.loads(r.content)["data"])
        return out

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        if self._aclient is None:
            self._aclient = self.http.AsyncClient(timeout=120)
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch):
            r = await self._aclient.post(self.url, content=self._body(texts[i : i + self.batch]), headers=self.headers)
            out.extend(_b64_or_floats(d["embedding"]) for d in json.loads(r.content)["data"])
        return out

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None


class OpenAIEmbed(Embed):
    """The SDK: ``client.embeddings.create`` per 1,000 texts (it asks base64 and decodes it)."""

    name = "openai"
    label = "openai (parsed)"
    family = "sdk"
    requires = ("openai",)
    batch = 1000

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=API_KEY)
        self.aclient = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY)

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch):
            out.extend(
                d.embedding
                for d in self.client.embeddings.create(model=EMBED_MODEL, input=texts[i : i + self.batch]).data
            )
        return out

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch):
            r = await self.aclient.embeddings.create(model=EMBED_MODEL, input=texts[i : i + self.batch])
            out.extend(d.embedding for d in r.data)
        return out


class LangChainEmbed(Embed):
    """``OpenAIEmbeddings`` with ``check_embedding_ctx_length=False``: raw strings, no tiktoken download.

    With the default (True) it tokenizes with tiktoken first, which downloads a BPE
    file on first use: impossible offline, and the token arrays it then sends are
    refused by most relays.
    """

    name = "OpenAIEmbeddings"
    label = "OpenAIEmbeddings"
    family = "peer"
    requires = ("langchain_openai",)

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.emb = self._build()

    def _build(self) -> Any:
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(model=EMBED_MODEL, base_url=self.base_url, api_key=API_KEY,
                                check_embedding_ctx_length=False)  # fmt: skip

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self.emb.embed_documents(texts)

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        return await self.emb.aembed_documents(texts)


class ZZZEmbeddings(LangChainEmbed):
    name = "ZZZEmbeddings"
    label = "ZZZEmbeddings"
    family = "zzz"
    peer = "OpenAIEmbeddings"
    requires = ("langchain_zzz",)

    def _build(self) -> Any:
        from langchain_zzz import ZZZEmbeddings as _ZZZEmbeddings

        return _ZZZEmbeddings(model=EMBED_MODEL, base_url=self.base_url, api_key=API_KEY)

    async def aclose(self) -> None:  # the case closes its loop by hand: close the pool first
        await self.emb.aclose()


class LlamaEmbed(Embed):
    """``OpenAILikeEmbedding`` with its defaults (``embed_batch_size=10``)."""

    name = "OpenAILikeEmbedding"
    label = "OpenAILikeEmbedding"
    family = "peer"
    requires = ("llama_index.embeddings.openai_like",)

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.emb = self._build()

    def _build(self) -> Any:
        from llama_index.embeddings.openai_like import OpenAILikeEmbedding

        return OpenAILikeEmbedding(model_name=EMBED_MODEL, api_base=self.base_url, api_key=API_KEY)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self.emb.get_text_embedding_batch(texts)

    async def aembed(self, texts: list[str]) -> list[list[float]]:
        return await self.emb.aget_text_embedding_batch(texts)


class ZZZEmbedding(LlamaEmbed):
    name = "ZZZEmbedding"
    label = "llamaindex ZZZEmbedding"
    family = "zzz"
    peer = "OpenAILikeEmbedding"
    requires = ("llamaindex_zzz",)

    def _build(self) -> Any:
        from llamaindex_zzz import ZZZEmbedding as _ZZZEmbedding

        return _ZZZEmbedding(model_name=EMBED_MODEL, base_url=self.base_url, api_key=API_KEY)

    async def aclose(self) -> None:  # the case closes its loop by hand: close the pool first
        await self.emb.aclose()


class ZZZEmbeddingsB64(ZZZEmbeddings):
    """What-if: ZZZEmbeddings asking for base64 (public ``encoding_format="base64"``)."""

    name = "ZZZEmbeddings+b64"
    label = "ZZZEmbeddings, base64 asked"

    def _build(self) -> Any:
        from langchain_zzz import ZZZEmbeddings as _ZZZEmbeddings

        return _ZZZEmbeddings(model=EMBED_MODEL, base_url=self.base_url, api_key=API_KEY, encoding_format="base64")


class ZZZEmbeddingB64(ZZZEmbedding):
    """What-if: llamaindex ZZZEmbedding asking for base64 (through ``additional_kwargs``)."""

    name = "ZZZEmbedding+b64"
    label = "ZZZEmbedding, base64 asked"

    def _build(self) -> Any:
        from llamaindex_zzz import ZZZEmbedding as _ZZZEmbedding

        return _ZZZEmbedding(model_name=EMBED_MODEL, base_url=self.base_url, api_key=API_KEY,
                             additional_kwargs={"encoding_format": "base64"})  # fmt: skip


EMBED: list[type[Embed]] = [RawEmbed, OpenAIEmbed, LangChainEmbed, LlamaEmbed, ZZZEmbeddings, ZZZEmbedding,
                            ZZZEmbeddingsB64, ZZZEmbeddingB64]  # fmt: skip


def embed_contenders(only: set[str] | None = None) -> list[type[Embed]]:
    return [c for c in EMBED if (only is None or c.name in only) and available(c)]


def build(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
    return cls(*args, **kwargs)


Factory = Callable[[], Chat]
