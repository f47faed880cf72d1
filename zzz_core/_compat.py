"""The HTTP package the installed ``openai`` sends through.

``openai`` 3.x moved from ``httpx`` to ``httpx2``; 2.x still uses ``httpx``.
Everything in ``zzz_core`` that touches HTTP objects goes through these names,
so the rest of the code never asks which one is installed.
"""

from __future__ import annotations

from importlib.metadata import version as _version
from typing import Any

OPENAI_VERSION: str = _version("openai")
OPENAI_MAJOR: int = int(OPENAI_VERSION.split(".", 1)[0])

if OPENAI_MAJOR >= 3:
    # Not found under openai 2.x, which has no httpx2 (unused-ignore: found under 3.x).
    import httpx2 as http  # type: ignore[import-not-found,unused-ignore]

    HTTP_PACKAGE = "httpx2"
else:  # pragma: no cover - exercised by the openai 2.x CI job
    # One name, bound by whichever branch runs (unused-ignore: without httpx2 installed the
    # first branch's name is unresolved, so there is nothing to redefine).
    import httpx as http  # type: ignore[no-redef,unused-ignore]

    HTTP_PACKAGE = "httpx"

Response = http.Response
Request = http.Request
Client = http.Client
AsyncClient = http.AsyncClient
Timeout = http.Timeout
TransportError = http.TransportError
TimeoutException = http.TimeoutException


_shared_ssl_context: Any = None


def shared_ssl_context() -> Any:
    """One TLS context (certifi roots, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured) for every
    client zzz_core builds: loading the roots costs ~20 ms, paid once per process instead
    of once per client (an async client is built per event loop)."""
    global _shared_ssl_context
    if _shared_ssl_context is None:
        _shared_ssl_context = http.create_ssl_context()
    return _shared_ssl_context


def check_http_client(client: Any, *, async_: bool) -> None:
    """Refuse a user-supplied HTTP client of the wrong package, saying which one to use.

    Raises:
        TypeError: ``client`` is not an ``httpx``/``httpx2`` client of the kind the
            installed ``openai`` uses.
    """
    expected = AsyncClient if async_ else Client
    if client is None or isinstance(client, expected):
        return
    kind = "AsyncClient" if async_ else "Client"
    raise TypeError(
        f"http client must be a {HTTP_PACKAGE}.{kind} because the installed openai "
        f"{OPENAI_VERSION} sends through {HTTP_PACKAGE}; got {type(client).__module__}."
        f"{type(client).__name__}. Build it with `import {HTTP_PACKAGE}; "
        f"{HTTP_PACKAGE}.{kind}(...)`, or pin openai<3 to keep using httpx."
    )


def bare_request(method: str, url: str) -> Any:
    """A request object carrying only method and URL: no headers, so no key."""
    return Request(method, url)


def bare_response(status: int, request: Any, *, headers: Any = None, content: bytes = b"") -> Any:
    """A response object for an exception, tied to a sanitized request."""
    return Response(status, headers=headers, content=content, request=request)
