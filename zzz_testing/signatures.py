"""Models whose tool loops need their reasoning signatures back (wire-facts-2 §5).

* ``gemini-3*`` models put ``extra_content.google.thought_signature`` on the first tool
  call of each step (in a stream, on that call's first delta) and answer the next turn
  with HTTP 400 "Function call is missing a thought_signature in functionCall parts…"
  unless the first tool call of every assistant message in the history echoes it
  verbatim (or carries Google's ``skip_thought_signature_validator``).
* ``openrouter/*`` models reason and send ``reasoning_details`` (one ``reasoning.text``
  item with a ``signature``; streamed as fragments sharing ``index`` 0, the signature on
  the last one) and reject a history whose tool-calling assistant messages do not bring
  the signed details back.
* ``claude*`` models with ``thinking`` in the name answer as a LiteLLM-based relay
  does for Claude: ``reasoning_content`` plus ``thinking_blocks`` (one signed
  ``thinking`` block; streamed as text fragments with ``signature: null``, then the
  signature alone), and Anthropic's 400s when the last tool-calling assistant message
  does not start with a thinking block, or a block's signature is not the one sent.
  (new-api itself drops the signature: docs/reasoning.md.)

Signatures are derived from what they sign, so the check needs no state.
"""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = [
    "SKIP_SIGNATURE",
    "check_history",
    "reasoning_details",
    "sends_details",
    "sends_thinking_blocks",
    "sign_first_call",
    "signed_reasoning",
    "signs_tool_calls",
    "thinking_blocks",
    "tool_call_extra",
]

SKIP_SIGNATURE = "skip_thought_signature_validator"
_GEMINI_MISSING = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
    "correctly, and missing thought_signature may lead to degraded model performance. Additional data, function "
    "call `default_api:{name}` , position {position}. Please refer to "
    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
_DETAILS_MISSING = "Provider returned error: messages.{position}.content.0.thinking.signature: Field required"
_BLOCKS_MISSING = (
    "messages.{position}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
    "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost "
    "set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To "
    "avoid this requirement, disable `thinking`. Please consult our documentation at "
    "https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking"
)
_BLOCKS_INVALID = "messages.{position}.content.{block}: Invalid `signature` in `thinking` block"


def signs_tool_calls(model: str) -> bool:
    return model.lower().startswith("gemini-3")


def sends_details(model: str) -> bool:
    return model.lower().startswith("openrouter/")


def sends_thinking_blocks(model: str) -> bool:
    m = model.lower()
    return m.startswith("claude") and "thinking" in m and "nothinking" not in m


def _sign(kind: str, value: str) -> str:
    # Long and base64-like, as real signatures are, so that any truncation or concatenation shows.
    return kind + hashlib.sha256(value.encode()).hexdigest() * 4


def tool_call_extra(call_id: str) -> dict[str, Any]:
    """The ``extra_content`` of the first tool call of a step."""
    return {"google": {"thought_signature": _sign("Cu", call_id)}}


def sign_first_call(model: str, calls: list[dict[str, Any]]) -> None:
    """Give the first of a step's calls (``{id, name, arguments}``) its ``extra`` when the model signs."""
    if calls and signs_tool_calls(model):
        calls[0]["extra"] = tool_call_extra(calls[0]["id"])


def reasoning_details(reasoning: str) -> list[dict[str, Any]]:
    """The ``reasoning_details`` of a non-streamed message (one signed text item)."""
    return [
        {"type": "reasoning.text", "text": reasoning, "signature": _sign("Er", reasoning),
         "format": "anthropic-claude-v1", "index": 0}
    ]  # fmt: skip


def thinking_blocks(reasoning: str) -> list[dict[str, Any]]:
    """The ``thinking_blocks`` of a non-streamed message (one signed thinking block)."""
    return [{"type": "thinking", "thinking": reasoning, "signature": _sign("Ep", reasoning)}]


def signed_reasoning(model: str, reasoning: str) -> dict[str, Any]:
    """The signed reasoning fields a non-streamed message of ``model`` carries besides its text."""
    if sends_details(model):
        return {"reasoning_details": reasoning_details(reasoning)}
    if sends_thinking_blocks(model):
        return {"thinking_blocks": thinking_blocks(reasoning)}
    return {}


def _check_blocks(messages: list[dict[str, Any]]) -> str | None:
    # Anthropic checks every thinking block it is given, but asks for one only at the start
    # of the last assistant message that called tools (earlier turns' blocks may be left out).
    last = None
    for position, msg in enumerate(messages):
        if msg.get("role") != "assistant":
            continue
        blocks = msg.get("thinking_blocks")
        for k, block in enumerate(blocks if isinstance(blocks, list) else ()):
            if isinstance(block, dict) and block.get("type") == "thinking":
                text = block.get("thinking")
                if not isinstance(text, str) or block.get("signature") != _sign("Ep", text):
                    return _BLOCKS_INVALID.format(position=position, block=k)
        if msg.get("tool_calls"):
            last = position
    if last is not None:
        blocks = messages[last].get("thinking_blocks")
        first = blocks[0] if isinstance(blocks, list) and blocks else None
        if not isinstance(first, dict) or first.get("type") not in ("thinking", "redacted_thinking"):
            return _BLOCKS_MISSING.format(position=last)
    return None


def check_history(model: str, messages: list[dict[str, Any]]) -> str | None:
    """The 400 message for a history that dropped a signature, or None when it is complete."""
    if sends_thinking_blocks(model):
        return _check_blocks(messages)
    gemini, details = signs_tool_calls(model), sends_details(model)
    if not (gemini or details):
        return None
    for position, msg in enumerate(messages):
        calls = msg.get("tool_calls") if msg.get("role") == "assistant" else None
        if not calls or not isinstance(calls, list) or not isinstance(calls[0], dict):
            continue
        if gemini:
            first = calls[0]
            got = ((first.get("extra_content") or {}).get("google") or {}).get("thought_signature")
            if got != SKIP_SIGNATURE and got != tool_call_extra(str(first.get("id")))["google"]["thought_signature"]:
                name = (first.get("function") or {}).get("name", "")
                return _GEMINI_MISSING.format(name=name, position=position + 1)
        if details:
            items = msg.get("reasoning_details")
            ok = isinstance(items, list) and any(
                isinstance(i, dict) and isinstance(i.get("text"), str) and i.get("signature") == _sign("Er", i["text"])
                for i in items
            )
            if not ok:
                return _DETAILS_MISSING.format(position=position)
    return None
