"""Parameter negotiation: learning from a gateway's 400 which request parameter a model does not take.

One relay key reaches hundreds of models; the profiles know the families we know, but a
relay adds models every week and converts requests differently per upstream.  When a
model answers 400 *because of a parameter* (wire-facts-2 §7), the request is adjusted
once and sent again, inside the one retry loop (:mod:`zzz_core.transport`), and the
adjustment is remembered per (host, model) for the life of the process, so later calls
go right the first time.  One warning names the parameter (one per step learned: a model
that takes neither ``json_schema`` nor function calling gets two, ``response_format`` then
``tools``, and costs three requests the first time).  The loop asks :func:`attempt` what
to send; the :class:`Negotiated` it gets back also hands back a forced function call as
content and says whether a failure is learned.

What counts as a parameter rejection, decided here and nowhere else:

* an :class:`~zzz_core.errors.InvalidRequestError` (or an unknown-code error) with HTTP
  400 or 422, never a context-length, content-filter or bad-messages answer;
* whose ``code`` is ``unsupported_parameter``, ``unsupported_value`` or
  ``unknown_parameter``, or whose ``param`` or message names a parameter of the body in
  a known rejection phrasing ("Unsupported parameter", "Unrecognized request argument
  supplied", "does not support the parameter", "Only the default (1) value", "This
  response_format type is unavailable", ...).

What is done (each :class:`Adjustment` is pure: body in, body out):

* ``max_tokens`` <-> ``max_completion_tokens``: renamed;
* ``response_format`` of type ``json_schema`` rejected: one forced function call instead
  (``tools`` = one function named after the schema, whose parameters are the schema;
  ``tool_choice`` naming it; ``response_format`` removed).  The answer's call is handed
  back as the content (:mod:`zzz_core.function_answers`, also for stream events), so the
  caller's parser gets the same JSON and the parsed type is kept; no tool call reaches
  the caller.  The function's name is the schema's, with what a function name may not hold
  replaced by ``_``; ``strict`` is not carried over (the schema keeps its strict-mode
  rewrite): a model that refuses ``json_schema`` rarely takes strict function calling, and
  the flag would risk a second refusal.  When the caller sent tools of its own, they are
  never replaced: this step is skipped;
* that function call refused too (a parameter rejection naming ``tools``/``tool_choice``
  or function calling, or an answer without the call): JSON mode
  (``json_object``) with the schema given to the model in a system message (joined to the caller's leading
  plain-text one: several upstreams take one system message only), learned in
  the function call's place; ``json_object`` rejected: dropped, the instruction kept;
* anything else (``temperature``, ``parallel_tool_calls``, ``stream_options``,
  ``encoding_format``, penalties, ``logprobs``...): dropped.  A ``response_format`` dropped
  this way (a refused ``json_object``) stays on a later ``json_schema`` call, which takes
  the steps above instead, as what was learned for ``json_schema`` leaves ``json_object`` alone.

``model``, ``messages``, ``input``, ``prompt``, ``stream`` and ``tools`` are never
touched: without them the call would mean something else (the forced function is added
only where the caller sent no ``tools``, and its refusal is told apart from a refusal of
the caller's own tools by comparing the caller's body with the one sent).
:func:`without_disabled` applies a class's ``disabled_params`` (ChatOpenAI's setting)
before anything is sent.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .tool_schemas import safe_function_name

__all__ = [
    "MAX_ADJUSTMENTS",
    "REJECTION_CODES",
    "Adjustment",
    "Negotiated",
    "attempt",
    "diagnose",
    "forced_function",
    "forget",
    "learn",
    "learned",
    "prepare",
    "without_disabled",
]

log = logging.getLogger("zzz_core")

#: The error codes that say "this parameter" (OpenAI, and new-api passing them through).
REJECTION_CODES = frozenset({"unsupported_parameter", "unsupported_value", "unknown_parameter"})
#: Adjusted resends one call may make (each names a different parameter).
MAX_ADJUSTMENTS = 3

_NEVER_TOUCHED = frozenset({"model", "messages", "input", "prompt", "stream", "tools"})
_RENAMES = {"max_tokens": "max_completion_tokens", "max_completion_tokens": "max_tokens"}
_REJECTION_TEXT = re.compile(
    r"unsupported (parameter|value)|unknown parameter|unrecognized request argument|does not support the parameter|"
    r"not supported with this model|only the default|only \S+ is allowed|is only allowed when|is not supported|"
    r"unavailable now|not support|invalid (parameter|argument)",
    re.IGNORECASE,
)
# A name in the message counts only where the message names it as the thing refused: quoted
# ('temperature', `presence_penalty`), after "parameter"/"argument supplied:"/"invalid"/"unknown"
# ("invalid temperature: ..."), or before "is not"/"not supported" ("Logprobs is not supported").
# A word that merely occurs ("Image input is not supported for this user") names nothing: the
# caller's ``user`` or ``stop`` would be dropped from every later call for a 400 about something else.
_N = r"[A-Za-z_][A-Za-z0-9_]*"
_NAMED = re.compile(
    rf"['\"`]({_N})['\"`]"
    rf"|(?:argument\s+supplied:|parameter|argument|invalid|unsupported|unknown|unrecognized)\s+({_N})"
    rf"|\b({_N})\s+(?:is\s+|are\s+)?(?:not\s+supported|not\s+allowed|only\s+allowed)",
    re.IGNORECASE,
)
_FUNCTION_PARAMS = frozenset({"tools", "tool_choice", "functions", "function_call"})
_FUNCTION_TEXT = re.compile(r"\btools?\b|tool_choice|tool.?call|function.?call", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One change to a request body: ``action`` is ``drop``, ``rename``, ``function_call`` or ``json_mode``."""

    param: str
    action: str
    to: str | None = None

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with this change made (a new dict; ``body`` is not modified)."""
        if self.param not in body:
            return body
        if self.action in ("json_mode", "function_call") and _schema_spec(body[self.param]) is None:
            return body  # learned for json_schema: a later call asking for json_object keeps it
        if self.action == "drop" and self.param == "response_format" and _schema_spec(body[self.param]) is not None:
            return body  # learned for json_object: json_schema has its own steps (never dropped unsaid)
        out = dict(body)
        value = out.pop(self.param)
        if self.action == "rename" and self.to:
            out.setdefault(self.to, value)
        elif self.action == "function_call" and "tools" not in out:
            out.update(_forced_tool(value))
        elif self.action in ("json_mode", "function_call"):  # the caller's own tools are never replaced
            out = _json_mode(out, value)
        return out

    def describe(self, body: Mapping[str, Any] | None = None) -> str:
        """What is done instead, said for the warning (``body``: the body it was done to)."""
        if self.action == "rename":
            return f"sending {self.param!r} as {self.to!r}"
        if self.action == "function_call" and not (body is not None and "tools" in body):
            return (
                "asking for one forced function call (tools/tool_choice) with the schema instead, its arguments "
                "handed back as the answer's content"
            )
        if self.action in ("json_mode", "function_call"):
            return "asking for JSON mode (json_object) with the schema in a system message instead"
        return f"leaving {self.param!r} out"


_JSON_MODE = Adjustment("response_format", "json_mode")


def _schema_spec(response_format: Any) -> Mapping[str, Any] | None:
    """The ``json_schema`` part of a ``json_schema`` response format, else None."""
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    return spec if isinstance(spec, Mapping) else None


def _forced_tool(response_format: Any) -> dict[str, Any]:
    """``tools`` + ``tool_choice``: one function whose parameters are the schema, its call required."""
    spec = _schema_spec(response_format) or {}
    # A schema name allows what a function name does not ("my schema.v1"): the API would refuse the tool.
    name = safe_function_name(spec["name"], fallback="response") if isinstance(spec.get("name"), str) else "response"
    function: dict[str, Any] = {"name": name, "parameters": spec.get("schema") or {"type": "object"}}
    if isinstance(spec.get("description"), str):
        function["description"] = spec["description"]
    return {
        "tools": [{"type": "function", "function": function}],
        "tool_choice": {"type": "function", "function": {"name": name}},
    }


def _json_mode(body: dict[str, Any], response_format: Any) -> dict[str, Any]:
    fmt = response_format if isinstance(response_format, Mapping) else {}
    schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
    if fmt.get("type") == "json_schema":
        body["response_format"] = {"type": "json_object"}
    if schema is not None and isinstance(body.get("messages"), list):
        text = "Answer with one JSON object only, matching this JSON schema: " + json.dumps(schema, ensure_ascii=False)
        messages = body["messages"]
        first = messages[0] if messages and isinstance(messages[0], Mapping) else None
        # Several upstreams (Claude and Qwen behind a relay among them) take one leading system
        # message only: join the caller's when it is plain text, else put ours first.
        if first is not None and first.get("role") == "system" and isinstance(first.get("content"), str):
            body["messages"] = [{**first, "content": f"{first['content']}\n\n{text}"}, *messages[1:]]
        else:
            body["messages"] = [{"role": "system", "content": text}, *messages]
    return body


def _error_fields(exc: BaseException) -> tuple[str, str | None]:
    """(code, param) from the error body as the gateway sent it."""
    body = getattr(exc, "body", None)
    err = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    param = err.get("param") if isinstance(err, dict) else None
    code = getattr(exc, "code", None)
    code = code if isinstance(code, str) else ""
    return code.strip().lower(), param if isinstance(param, str) and param else None


def _rejection(exc: BaseException, body: Mapping[str, Any]) -> tuple[str | None, str, list[str]] | None:
    """``(param, message, aliased names)`` when ``exc`` is a parameter rejection, else None."""
    from . import error_map  # here, not at import: the skins import this module, which must not load openai
    from . import errors as E

    if not isinstance(exc, E.GatewayStatusError) or exc.status_code not in (400, 422):
        return None
    named = E.named_class(type(exc))
    if named not in (E.InvalidRequestError, E.GatewayError):
        return None  # context length, content filter, auth...: never about a parameter
    code, param = _error_fields(exc)
    text = f"{exc.msg or ''}"
    # Parameters relays name by another word ("unsupported encoding: base64"): the normalizer's decision.
    aliased = [k for k in body if k in error_map.PARAMETER_WORDS and error_map.rejects_parameter(exc, k)]
    if code not in REJECTION_CODES and not _REJECTION_TEXT.search(text) and not aliased:
        return None
    return param, text, aliased


def diagnose(exc: BaseException, body: Mapping[str, Any]) -> Adjustment | None:
    """The adjustment that answers ``exc`` for this ``body``, or ``None`` when ``exc`` is not a
    parameter rejection (or names nothing this body sent)."""
    found = _rejection(exc, body)
    if found is None:
        return None
    param, text, aliased = found
    keys = {str(k).lower(): k for k in body}  # Gemini writes "Logprobs is not supported"
    candidates = [*aliased, param] if param else list(aliased)
    named = ("".join(groups) for groups in _NAMED.findall(text))
    candidates += [keys[w.lower()] for w in named if w.lower() in keys]
    if "response_format" in text and "response_format" in body:
        candidates.insert(0, "response_format")
    for name in candidates:
        if name not in body or name in _NEVER_TOUCHED:
            continue
        if name in _RENAMES:
            return Adjustment(name, "rename", _RENAMES[name])
        if name == "response_format" and _schema_spec(body.get(name)) is not None:
            return Adjustment(name, "function_call")  # and, if that fails too, JSON mode
        return Adjustment(name, "drop")
    return None


def _refuses_function_calling(exc: BaseException, sent: Mapping[str, Any]) -> bool:
    """Whether ``exc``, the answer to a body carrying the forced function, says no to it: a
    parameter rejection naming ``tools``/``tool_choice`` or function calling, or an answer
    without the call (:data:`~zzz_core.function_answers.NOT_CALLED`)."""
    from .function_answers import NOT_CALLED  # here: it loads openai, which the skins' import of this must not

    if getattr(exc, "code", None) == NOT_CALLED:
        return True
    found = _rejection(exc, sent)
    if found is None:
        return False
    param, text, _ = found
    if param is not None:  # "tools", "tool_choice", "tools[0].function.name"; another name is not about the call
        return re.split(r"[.\[]", param, maxsplit=1)[0] in _FUNCTION_PARAMS
    return bool(_FUNCTION_TEXT.search(text))


# -- what was learned, per (host, model), for the process ---------------------------------

_learned: dict[tuple[str, str], tuple[Adjustment, ...]] = {}
_lock = threading.Lock()


def learned(host: str, model: str) -> tuple[Adjustment, ...]:
    """The adjustments learned for ``model`` at ``host``, in the order :func:`prepare` applies them
    (json_schema's stand-in first, the others as they were learned)."""
    return _learned.get((host, model), ())


def prepare(body: dict[str, Any], host: str) -> dict[str, Any]:
    """``body`` with every adjustment learned for its model at ``host`` applied."""
    for adjustment in _learned.get((host, str(body.get("model") or "")), ()):
        body = adjustment.apply(body)
    return body


def learn(exc: BaseException, sent: dict[str, Any], host: str, asked: Mapping[str, Any] | None = None) -> bool:
    """After a failure of the body ``sent`` to ``host``: if it was a parameter rejection
    that an adjustment fixes, remember the adjustment (and warn once) and return True,
    so that the loop sends again; else False.

    ``asked`` is the caller's body before :func:`prepare`: with it, a refusal of the forced
    function that stands in for ``json_schema`` is told apart from one of the caller's tools.
    """
    model = str(sent.get("model") or "")
    if asked is not None and forced_function(asked, sent) is not None and _refuses_function_calling(exc, sent):
        return _fall_back_to_json_mode(exc, host, model)
    adjustment = diagnose(exc, sent)
    if adjustment is None or adjustment.apply(sent) == sent:
        return False
    with _lock:
        known = _learned.get((host, model), ())
        if any(k.action == "rename" and k.to == adjustment.param for k in known):
            return False  # both names rejected: renaming back would go round in circles
        if adjustment in known or (adjustment.action == "function_call" and _JSON_MODE in known):
            # Another thread learned it meanwhile (or already went past it to JSON mode: a
            # call that started before then must not put the refused function call back).
            return True
        # json_schema's stand-in goes first: a drop of response_format learned for json_object
        # must see the json_object it makes (prepare applies them in this order).
        _learned[(host, model)] = (adjustment, *known) if adjustment.action == "function_call" else (*known, adjustment)
    _warn(model, host, f"rejected the parameter {adjustment.param!r}", exc, adjustment.describe(sent))
    return True


def _fall_back_to_json_mode(exc: BaseException, host: str, model: str) -> bool:
    """The forced function was refused too: JSON mode takes its place in what was learned."""
    from .function_answers import NOT_CALLED  # here, not at import (see _refuses_function_calling)

    json_mode = _JSON_MODE
    with _lock:
        known = _learned.get((host, model), ())
        if json_mode in known:
            return True  # another thread learned it meanwhile
        replaced = tuple(json_mode if k.action == "function_call" else k for k in known)
        _learned[(host, model)] = replaced if json_mode in replaced else (json_mode, *known)
    if getattr(exc, "code", None) == NOT_CALLED:
        what = "answered without the function call 'tool_choice' required"
    else:
        _, param = _error_fields(exc)
        what = f"rejected the parameter {param if param in _FUNCTION_PARAMS else 'tools'!r}"
    _warn(model, host, what, exc, json_mode.describe())
    return True


def _warn(model: str, host: str, what: str, exc: BaseException, instead: str) -> None:
    log.warning(
        "zzz: %s at %s %s (%s); %s, for this model and host from now on. "
        "Set disabled_params or profile_overrides to skip the failed first call.",
        model, host, what, (getattr(exc, "msg", None) or "")[:120], instead,
    )  # fmt: skip


def forced_function(asked: Any, sent: Any) -> str | None:
    """The name of the function ``sent`` forces in place of ``asked``'s ``json_schema``, or None.

    ``tools`` is never added to a body but by the ``function_call`` adjustment (and never
    taken from one), so tools in ``sent`` that ``asked`` had not are that function.  Its
    name is read from ``tools``, not ``tool_choice``: a model that refused a named
    ``tool_choice`` before has that one dropped, and its answer still carries the call.
    """
    if not isinstance(asked, Mapping) or not isinstance(sent, Mapping) or "tools" in asked:
        return None
    tools = sent.get("tools")
    tool = tools[0] if isinstance(tools, list) and len(tools) == 1 else None
    function = tool.get("function") if isinstance(tool, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    return name if isinstance(name, str) else None


@dataclass(frozen=True, slots=True)
class Negotiated:
    """One attempt of a call: the caller's body (``asked``), the body sent for it (``sent``,
    the learned adjustments applied) and, when ``sent`` forces a function in place of a
    ``json_schema`` response format, that function's name (``function``).

    The transport's loop sends ``sent``, passes the answer through :meth:`answer` (or each
    stream event through :meth:`sink`) and, on a failure, asks :meth:`learn` whether to
    send again.
    """

    asked: Any
    sent: Any
    host: str
    function: str | None = None

    def answer(self, payload: Any, ctx: Any) -> Any:
        """``payload`` as the caller asked for it: the forced function's arguments as the content.

        Raises:
            GatewayError: the answer did not call the function (code
                :data:`~zzz_core.function_answers.NOT_CALLED`);
                :meth:`learn` then falls back to JSON mode.
        """
        if self.function is None:
            return payload
        from .function_answers import content_from_call

        return content_from_call(payload, self.function, ctx)

    def sink(self, sink: Any, ctx: Any) -> Any:
        """``sink``, or a sink feeding it the forced function's argument deltas as content deltas."""
        if self.function is None:
            return sink
        from .function_answers import CallAsContent

        return CallAsContent(sink, self.function, ctx)

    def learn(self, exc: BaseException) -> bool:
        """:func:`learn` for this attempt's failure."""
        return isinstance(self.sent, dict) and learn(exc, self.sent, self.host, self.asked)


def attempt(body: Any, host: str) -> Negotiated:
    """What to send for ``body`` to ``host`` now (see :class:`Negotiated`)."""
    sent = prepare(body, host) if isinstance(body, dict) else body
    return Negotiated(body, sent, host, forced_function(body, sent))


def forget() -> None:
    """Forget every learned adjustment (for tests)."""
    with _lock:
        _learned.clear()


def without_disabled(body: dict[str, Any], disabled_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``body`` without the parameters ``disabled_params`` disables (ChatOpenAI's semantics).

    ``{"parallel_tool_calls": None}`` never sends the parameter; ``{"temperature": [0, 0.7]}``
    leaves it out only when its value is one of those listed.
    """
    if not disabled_params:
        return body
    out = dict(body)
    for name, values in disabled_params.items():
        if name in _NEVER_TOUCHED or name not in out:
            continue
        if values is None or out[name] in (values if isinstance(values, (list, tuple, set)) else [values]):
            del out[name]
    return out
