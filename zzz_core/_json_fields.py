"""Readers of loosely typed JSON fields, shared by the payload decoders and the stream assemblers.

Why: relays send content as a string or as a list of parts, and numbers that may be
missing or of another type; both decoders read them the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["content_text", "dict_items", "int_or_none"]


def content_text(content: Any) -> str | None:
    """Content as a string: joins ``[{"type": "text", "text": ...}]`` parts."""
    if content is None or content.__class__ is str:
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else _part_text(p) for p in content)
    return str(content)


def _part_text(part: Any) -> str:
    if isinstance(part, dict) and part.get("type", "text") == "text" and isinstance(part.get("text"), str):
        return part["text"]
    return ""


def int_or_none(value: Any) -> int | None:
    """``value`` when it is an int (not a bool, a float or a string), else None."""
    return value if value.__class__ is int else None


def dict_items(value: Any) -> list[dict[str, Any]] | None:
    """The dict items of a list (``reasoning_details``, ``thinking_blocks``), or None when there are none."""
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)] or None
