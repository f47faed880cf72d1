"""Tool-call decoding: streamed fragments in, complete validated calls out.

Why this module: relays do not stream tool calls the way OpenAI does.  Some omit
``index`` (the Gemini-compatible endpoint, Ollama), some repeat ``id`` and
``name`` on every fragment, some send a whole call in one delta, some number
calls from 1.  langchain-openai drops calls without ``index`` and llama-index
concatenates repeated ids into ``call_1call_1``.  The accumulator resolves every
fragment to one call by these rules, in order:

1. ``index`` present: the call of that wire index.  A *different* non-empty
   ``id`` at an index whose call already has an id starts a new call (relays
   that number every parallel call 0); later fragments of that index follow it.
2. no ``index``, an ``id``: the call with that id, or a new call if unseen.
3. no ``index``, no ``id``: the most recent call, except that a new call starts
   when there is none yet, when an earlier entry of the same ``tool_calls`` list
   already went to the most recent call (entries of one delta are distinct
   calls), or when the fragment names a different function after the most
   recent call has started its arguments (whole calls sent without ids).

``id`` is set once and never concatenated.  ``name`` is set once; an identical
repeat is ignored; a differing name is a continuation (a name streamed in
pieces) only while the call has no arguments yet — a piece that starts with the
name so far is taken as the cumulative name — and is ignored afterwards.
New calls get the wire index when it is free, else one past the largest index.
At the end of the stream, calls that never got an id are given ``call_<index>`` by
:meth:`~ToolCallAccumulator.close`, as one more fragment each, so a consumer that
follows the fragments (a framework merging chunks) ends with the ids :meth:`finish` reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, cast

from zzz_core.types import ToolCall, ToolCallDelta

__all__ = ["ToolCallAccumulator", "parse_partial_json", "parse_tool_calls"]

_decode = json.JSONDecoder(strict=False).decode  # models emit raw newlines in strings


class _Call:
    __slots__ = ("args", "extra", "id", "index", "name")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id: str | None = None
        self.name: str | None = None
        self.args: list[str] = []
        self.extra: dict[str, Any] | None = None


class ToolCallAccumulator:
    """Collects the tool-call fragments of one choice of a streamed response."""

    __slots__ = ("_by_id", "_by_wire", "_calls", "_last")

    def __init__(self) -> None:
        self._calls: dict[int, _Call] = {}
        self._by_id: dict[str, _Call] = {}
        self._by_wire: dict[int, _Call] = {}
        self._last: _Call | None = None

    def feed(self, raw: list[dict[str, Any]]) -> list[ToolCallDelta]:
        """Take one ``delta["tool_calls"]`` list as received.

        Args:
            raw: The list from the delta; malformed entries are skipped.

        Returns:
            One fragment per entry that carried something new (a first id, a
            name or name piece, argument text), with its index resolved.
        """
        out: list[ToolCallDelta] = []
        touched: _Call | None = None
        for d in raw:
            if not isinstance(d, dict):
                continue
            fn = d.get("function")
            if not isinstance(fn, dict):
                fn = {}
            cid = d.get("id")
            if not (cid and isinstance(cid, str)):
                cid = None
            name = fn.get("name")
            if not (name and isinstance(name, str)):
                name = None
            args = fn.get("arguments")
            if args is not None and not isinstance(args, str):
                args = json.dumps(args, ensure_ascii=False)
            call = self._resolve(d.get("index"), cid, name, touched)
            touched = self._last = call
            delta = ToolCallDelta(call.index)
            if cid is not None and call.id is None:  # the id may come after the first fragment
                call.id = delta.id = cid
                self._by_id.setdefault(cid, call)
            if name is not None:
                if call.name is None:
                    call.name = delta.name = name
                elif name != call.name and not call.args:
                    piece = name[len(call.name) :] if name.startswith(call.name) else name
                    call.name += piece
                    delta.name = piece
            if args:
                call.args.append(args)
                delta.arguments = args
            extra = d.get("extra_content")
            if extra and isinstance(extra, dict) and call.extra is None:  # a signature comes whole, once
                call.extra = extra
            if delta.id is not None or delta.name is not None or args:
                out.append(delta)
        return out

    def _resolve(self, index: Any, cid: str | None, name: str | None, touched: _Call | None) -> _Call:
        if index.__class__ is str and index.isdigit():
            index = int(index)
        if index.__class__ is int:
            call = self._by_wire.get(index)
            if call is None:
                call = (self._by_id.get(cid) if cid else None) or self._new(index, cid)
                self._by_wire[index] = call
            elif cid and call.id is not None and cid != call.id:
                call = self._by_id.get(cid) or self._new(index, cid)
                self._by_wire[index] = call
            return call
        if cid:
            return self._by_id.get(cid) or self._new(None, cid)
        last = self._last
        if (
            last is None
            or last is touched
            or (name is not None and last.args and last.name is not None and name != last.name)
        ):
            return self._new(None, None)
        return last

    def _new(self, index: int | None, cid: str | None) -> _Call:
        calls = self._calls
        if index is None or index in calls:
            index = max(calls) + 1 if calls else 0
        call = calls[index] = _Call(index)
        if cid:
            self._by_id[cid] = call
        return call

    def close(self) -> list[ToolCallDelta]:
        """End of stream: give each call that never got an id ``call_<index>``.

        Returns:
            One fragment per call named here (only ``index`` and ``id`` set); empty on a
            second call.
        """
        out = []
        for call in sorted(self._calls.values(), key=_index_of):
            if call.id is None:
                call.id = f"call_{call.index}"
                out.append(ToolCallDelta(call.index, id=call.id))
        return out

    def finish(self) -> list[ToolCall]:
        """Return the complete calls in index order, arguments parsed.

        Returns:
            One :class:`ToolCall` per call; invalid arguments are reported in
            ``error`` with ``args=None``, never dropped.  Safe to call again.
        """
        return [
            _make_call(c.index, c.id, c.name, "".join(c.args), c.extra)
            for c in sorted(self._calls.values(), key=_index_of)
        ]


def _index_of(call: _Call) -> int:
    return call.index


def _make_call(
    index: int, cid: str | None, name: str | None, arguments: str, extra: dict[str, Any] | None = None
) -> ToolCall:
    args: dict[str, Any] | None
    error = None
    if not arguments.strip():
        args = {}
    else:
        try:
            value = _decode(arguments)
        except (ValueError, RecursionError) as exc:
            args, error = None, f"invalid JSON arguments: {exc}"
        else:
            if isinstance(value, dict):
                args = value
            else:
                args, error = None, f"invalid JSON arguments: expected an object, got {type(value).__name__}"
    if not name and error is None:
        error = "tool call without a function name"
    return ToolCall(cid or f"call_{index}", name or "", arguments, index, args, error, extra)


def parse_tool_calls(raw: list[dict[str, Any]] | None) -> list[ToolCall]:
    """Parse a non-streamed ``message.tool_calls`` list.

    Args:
        raw: The list as received (``None`` and malformed entries tolerated).

    Returns:
        The calls in list order, ``index`` being the position, validated like
        :meth:`ToolCallAccumulator.finish`.
    """
    if not raw or not isinstance(raw, list):
        return []
    out: list[ToolCall] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        fn = item.get("function")
        if not isinstance(fn, dict):
            fn = {}
        args = fn.get("arguments")
        if args is None:
            args = ""
        elif not isinstance(args, str):
            args = json.dumps(args, ensure_ascii=False)
        cid = item.get("id")
        name = fn.get("name")
        extra = item.get("extra_content")
        out.append(
            _make_call(
                len(out),
                cid if isinstance(cid, str) else None,
                name if isinstance(name, str) else None,
                args,
                extra if isinstance(extra, dict) and extra else None,
            )
        )
    return out


# A JSON string body (after the opening quote), stopping before the closing
# quote, before a lone trailing backslash, or at the end of the text.
_STR_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.S)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WS = re.compile(r"[ \t\n\r]*")
# Both patterns match the empty string, so their match() never returns None; typed so.
_skip_ws = cast("Callable[[str, int], re.Match[str]]", _WS.match)
_string_body = cast("Callable[[str, int], re.Match[str]]", _STR_BODY.match)
_LITERALS = ("true", "false", "null")
_VALUE, _KEY, _COLON, _NEXT = range(4)


def parse_partial_json(text: str) -> dict[str, Any] | None:
    """Leniently parse the JSON arguments of a tool call that is still streaming.

    Closes an open string, object or array; drops a dangling key, a key without
    a value, a trailing comma, and an incomplete literal or number.

    Args:
        text: The argument text received so far.

    Returns:
        The best object that can be made of the prefix, or ``None`` when the
        text does not start an object.  Never raises.
    """
    try:
        value = _decode(text)
    except (ValueError, RecursionError, TypeError):
        pass
    else:
        return value if isinstance(value, dict) else None
    if not isinstance(text, str):
        return None
    try:
        return _partial(text)
    except (ValueError, RecursionError):
        return None


def _partial(text: str) -> dict[str, Any] | None:
    n = len(text)
    stack: list[str] = []  # the closer of each open container
    state = _VALUE
    good = (0, 0)  # (cut position, stack depth) where the prefix can be closed
    i = _skip_ws(text, 0).end()
    if i >= n or text[i] != "{":
        return None
    while True:
        i = _skip_ws(text, i).end()
        if i >= n:
            break
        c = text[i]
        if state == _VALUE:
            if c == "{" or c == "[":
                stack.append("}" if c == "{" else "]")
                i += 1
                state = _KEY if c == "{" else _VALUE
                good = (i, len(stack))
                continue
            if c == '"':
                j = _string_body(text, i + 1).end()
                if j < n and text[j] == '"':
                    i = j + 1
                else:  # an unfinished string value: keep what arrived
                    value = _close_string(text, i, j, stack, good)
                    return value if isinstance(value, dict) else None
            elif c == "]" and stack and stack[-1] == "]":  # "[" or "[1," then "]"
                stack.pop()
                i += 1
            else:
                m = _NUMBER.match(text, i)
                if m is not None:  # a number cut short ("1." or "1e") keeps its digits
                    i = m.end()
                else:
                    lit = next((w for w in _LITERALS if text.startswith(w, i)), None)
                    if lit is None:
                        break
                    i += len(lit)
        elif state == _KEY:
            if c == "}":
                stack.pop()
                i += 1
            elif c == '"':
                j = _string_body(text, i + 1).end()
                if j >= n or text[j] != '"':
                    break  # a dangling key
                i = j + 1
                state = _COLON
                continue
            else:
                break
        elif state == _COLON:
            if c != ":":
                break
            i += 1
            state = _VALUE
            continue
        else:  # _NEXT: after a value inside a container
            if c == ",":
                i += 1
                state = _KEY if stack[-1] == "}" else _VALUE
                continue
            if c != stack[-1]:
                break
            stack.pop()
            i += 1
        # a value just completed
        if not stack:
            good = (i, 0)
            break
        state = _NEXT
        good = (i, len(stack))
    cut, depth = good
    value = _decode(text[:cut] + "".join(reversed(stack[:depth])))
    return value if isinstance(value, dict) else None


def _close_string(text: str, start: int, end: int, stack: list[str], good: tuple[int, int]) -> Any:
    closers = "".join(reversed(stack))
    try:
        return _decode(text[:end] + '"' + closers)
    except ValueError:
        pass
    back = text.rfind("\\", start + 1, end)  # an unfinished \\uXXXX escape
    if back != -1:
        try:
            return _decode(text[:back] + '"' + closers)
        except ValueError:
            pass
    cut, depth = good
    return _decode(text[:cut] + "".join(reversed(stack[:depth])))
