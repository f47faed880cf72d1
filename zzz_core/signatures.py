"""Provider fields that must travel back unchanged: reasoning signatures (wire-facts-2 §5).

Why: some upstreams sign their reasoning and refuse the next turn of a tool loop
unless the signed pieces come back verbatim:

* Gemini 3 puts ``extra_content.google.thought_signature`` on a tool call (in a
  stream, on the first delta of the first call of a step); without it the next
  turn fails with "Function call is missing a thought_signature".
* OpenRouter-style relays send ``reasoning_details`` (``reasoning.text`` with a
  ``signature``, ``reasoning.summary``, ``reasoning.encrypted``; Claude's thinking
  signatures travel this way too), streamed as fragments that share an ``index``.

zzz_core keeps these values as received: ``ToolCall.extra`` holds a call's
``extra_content``, ``ChatChoice.reasoning_details`` the merged details.  The skins
keep them on their assistant messages as :func:`provider_fields` (two plain keys of
``additional_kwargs``) and give them back to :func:`attach_provider_fields` when the
message is sent again.  Streams deliver them only on the final chunk, whole, so that a
framework concatenating string fields of merged chunks cannot garble a signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "DETAILS_KEY",
    "EXTRA_KEY",
    "ReasoningDetailsMerger",
    "attach_provider_fields",
    "provider_fields",
]

EXTRA_KEY = "tool_call_extra_content"
"""``additional_kwargs`` key: ``{tool call id: extra_content}`` of the message's tool calls."""
DETAILS_KEY = "reasoning_details"
"""``additional_kwargs`` key: the message's ``reasoning_details`` list, as the gateway sent it (merged)."""

_TEXT_FIELDS = ("text", "summary", "data", "signature")


class ReasoningDetailsMerger:
    """Merges the streamed ``reasoning_details`` fragments of one choice.

    Fragments with the same ``index`` (or, without one, the same position in their
    delta's list while the type stays the same) are one item: their ``text``,
    ``summary``, ``data`` and ``signature`` strings are concatenated, other keys keep
    their first value.
    """

    __slots__ = ("_items", "_order")

    def __init__(self) -> None:
        self._items: dict[Any, dict[str, Any]] = {}
        self._order: list[Any] = []

    def feed(self, raw: Any) -> None:
        if not isinstance(raw, list):
            return
        for position, part in enumerate(raw):
            if not isinstance(part, dict):
                continue
            key = part.get("index")
            if key.__class__ is not int:
                key = ("pos", position, part.get("type"))
            item = self._items.get(key)
            if item is None:
                self._items[key] = dict(part)
                self._order.append(key)
                continue
            for name, value in part.items():
                if name in _TEXT_FIELDS and isinstance(value, str) and isinstance(item.get(name), str):
                    item[name] += value
                else:
                    item.setdefault(name, value)

    def result(self) -> list[dict[str, Any]] | None:
        return [self._items[k] for k in self._order] or None


def provider_fields(choice: Any) -> dict[str, Any]:
    """The values of a decoded choice that must be sent back, as ``additional_kwargs`` entries.

    Args:
        choice: A :class:`~zzz_core.types.ChatChoice`.

    Returns:
        ``{EXTRA_KEY: {id: extra_content}}`` for tool calls that carried ``extra_content``
        and ``{DETAILS_KEY: [...]}`` when the choice had ``reasoning_details``; empty when
        there is nothing to send back.
    """
    out: dict[str, Any] = {}
    extras = {c.id: c.extra for c in choice.tool_calls if c.extra}
    if extras:
        out[EXTRA_KEY] = extras
    if choice.reasoning_details:
        out[DETAILS_KEY] = choice.reasoning_details
    return out


def attach_provider_fields(entry: dict[str, Any], kept: Mapping[str, Any]) -> dict[str, Any]:
    """Put kept provider fields back on an outgoing assistant message dict (in place).

    Args:
        entry: The assistant message as a Chat Completions dict (``tool_calls`` built).
        kept: The message's ``additional_kwargs`` (or any mapping holding :data:`EXTRA_KEY`
            / :data:`DETAILS_KEY`).

    Returns:
        ``entry``: each tool call whose id has kept ``extra_content`` carries it verbatim,
        and ``reasoning_details`` is set when kept.
    """
    extras = kept.get(EXTRA_KEY)
    if isinstance(extras, Mapping) and entry.get("tool_calls"):
        for call in entry["tool_calls"]:
            extra = extras.get(call.get("id")) if isinstance(call, dict) else None
            if extra:
                call["extra_content"] = extra
    details = kept.get(DETAILS_KEY)
    if isinstance(details, list) and details:
        entry[DETAILS_KEY] = details
    return entry
