"""Provider fields that must travel back unchanged: reasoning signatures (wire-facts-2 §5).

Why: some upstreams sign their reasoning and refuse the next turn of a tool loop
unless the signed pieces come back verbatim:

* Gemini 3 puts ``extra_content.google.thought_signature`` on a tool call (in a
  stream, on the first delta of the first call of a step); without it the next
  turn fails with "Function call is missing a thought_signature".
* OpenRouter-style relays send ``reasoning_details`` (``reasoning.text`` with a
  ``signature``, ``reasoning.summary``, ``reasoning.encrypted``; Claude's thinking
  signatures travel this way too), streamed as fragments that share an ``index``.
* LiteLLM-based relays send Claude's thinking as ``thinking_blocks``
  (``{"type": "thinking", "thinking", "signature"}`` or ``{"type":
  "redacted_thinking", "data"}``) and take the list back on the assistant message;
  a stream sends one fragment per Anthropic delta: the thinking text in pieces with
  ``signature: null``, then the signature alone.  new-api drops the signature on
  its Chat Completions path (docs/reasoning.md has the sources).

zzz_core keeps these values as received: ``ToolCall.extra`` holds a call's
``extra_content``, ``ChatChoice.reasoning_details`` the merged details,
``ChatChoice.thinking_blocks`` the merged blocks.  The skins keep them on their
assistant messages as :func:`provider_fields` (plain keys of ``additional_kwargs``)
and give them back to :func:`attach_provider_fields` when the message is sent again.
Streams deliver them only on the final chunk, whole, so that a framework
concatenating string fields of merged chunks cannot garble a signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "BLOCKS_KEY",
    "DETAILS_KEY",
    "EXTRA_KEY",
    "ReasoningDetailsMerger",
    "ThinkingBlocksMerger",
    "attach_provider_fields",
    "provider_fields",
]

EXTRA_KEY = "tool_call_extra_content"
"""``additional_kwargs`` key: ``{tool call id: extra_content}`` of the message's tool calls."""
DETAILS_KEY = "reasoning_details"
"""``additional_kwargs`` key: the message's ``reasoning_details`` list, as the gateway sent it (merged)."""

BLOCKS_KEY = "thinking_blocks"
"""``additional_kwargs`` key: the message's Claude ``thinking_blocks`` list (LiteLLM's shape), merged."""

_TEXT_FIELDS = ("text", "summary", "data", "signature")
_BLOCK_TEXT_FIELDS = ("thinking", "signature", "data")


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


class ThinkingBlocksMerger:
    """Merges the streamed ``thinking_blocks`` fragments of one choice (LiteLLM's shape).

    LiteLLM turns each Anthropic ``thinking_delta`` into ``[{"type": "thinking",
    "thinking": piece, "signature": null}]`` and the ``signature_delta`` into
    ``[{"type": "thinking", "thinking": "", "signature": sig}]``, without an index.
    So a thinking fragment continues the last thinking block until that block is
    signed; a fragment carrying text after the signature starts a new block (a
    response can hold several).  ``redacted_thinking`` blocks arrive whole.  Fragments
    that do carry an ``index`` are merged by it.
    """

    __slots__ = ("_blocks", "_by_index")

    def __init__(self) -> None:
        self._blocks: list[dict[str, Any]] = []
        self._by_index: dict[int, dict[str, Any]] = {}

    def feed(self, raw: Any) -> None:
        if not isinstance(raw, list):
            return
        for part in raw:
            if not isinstance(part, dict):
                continue
            key = part.get("index")
            if key.__class__ is int:
                item = self._by_index.get(key)
                if item is None:
                    self._by_index[key] = self._new(part)
                else:
                    _merge_block(item, part)
                continue
            last = self._blocks[-1] if self._blocks else None
            if (
                last is not None
                and part.get("type") == "thinking"
                and last.get("type") == "thinking"
                and "index" not in last
                and (not last.get("signature") or not part.get("thinking"))
            ):
                _merge_block(last, part)
            else:
                self._new(part)

    def _new(self, part: dict[str, Any]) -> dict[str, Any]:
        item = dict(part)
        self._blocks.append(item)
        return item

    def result(self) -> list[dict[str, Any]] | None:
        return self._blocks or None


def _merge_block(item: dict[str, Any], part: dict[str, Any]) -> None:
    for name, value in part.items():
        old = item.get(name)
        if name in _BLOCK_TEXT_FIELDS and isinstance(value, str):
            item[name] = old + value if isinstance(old, str) else value
        elif old is None:
            item[name] = value


def provider_fields(choice: Any) -> dict[str, Any]:
    """The values of a decoded choice that must be sent back, as ``additional_kwargs`` entries.

    Args:
        choice: A :class:`~zzz_core.types.ChatChoice`.

    Returns:
        ``{EXTRA_KEY: {id: extra_content}}`` for tool calls that carried ``extra_content``,
        ``{DETAILS_KEY: [...]}`` when the choice had ``reasoning_details`` and
        ``{BLOCKS_KEY: [...]}`` when it had ``thinking_blocks``; empty when there is
        nothing to send back.
    """
    out: dict[str, Any] = {}
    extras = {c.id: c.extra for c in choice.tool_calls if c.extra}
    if extras:
        out[EXTRA_KEY] = extras
    if choice.reasoning_details:
        out[DETAILS_KEY] = choice.reasoning_details
    if choice.thinking_blocks:
        out[BLOCKS_KEY] = choice.thinking_blocks
    return out


def attach_provider_fields(entry: dict[str, Any], kept: Mapping[str, Any]) -> dict[str, Any]:
    """Put kept provider fields back on an outgoing assistant message dict (in place).

    Args:
        entry: The assistant message as a Chat Completions dict (``tool_calls`` built).
        kept: The message's ``additional_kwargs`` (or any mapping holding :data:`EXTRA_KEY`,
            :data:`DETAILS_KEY` or :data:`BLOCKS_KEY`).

    Returns:
        ``entry``: each tool call whose id has kept ``extra_content`` carries it verbatim,
        and ``reasoning_details`` / ``thinking_blocks`` are set when kept.
    """
    extras = kept.get(EXTRA_KEY)
    if isinstance(extras, Mapping) and entry.get("tool_calls"):
        for call in entry["tool_calls"]:
            extra = extras.get(call.get("id")) if isinstance(call, dict) else None
            if extra:
                call["extra_content"] = extra
    for key in (DETAILS_KEY, BLOCKS_KEY):
        value = kept.get(key)
        if isinstance(value, list) and value:
            entry[key] = value
    return entry
