"""Parameter negotiation: learning from a gateway's 400 which request parameter a model does not take.

One relay key reaches hundreds of models; the profiles know the families we know, but a
relay adds models every week and converts requests differently per upstream.  When a
model answers 400 *because of a parameter* (wire-facts-2 §7), the request is adjusted
once and sent again, inside the one retry loop (:mod:`zzz_core.transport`), and the
adjustment is remembered per (host, model) for the life of the process, so later calls
go right the first time.  One warning names the parameter.

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
* ``response_format`` of type ``json_schema`` rejected: JSON mode (``json_object``) with
  the schema given to the model in a system message, so the answer is still the JSON the
  caller's parser expects (the parsed type is kept); ``json_object`` rejected: dropped,
  the instruction kept;
* anything else (``temperature``, ``parallel_tool_calls``, ``stream_options``,
  ``encoding_format``, penalties, ``logprobs``...): dropped.

``model``, ``messages``, ``input``, ``prompt``, ``stream`` and ``tools`` are never
touched: without them the call would mean something else.  :func:`without_disabled`
applies a class's ``disabled_params`` (ChatOpenAI's setting) before anything is sent.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import errors as E

__all__ = [
    "MAX_ADJUSTMENTS",
    "REJECTION_CODES",
    "Adjustment",
    "diagnose",
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
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One change to a request body: ``action`` is ``drop``, ``rename`` or ``json_mode``."""

    param: str
    action: str
    to: str | None = None

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with this change made (a new dict; ``body`` is not modified)."""
        if self.param not in body:
            return body
        out = dict(body)
        value = out.pop(self.param)
        if self.action == "rename" and self.to:
            out.setdefault(self.to, value)
        elif self.action == "json_mode":
            out = _json_mode(out, value)
        return out

    def describe(self) -> str:
        if self.action == "rename":
            return f"sending {self.param!r} as {self.to!r}"
        if self.action == "json_mode":
            return "asking for JSON mode (json_object) with the schema in a system message instead"
        return f"leaving {self.param!r} out"


def _json_mode(body: dict[str, Any], response_format: Any) -> dict[str, Any]:
    fmt = response_format if isinstance(response_format, Mapping) else {}
    schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
    if fmt.get("type") == "json_schema":
        body["response_format"] = {"type": "json_object"}
    if schema is not None and isinstance(body.get("messages"), list):
        text = "Answer with one JSON object only, matching this JSON schema: " + json.dumps(schema, ensure_ascii=False)
        body["messages"] = [{"role": "system", "content": text}, *body["messages"]]
    return body


def _error_fields(exc: E.ZZZError) -> tuple[str, str | None]:
    """(code, param) from the error body as the gateway sent it."""
    body = getattr(exc, "body", None)
    err = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    param = err.get("param") if isinstance(err, dict) else None
    code = exc.code if isinstance(exc.code, str) else ""
    return code.strip().lower(), param if isinstance(param, str) and param else None


def diagnose(exc: BaseException, body: Mapping[str, Any]) -> Adjustment | None:
    """The adjustment that answers ``exc`` for this ``body``, or ``None`` when ``exc`` is not a
    parameter rejection (or names nothing this body sent)."""
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
    keys = {str(k).lower(): k for k in body}  # Gemini writes "Logprobs is not supported"
    candidates = [*aliased, param] if param else list(aliased)
    candidates += [keys[w.lower()] for w in _NAME.findall(text) if w.lower() in keys]
    if "response_format" in text and "response_format" in body:
        candidates.insert(0, "response_format")
    for name in candidates:
        if name not in body or name in _NEVER_TOUCHED:
            continue
        if name in _RENAMES:
            return Adjustment(name, "rename", _RENAMES[name])
        fmt = body.get("response_format")
        if name == "response_format" and isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
            return Adjustment(name, "json_mode")
        return Adjustment(name, "drop")
    return None


# -- what was learned, per (host, model), for the process ---------------------------------

_learned: dict[tuple[str, str], tuple[Adjustment, ...]] = {}
_lock = threading.Lock()


def learned(host: str, model: str) -> tuple[Adjustment, ...]:
    """The adjustments learned for ``model`` at ``host`` (in the order they were learned)."""
    return _learned.get((host, model), ())


def prepare(body: dict[str, Any], host: str) -> dict[str, Any]:
    """``body`` with every adjustment learned for its model at ``host`` applied."""
    for adjustment in _learned.get((host, str(body.get("model") or "")), ()):
        body = adjustment.apply(body)
    return body


def learn(exc: BaseException, sent: dict[str, Any], host: str) -> bool:
    """After a failure of the body ``sent`` to ``host``: if it was a parameter rejection
    that an adjustment fixes, remember the adjustment (and warn once) and return True,
    so that the loop sends again; else False."""
    adjustment = diagnose(exc, sent)
    if adjustment is None or adjustment.apply(sent) == sent:
        return False
    model = str(sent.get("model") or "")
    with _lock:
        known = _learned.get((host, model), ())
        if any(k.action == "rename" and k.to == adjustment.param for k in known):
            return False  # both names rejected: renaming back would go round in circles
        if adjustment in known:
            return True  # another thread learned it meanwhile; prepare() applies it
        _learned[(host, model)] = (*known, adjustment)
    log.warning(
        "zzz: %s at %s rejected the parameter %r (%s); %s, for this model and host from now on. "
        "Set disabled_params or profile_overrides to skip the failed first call.",
        model, host, adjustment.param, (getattr(exc, "msg", None) or "")[:120],
        adjustment.describe(),
    )  # fmt: skip
    return True


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
