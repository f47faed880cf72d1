"""SSE event generation for streamed chat and completions, and the stream faults.

Generators here yield ``(tag, bytes)`` pairs so that a stream fault can count content
events: ``head`` (role chunk), ``body`` (reasoning, content and tool-call deltas),
``comment`` (keep-alive lines), ``finish``, ``usage`` and ``done``.  :class:`EventStream`
wraps such a generator as the plain iterable of bytes a ``SimResponse`` carries.
Content events are built from a pre-rendered template, so a 100,000-chunk stream costs
one ``json.dumps`` of a short string per chunk (and nothing for repeated pieces).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from . import signatures
from .faults import Fault, error_body

__all__ = ["DROP", "Drop", "EventStream", "Sleep", "StreamWriter", "apply_stream_fault", "split_text"]

Tagged = Iterator[tuple[str, bytes]]
_SLOT = "\x00zzz-slot\x00"
_SLOT_JSON = json.dumps(_SLOT)


class Sleep:
    """A body piece: pause this many seconds before the next piece."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)

    def __repr__(self) -> str:
        return f"Sleep({self.seconds})"


class Drop:
    """A body piece: close the connection abruptly (no chunked terminator)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DROP"


DROP = Drop()


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def split_text(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


class EventStream:
    """The bytes of a tagged event generator; ``tagged`` stays reachable for faults."""

    __slots__ = ("tagged", "writer")

    def __init__(self, tagged: Iterable[tuple[str, Any]], writer: StreamWriter) -> None:
        self.tagged = tagged
        self.writer = writer

    def __iter__(self) -> Iterator[Any]:
        for _, piece in self.tagged:
            yield piece


class StreamWriter:
    """Renders SSE events for one response (shared fields, line endings, templates)."""

    def __init__(self, base: dict[str, Any], *, crlf: bool = False, keepalive: bool = False) -> None:
        self.base = base
        self.end = b"\r\n\r\n" if crlf else b"\n\n"
        self.nl = b"\r\n" if crlf else b"\n"
        self.keepalive = keepalive

    def event(self, obj: Any) -> bytes:
        return b"data: " + dumps(obj).encode() + self.end

    def chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return self.event({**self.base, "choices": choices, **extra})

    def template(self, choice: dict[str, Any]) -> Callable[[str], bytes]:
        """A function text -> event for a choice dict whose slot values are ``_SLOT``."""
        parts = self.event({**self.base, "choices": [choice]}).split(_SLOT_JSON.encode())
        cache: dict[str, bytes] = {}

        def render(text: str) -> bytes:
            hit = cache.get(text)
            if hit is None:
                hit = dumps(text).encode().join(parts)
                if len(cache) < 256:
                    cache[text] = hit
            return hit

        return render

    def comment(self) -> bytes:
        return b": keep-alive" + self.end

    def done(self) -> bytes:
        return b"data: [DONE]" + self.end


# ------------------------------------------------------------------------ chat
def chat_events(
    w: StreamWriter,
    choices: list[dict[str, Any]],
    *,
    chunk_chars: int,
    reasoning_field: str,
    tool_delta_style: str,
    usage: dict[str, Any] | None,
    bulk_chunks: int | None = None,
    logprobs: Callable[[str], dict[str, Any]] | None = None,
    details: bool = False,
    blocks: bool = False,
) -> Tagged:
    """Tagged SSE events of a chat completion.

    Each choice dict has ``index``, ``content`` (str or None), ``reasoning`` (str or
    None), ``tool_calls`` (list of ``{id, name, arguments}``, plus ``extra``: the
    ``extra_content`` sent on the call's first delta) and ``finish_reason``.  With
    ``details`` the reasoning also streams as ``reasoning_details`` fragments (index 0,
    the signature on a last fragment of its own), as OpenRouter sends them.  With
    ``blocks`` each reasoning piece also carries a ``thinking_blocks`` fragment
    (``signature: null``) and the signature follows alone, as LiteLLM streams Claude.
    """
    if w.keepalive:
        yield "comment", w.comment()
    sent = 0
    for ch in choices:
        i = ch["index"]
        yield "head", w.chunk([_choice(i, {"role": "assistant", "content": ""})])
        reasoning, content = ch.get("reasoning"), ch.get("content")
        pieces: list[str] = []
        if reasoning and reasoning_field == "think_tags":
            content = content or ""
            pieces = _straddle(f"<think>\n{reasoning}\n</think>\n", chunk_chars)
            reasoning = None
        if reasoning and details:
            item = signatures.reasoning_details(reasoning)[0]
            for piece in split_text(reasoning, chunk_chars):
                part = {"type": "reasoning.text", "text": piece, "format": item["format"], "index": 0}
                yield "body", w.chunk([_choice(i, {"reasoning": piece, "reasoning_details": [part]})])
            tail = {"type": "reasoning.text", "text": "", "signature": item["signature"], "index": 0}
            yield "body", w.chunk([_choice(i, {"reasoning_details": [tail]})])
            reasoning = None
        if reasoning and blocks:
            keys = ("reasoning_content", "reasoning") if reasoning_field == "both" else (reasoning_field,)
            for piece in split_text(reasoning, chunk_chars):
                part = {"type": "thinking", "thinking": piece, "signature": None}
                yield "body", w.chunk([_choice(i, {**dict.fromkeys(keys, piece), "thinking_blocks": [part]})])
            sig = signatures.thinking_blocks(reasoning)[0]["signature"]
            tail = {"type": "thinking", "thinking": "", "signature": sig}
            yield "body", w.chunk([_choice(i, {"thinking_blocks": [tail]})])
            reasoning = None
        if reasoning:
            keys = ("reasoning_content", "reasoning") if reasoning_field == "both" else (reasoning_field,)
            render = w.template(_choice(i, {k: _SLOT for k in keys}))
            for piece in split_text(reasoning, chunk_chars):
                yield "body", render(piece)
                sent += 1
                if w.keepalive and sent % 3 == 0:
                    yield "comment", w.comment()
        if content is not None:
            if logprobs is None:
                render = w.template(_choice(i, {"content": _SLOT}))
            else:
                render = partial(_logprob_chunk, w, i, logprobs)
            if bulk_chunks:
                words = [x + " " for x in content.split()] or ["word "]
                body: Iterable[str] = pieces + [words[k % len(words)] for k in range(bulk_chunks)]
            else:
                body = pieces + split_text(content, chunk_chars)
            for piece in body:
                yield "body", render(piece)
                sent += 1
                if w.keepalive and sent % 3 == 0:
                    yield "comment", w.comment()
        for k, call in enumerate(ch.get("tool_calls") or []):
            for delta in _tool_deltas(k, call, tool_delta_style, chunk_chars):
                yield "body", w.chunk([_choice(i, {"tool_calls": [delta]})])
        yield "finish", w.chunk([_choice(i, {}, finish=ch.get("finish_reason"))])
    if usage is not None:
        yield "usage", w.chunk([], usage=usage)
    yield "done", w.done()


def _logprob_chunk(w: StreamWriter, index: int, logprobs: Callable[[str], dict[str, Any]], text: str) -> bytes:
    return w.chunk([_choice(index, {"content": text}, logprobs(text))])


def _choice(index: int, delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}


def _straddle(text: str, size: int) -> list[str]:
    """Split ``<think>…</think>`` so that both tags straddle a chunk boundary."""
    open_end = text.index("\n") + 1
    close_at = text.rindex("</think>")
    segments = [text[:3], text[3:open_end], text[open_end : close_at + 4], text[close_at + 4 :]]
    return [p for seg in segments if seg for p in split_text(seg, size)]


def _tool_deltas(k: int, call: dict[str, Any], style: str, size: int) -> list[dict[str, Any]]:
    args = call["arguments"]
    head = {"index": k, "id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": ""}}
    if call.get("extra"):
        head["extra_content"] = call["extra"]
    if style == "whole":
        return [{**head, "function": {"name": call["name"], "arguments": args}}]
    pieces = split_text(args, size if size < len(args) else max(1, len(args) // 2))
    if style == "repeat_id":
        return [head] + [{**head, "function": {"name": call["name"], "arguments": p}} for p in pieces]
    out = [head] + [{"index": k, "function": {"arguments": p}} for p in pieces]
    if style == "no_index":
        for d in out:
            d.pop("index", None)
    return out


# ----------------------------------------------------------------- completions
def completion_events(
    w: StreamWriter,
    choices: list[dict[str, Any]],
    *,
    chunk_chars: int,
    usage: dict[str, Any] | None,
    bulk_chunks: int | None = None,
    logprobs: Callable[[str, int], dict[str, Any]] | None = None,
) -> Tagged:
    """Tagged SSE events of a text completion (choices: ``index``, ``text``, ``finish_reason``).

    ``logprobs(text, offset)``, when given, makes each chunk's ``logprobs`` object for its
    text, ``offset`` being where that text starts in the choice's whole text.
    """
    if w.keepalive:
        yield "comment", w.comment()
    sent = 0
    for ch in choices:
        i = ch["index"]
        if logprobs is None:
            render = w.template({"text": _SLOT, "index": i, "logprobs": None, "finish_reason": None})
        else:
            render = _offset_render(w, i, logprobs)
        if bulk_chunks:
            words = [x + " " for x in ch["text"].split()] or ["word "]
            pieces: Iterable[str] = (words[k % len(words)] for k in range(bulk_chunks))
        else:
            pieces = split_text(ch["text"], chunk_chars)
        for piece in pieces:
            yield "body", render(piece)
            sent += 1
            if w.keepalive and sent % 3 == 0:
                yield "comment", w.comment()
        finish = {"text": "", "index": i, "logprobs": None, "finish_reason": ch.get("finish_reason")}
        yield "finish", w.chunk([finish])
    if usage is not None:
        yield "usage", w.chunk([], usage=usage)
    yield "done", w.done()


def _offset_render(
    w: StreamWriter, index: int, logprobs: Callable[[str, int], dict[str, Any]]
) -> Callable[[str], bytes]:
    """A text -> event function that keeps count of where each chunk's text starts."""
    offset = 0

    def render(text: str) -> bytes:
        nonlocal offset
        lp = logprobs(text, offset)
        offset += len(text)
        return w.chunk([{"text": text, "index": index, "logprobs": lp, "finish_reason": None}])

    return render


# ---------------------------------------------------------------------- faults
def apply_stream_fault(events: Iterable[tuple[str, Any]], fault: Fault, w: StreamWriter, dialect: str) -> Iterator[Any]:
    """The pieces of ``events`` as changed by a stream fault."""
    limit = fault.after_chunks
    sent = 0
    for tag, piece in events:
        if tag in ("head", "comment"):
            yield piece
            continue
        if tag == "body" and sent < limit:
            sent += 1
            yield piece
            continue
        break
    if fault.kind == "mid_stream_drop":
        yield DROP
    elif fault.kind == "sse_error":
        yield sse_error_event(fault, w, dialect)


def sse_error_event(fault: Fault, w: StreamWriter, dialect: str) -> bytes:
    category = fault.category or "server_error"
    if fault.style == "data_envelope":
        _, body = error_body(dialect, category, "envelope_200")
        return w.event(body)
    if fault.style == "data_error_object":
        _, body = error_body(dialect, category, "error_object")
        return w.event(body)
    _, body = error_body(dialect, category)
    return b"event: error" + w.nl + w.event(body)
