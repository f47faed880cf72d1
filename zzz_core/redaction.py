"""What an exception may show of a gateway's answer: keys removed, bodies cut to an excerpt.

Every text an exception carries (its message, ``code``, ``body``, ``body_excerpt``,
request id) and every header handed to users passes :func:`redact`, so a relay that
echoes the key cannot leak it.  Pure: strings and decoded JSON in, strings out.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["EXCERPT_CHARS", "as_text", "excerpt", "redact", "safe_body"]

#: The longest body excerpt an exception carries (longer ones end in "…").
EXCERPT_CHARS = 300
_KEY_LIKE = re.compile(r"\b((?:sk|zk|zp)-)[A-Za-z0-9_\-]{6,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove the configured key(s) and anything shaped like a gateway key."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "***")
    return _KEY_LIKE.sub(lambda m: m.group(1) + "***", text)


def as_text(value: Any) -> str:
    """``value`` as text: a string unchanged, None as "", anything else as JSON (or ``str``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def excerpt(body: Any, secrets: tuple[str, ...]) -> str | None:
    """The body as redacted text of at most :data:`EXCERPT_CHARS` characters, or None."""
    if body is None:
        return None
    text = body if isinstance(body, str) else as_text(body)
    text = redact(text, secrets)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def safe_body(body: Any, secrets: tuple[str, ...]) -> Any:
    """The body for an exception's ``.body``: decoded JSON kept when it holds no key, text excerpted."""
    # openai exposes ``.body``; keep it useful but never let a key echo through it.
    if isinstance(body, (dict, list)):
        raw = as_text(body)
        clean = redact(raw, secrets)
        return body if clean == raw else json.loads(clean) if clean[:1] in "{[" else clean
    if isinstance(body, str):
        return excerpt(body, secrets)
    return body
