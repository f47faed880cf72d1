"""Response headers: the gateway's request id, and a copy safe to hand to users.

new-api stamps every response with ``X-Oneapi-Request-Id`` (wire-facts-2 §8) and
appends the same id to its error messages as `` (request id: …)``; OpenAI-style
upstreams send ``X-Request-Id``.  The id is what a gateway's support asks for, so
it travels on every result and every exception.  ``Retry-After`` (and
``retry-after-ms``) says how long a rate-limited caller should wait.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["REQUEST_ID_HEADERS", "parse_retry_after", "request_id_of", "safe_headers"]

#: Header names carrying a request id, the relay's own first (it names the whole relayed call).
REQUEST_ID_HEADERS = ("x-oneapi-request-id", "x-request-id")

#: Headers never copied to a user-visible result: cookies can be session credentials.
_DROPPED = frozenset(("set-cookie", "cookie", "authorization", "proxy-authorization"))


def request_id_of(headers: Any) -> str | None:
    """The request id in ``headers`` (any mapping with ``get``), or ``None``."""
    if not headers:
        return None
    for name in REQUEST_ID_HEADERS:
        try:
            value = headers.get(name) or headers.get(name.title())
        except (AttributeError, TypeError):
            return None
        if value:
            return str(value).strip() or None
    return None


def safe_headers(headers: Any, redact: Any = None) -> dict[str, str]:
    """A plain ``{lower-case name: value}`` copy without cookies or credentials.

    Args:
        headers: The response's headers (httpx ``Headers``, a dict, or ``None``).
        redact: A function applied to each value (the normalizer's key scrubber), so a
            relay echoing a key in some header cannot leak it.
    """
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, Mapping) or hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = str(name).lower()
        if key in _DROPPED:
            continue
        out[key] = redact(str(value)) if redact is not None else str(value)
    return out


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(float(ms) / 1000.0, 0.0)
        value = headers.get("retry-after")
    except (AttributeError, ValueError, TypeError):  # no mapping, or retry-after-ms that is not a number
        return None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except (ValueError, TypeError):
        pass
    try:  # an HTTP date; anything else (e.g. "soon", year 99999) means no usable wait
        parsed = email.utils.parsedate_to_datetime(value) if value else None
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    return max(parsed.timestamp() - time.time(), 0.0) if parsed else None
