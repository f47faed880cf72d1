"""Token usage parsing.

Why a module of its own: relays report usage in several dialects and states of
repair.  DeepSeek puts cache hits at the top level (``prompt_cache_hit_tokens``)
where OpenAI nests them (``prompt_tokens_details.cached_tokens``); some relays
send ``null`` counts, counts as strings of digits, or omit ``total_tokens``;
Anthropic-converting relays may say ``input_tokens``/``output_tokens``.  One
tolerant parser keeps those quirks out of the decoders.
"""

from __future__ import annotations

import math
from typing import Any

from zzz_core.types import Usage

__all__ = ["parse_usage"]


def _count(value: Any) -> int | None:
    """A token count from an int, a float, or a string of digits; else ``None``."""
    if value.__class__ is int:
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        value = value.strip()
        if value.isascii() and value.isdigit():
            return int(value)
    return None


def _first(d: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        n = _count(d.get(key))
        if n is not None:
            return n
    return None


def _detail(d: dict[str, Any], key: str, field: str) -> int | None:
    details = d.get(key)
    return _count(details.get(field)) if isinstance(details, dict) else None


def parse_usage(d: dict[str, Any] | None) -> Usage | None:
    """Parse a ``usage`` object.

    Args:
        d: The ``usage`` value as received (``None`` and non-dicts tolerated).

    Returns:
        A :class:`Usage` with ``raw`` set to ``d``, or ``None`` when ``d`` holds
        no token count at all.  ``total_tokens`` defaults to the sum of the
        other two; ``cached_tokens`` and ``reasoning_tokens`` stay ``None``
        when not reported.
    """
    if not d or not isinstance(d, dict):
        return None
    prompt = _first(d, "prompt_tokens", "input_tokens")
    completion = _first(d, "completion_tokens", "output_tokens")
    total = _count(d.get("total_tokens"))
    if prompt is None and completion is None and total is None:
        return None
    prompt = prompt or 0
    completion = completion or 0
    cached = _detail(d, "prompt_tokens_details", "cached_tokens")
    if cached is None:
        cached = _count(d.get("prompt_cache_hit_tokens"))
    if cached is None:
        cached = _detail(d, "input_tokens_details", "cached_tokens")
    reasoning = _detail(d, "completion_tokens_details", "reasoning_tokens")
    if reasoning is None:
        reasoning = _detail(d, "output_tokens_details", "reasoning_tokens")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion if total is None else total,
        cached_tokens=cached,
        reasoning_tokens=reasoning,
        raw=d,
    )
