"""A forced function call turned back into the answer the caller asked for.

When a model rejects a ``json_schema`` response format, :mod:`zzz_core.negotiation` asks
for one forced function call whose parameters are the schema instead.  The caller still
expects the JSON as the message's content (its parser, and so its parsed type, are the
``json_schema`` ones), so the answer is rewritten before anything decodes it:

* the call's ``arguments`` become the content (an object some relays send is dumped to
  JSON text); other text the model wrote beside the call is dropped: it is not the JSON;
* ``tool_calls`` is removed and a ``finish_reason`` of ``tool_calls`` becomes ``stop``, so
  no tool call reaches the caller;
* in a stream, each argument fragment becomes a content fragment of the same event, so
  the caller's streaming parser sees the JSON grow as it would have;
* an answer without the call is a :class:`~zzz_core.errors.GatewayError` with code
  :data:`NOT_CALLED`; the loop then learns JSON mode and sends again.
  A stream that already delivered something (reasoning) cannot be sent again: it gets the
  text the model wrote instead, as content, at its end.

Pure rewriting of decoded JSON; the transport's loop calls it through
:class:`~zzz_core.negotiation.Negotiated`.
"""

from __future__ import annotations

import json
from typing import Any

from . import error_map
from . import errors as E
from .error_map import ErrorContext

__all__ = ["NOT_CALLED", "CallAsContent", "content_from_call", "not_called"]

#: The ``code`` of the error for an answer that did not call the forced function (HTTP 200).
NOT_CALLED = "forced_function_not_called"


def content_from_call(payload: Any, function: str, ctx: ErrorContext) -> Any:
    """A non-streamed chat answer with the call of ``function`` as each choice's content.

    Raises:
        GatewayError: no choice called it (code ``NOT_CALLED``).
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
        return payload  # not a chat answer: the decoder reports it
    choices, called = [], False
    for choice in payload["choices"]:
        message = choice.get("message") if isinstance(choice, dict) else None
        arguments = _arguments(message.get("tool_calls"), function) if isinstance(message, dict) else None
        if arguments is None or not isinstance(message, dict):
            choices.append(choice)
            continue
        called = True
        message = {k: v for k, v in message.items() if k not in ("tool_calls", "function_call")}
        choices.append({**choice, "message": {**message, "content": arguments}, **_finish(choice)})
    if not called:
        raise not_called(function, payload, ctx)
    return {**payload, "choices": choices}


def not_called(function: str, payload: Any, ctx: ErrorContext) -> E.ZZZError:
    """The error for an answer without the forced call (HTTP 200; not retryable as such)."""
    message = f"the model answered without calling {function!r}, the function asked for in place of json_schema"
    return error_map.classify(status=200, code=NOT_CALLED, message=message, body=payload, ctx=ctx)


def _arguments(calls: Any, function: str) -> str | None:
    """The arguments (JSON text) of the call of ``function`` (else of the first call), or None."""
    listed = [c for c in calls or () if isinstance(c, dict) and isinstance(c.get("function"), dict)]
    call = next((c for c in listed if c["function"].get("name") == function), listed[0] if listed else None)
    if call is None:
        return None
    arguments = call["function"].get("arguments")
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)


def _finish(choice: dict[str, Any]) -> dict[str, Any]:
    return {"finish_reason": "stop"} if choice.get("finish_reason") in ("tool_calls", "function_call") else {}


class CallAsContent:
    """A stream sink that feeds ``inner`` the argument fragments of the forced call as content.

    It offers what the transport's loop asks of a sink (``delivered``, ``feed``, ``finish``...)
    and keeps ``inner`` (the assembler the stream's ``result()`` reads) whole.
    """

    __slots__ = ("_ctx", "_first", "_function", "_inner", "_text")

    def __init__(self, inner: Any, function: str, ctx: ErrorContext) -> None:
        self._inner = inner
        self._function = function
        self._ctx = ctx
        self._first: dict[int, Any] = {}  # choice -> the index of its first tool call (the one kept)
        self._text: dict[int, list[str]] = {}  # choice -> what the model wrote beside (or instead of) the call

    @property
    def delivered(self) -> bool:
        return bool(self._inner.delivered)

    @property
    def saw_finish_reason(self) -> bool:
        return bool(self._inner.saw_finish_reason)

    def content_so_far(self, index: int = 0) -> str:
        return str(self._inner.content_so_far(index))

    def feed(self, payload: dict[str, Any]) -> list[Any]:
        choices = payload.get("choices")
        if not isinstance(choices, list) or not choices:
            return list(self._inner.feed(payload))
        return list(self._inner.feed({**payload, "choices": [self._choice(c) for c in choices]}))

    def finish(self) -> list[Any]:
        if self._first:
            return list(self._inner.finish())
        if not self._inner.delivered:
            raise not_called(self._function, None, self._ctx)  # nothing delivered: JSON mode is tried next
        # Reasoning already reached the caller, so no second request: the text is the best answer left.
        written = {"choices": [{"index": i, "delta": {"content": "".join(t)}} for i, t in self._text.items()]}
        return list(self._inner.feed(written)) + list(self._inner.finish())

    def _choice(self, choice: Any) -> Any:
        if not isinstance(choice, dict):
            return choice
        index = choice["index"] if type(choice.get("index")) is int else 0
        delta = choice.get("delta")
        out = {**choice, **_finish(choice)}
        if isinstance(delta, dict):
            delta = dict(delta)
            text = delta.pop("content", None)
            if isinstance(text, str) and text:
                self._text.setdefault(index, []).append(text)
            arguments = self._fragment(index, delta.pop("tool_calls", None))
            delta.pop("function_call", None)
            if arguments:
                delta["content"] = arguments
            out["delta"] = delta
        return out

    def _fragment(self, index: int, calls: Any) -> str:
        """The argument text of this event's fragments of the choice's first call."""
        pieces = []
        for call in calls or ():
            if not isinstance(call, dict):
                continue
            first = self._first.setdefault(index, call.get("index", 0))
            function = call.get("function")
            if call.get("index", 0) == first and isinstance(function, dict):
                arguments = function.get("arguments")
                if isinstance(arguments, str):
                    pieces.append(arguments)
                elif arguments is not None:
                    pieces.append(json.dumps(arguments, ensure_ascii=False))
        return "".join(pieces)
