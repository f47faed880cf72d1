"""Per-stage cost of one streamed chunk and of one non-streamed call, without any I/O.

The end-to-end cases say *how much* each library costs; this one says *where*,
in microseconds, by timing each stage of the pipeline on the same bytes the
server sends (``timeit``-style, best of several repeats, so machine noise
mostly cancels).  It calls internal functions of zzz_core and the skins by name;
a stage whose function moved is reported as skipped, not failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ..common import CaseResult, Settings

EVENT = (b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1735689600,"model":"gpt-4o-mini",'
         b'"system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":"quick "},"logprobs":null,'
         b'"finish_reason":null}]}\n\n')  # fmt: skip
REPLY = (b'{"id":"chatcmpl-bench","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini","choices":'
         b'[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},'
         b'"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18,'
         b'"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_bench"}')  # fmt: skip


def per_call_us(fn: Callable[[], Any], n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def _stream_stages() -> list[tuple[str, str, Callable[[], Callable[[], Any]]]]:
    """(stage, owner, factory): the factory sets up state and returns the per-chunk function."""
    payload = json.loads(EVENT[6:-2])

    def sse() -> Callable[[], Any]:
        from zzz_core.sse import SSEDecoder

        d = SSEDecoder()
        return lambda: d.feed(EVENT)

    def assembler() -> Callable[[], Any]:
        from zzz_core.decode import ChatStreamAssembler

        a = ChatStreamAssembler()
        a.feed({**payload, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        return lambda: a.feed(payload)

    def transport_feed() -> Callable[[], Any]:
        from zzz_core.decode import ChatStreamAssembler
        from zzz_core.error_map import ErrorContext
        from zzz_core.sse import SSEDecoder
        from zzz_core.transport import Transport

        d, a, ctx = SSEDecoder(), ChatStreamAssembler(), ErrorContext(host="h")
        return lambda: Transport._feed_read(d.feed(EVENT), a, ctx)

    def chunk() -> Any:
        from zzz_core.decode import ChatStreamAssembler

        a = ChatStreamAssembler()
        return a.feed(payload)[0]

    def lc_converter() -> Callable[[], Any]:
        from langchain_zzz._messages import StreamConverter

        c, ch = StreamConverter("gpt-4o-mini"), chunk()
        return lambda: c.chunk(ch)

    def lc_message() -> Callable[[], Any]:
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        return lambda: ChatGenerationChunk(message=AIMessageChunk(content="quick "))

    def li_state() -> Callable[[], Any]:
        from llamaindex_zzz._responses import ChatStreamState

        st, ch = ChatStreamState(), chunk()
        return lambda: st.feed(ch)

    def openai_parse() -> Callable[[], Any]:
        from openai._models import construct_type
        from openai.types.chat import ChatCompletionChunk

        return lambda: construct_type(type_=ChatCompletionChunk, value=payload)

    def lc_openai_convert() -> Callable[[], Any]:
        from langchain_core.messages import AIMessageChunk
        from langchain_openai import ChatOpenAI
        from openai._models import construct_type
        from openai.types.chat import ChatCompletionChunk

        llm = ChatOpenAI(model="gpt-4o-mini", api_key="sk-bench", base_url="http://127.0.0.1:9/v1")
        obj = construct_type(type_=ChatCompletionChunk, value=payload)
        return lambda: llm._convert_chunk_to_generation_chunk(obj.model_dump(), AIMessageChunk, {})

    return [
        ("json.loads of one event", "floor", lambda: lambda: json.loads(EVENT[6:-2])),
        ("SSEDecoder.feed (one event, fast path)", "zzz_core", sse),
        ("ChatStreamAssembler.feed", "zzz_core", assembler),
        ("Transport._feed_read = SSE + json.loads + error check + assembler", "zzz_core", transport_feed),
        ("StreamConverter.chunk: ChatChunk -> ChatGenerationChunk", "langchain_zzz", lc_converter),
        ("  of which AIMessageChunk + ChatGenerationChunk alone", "langchain_core", lc_message),
        ("ChatStreamState.feed: ChatChunk -> ChatResponse", "llamaindex_zzz", li_state),
        ("openai SDK: ChatCompletionChunk from the dict (construct_type)", "openai", openai_parse),
        ("ChatOpenAI: model_dump + _convert_chunk_to_generation_chunk", "langchain_openai", lc_openai_convert),
    ]


def _call_stages() -> list[tuple[str, str, Callable[[], Callable[[], Any]]]]:
    def build() -> Callable[[], Any]:
        from zzz_core import build_chat_request

        return lambda: build_chat_request("gpt-4o-mini", [{"role": "user", "content": "Say hello."}])

    def parse() -> Callable[[], Any]:
        from zzz_core.decode import parse_chat_response

        payload = json.loads(REPLY)
        return lambda: parse_chat_response(payload, "h")

    def decode() -> Callable[[], Any]:
        from zzz_core.config import ZZZConfig
        from zzz_core.transport import Transport

        t = Transport(ZZZConfig.resolve(api_key="sk-bench-0123456789", base_url="http://127.0.0.1:9/v1"))
        ctx = t._ctx("http://127.0.0.1:9/v1", "/chat/completions", "POST")
        return lambda: t._decode(200, REPLY, ctx, "choices")

    def ctx_attempts() -> Callable[[], Any]:
        from zzz_core.config import ZZZConfig
        from zzz_core.retry import Attempts
        from zzz_core.transport import Transport

        t = Transport(ZZZConfig.resolve(api_key="sk-bench-0123456789", base_url="http://127.0.0.1:9/v1"))

        def one() -> None:
            a = Attempts(t.health, 2)
            host = a.first()
            t._ctx(host, "/chat/completions", "POST")
            a.succeeded(host)

        return one

    def lc_in() -> Callable[[], Any]:
        from langchain_core.messages import HumanMessage

        from langchain_zzz._messages import to_openai_messages

        msgs = [HumanMessage("Say hello.")]
        return lambda: to_openai_messages(msgs)

    def lc_out() -> Callable[[], Any]:
        from langchain_zzz._messages import to_chat_result
        from zzz_core.decode import parse_chat_response

        result = parse_chat_response(json.loads(REPLY), "h")
        return lambda: to_chat_result(result, "gpt-4o-mini")

    def li_out() -> Callable[[], Any]:
        from llamaindex_zzz._responses import chat_response
        from zzz_core.decode import parse_chat_response

        result = parse_chat_response(json.loads(REPLY), "h")
        return lambda: chat_response(result)

    def openai_parse() -> Callable[[], Any]:
        from openai._models import construct_type
        from openai.types.chat import ChatCompletion

        payload = json.loads(REPLY)
        return lambda: construct_type(type_=ChatCompletion, value=payload)

    return [
        ("json.loads of the reply", "floor", lambda: lambda: json.loads(REPLY)),
        ("build_chat_request", "zzz_core", build),
        ("Transport._decode (json.loads + checks)", "zzz_core", decode),
        ("Attempts + ErrorContext per call", "zzz_core", ctx_attempts),
        ("parse_chat_response", "zzz_core", parse),
        ("langchain_zzz to_openai_messages", "langchain_zzz", lc_in),
        ("langchain_zzz to_chat_result", "langchain_zzz", lc_out),
        ("llamaindex_zzz chat_response", "llamaindex_zzz", li_out),
        ("openai SDK: ChatCompletion from the dict", "openai", openai_parse),
    ]


def run(s: Settings) -> CaseResult:
    n, repeat = (200, 2) if s.short else (5000, 7)
    extra: dict[str, Any] = {}
    notes: list[str] = []
    for key, title, stages in (("stream", "per streamed chunk", _stream_stages()),
                               ("call", "per non-streamed call", _call_stages())):  # fmt: skip
        table = []
        for stage, owner, factory in stages:
            try:
                fn = factory()
                fn()
            except Exception as exc:  # noqa: BLE001 - a moved function skips its stage
                notes.append(f"stage skipped ({stage}): {type(exc).__name__}: {str(exc)[:100]}")
                continue
            table.append((stage, owner, per_call_us(fn, n, repeat)))
        extra[key] = {"title": f"Stage costs {title}, no I/O (µs, best of {repeat} x {n})", "stages": table}
    return CaseResult(extra=extra, notes=notes)
