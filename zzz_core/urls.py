"""The host part of a URL, read one way everywhere.

Hosts are compared (preset lookup, failover, ``doctor``'s checks) and shown (errors,
results), so every caller must read them alike.  Host names are case-insensitive
(RFC 3986 §3.2.2), so the host is lower-cased: ``API.zhizengzeng.com`` is the
preset's host, and a failover never counts one host twice.
"""

from __future__ import annotations

__all__ = ["host_of"]


def host_of(url: str) -> str:
    """``host[:port]`` of ``url``, lower-cased; ``url`` may lack a scheme or a path.

    >>> host_of("https://API.Example.com:8443/v1/chat")
    'api.example.com:8443'
    """
    return url.split("://", 1)[-1].split("/", 1)[0].lower()
