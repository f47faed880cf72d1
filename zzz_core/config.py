"""One frozen configuration object, the single source both skins read.

``ZZZConfig.resolve(...)`` takes what the user passed, fills the rest from the
environment (``ZZZ_API_KEY``, ``ZZZ_BASE_URL``, ``ZZZ_GATEWAY``, ``ZZZ_MIRRORS``)
and the gateway preset, and answers the gateways' four usual mistakes before
anything is sent::

    >>> cfg = ZZZConfig.resolve(api_key="sk-zk-demo", gateway="zhizengzeng")
    >>> cfg.base_url, cfg.mirrors
    ('https://api.zhizengzeng.com/v1', ('https://flag.smarttrot.com/v1',))
    >>> cfg.api_key
    SecretStr('**********')
"""

from __future__ import annotations

import ipaddress
import os
import re
import warnings
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from ._local_errors import ConfigurationError
from .presets import DEFAULT_GATEWAY, PRESETS, GatewayPreset, get_preset, preset_for_url
from .urls import host_of

__all__ = [
    "ASYNC_TRANSPORTS",
    "DEFAULT_FAILOVER_COOLDOWN",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENV_API_KEY",
    "ENV_ASYNC_TRANSPORT",
    "ENV_BASE_URL",
    "ENV_GATEWAY",
    "ENV_MIRRORS",
    "ZZZConfig",
    "normalize_base_url",
]


ENV_API_KEY = "ZZZ_API_KEY"
ENV_BASE_URL = "ZZZ_BASE_URL"
ENV_GATEWAY = "ZZZ_GATEWAY"
ENV_MIRRORS = "ZZZ_MIRRORS"
ENV_ASYNC_TRANSPORT = "ZZZ_ASYNC_TRANSPORT"
ASYNC_TRANSPORTS = ("auto", "aiohttp", "httpx")

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_FAILOVER_COOLDOWN = 60.0

#: Settings a pickle never carries: the key, and HTTP clients (live sockets, and they may
#: hold the key in their headers).  The skins' models drop the same fields.
NOT_PICKLED = ("api_key", "http_client", "http_async_client")

_ENDPOINT_SUFFIXES = ("/chat/completions", "/completions", "/embeddings", "/models")
_VERSION_SEGMENT = re.compile(r"^v\d+[a-z0-9]*$")


class ZZZConfig(BaseModel):
    """Resolved settings for one gateway. Build it with :meth:`resolve`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    api_key: SecretStr
    base_url: str
    """Normalized: scheme://host[/path]/v1, no trailing slash."""
    mirrors: tuple[str, ...] = ()
    gateway: str = "custom"
    """Preset name, or ``"custom"`` for any other relay."""
    dialect: str = "generic"
    balance_api: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries after the first attempt, made by zzz_core's one retry loop."""
    default_headers: tuple[tuple[str, str], ...] = ()
    http_client: Any = None
    http_async_client: Any = None
    failover_cooldown: float = DEFAULT_FAILOVER_COOLDOWN
    """Seconds a host that failed is passed over while another host is healthy."""
    allow_insecure_http: bool = False
    async_transport: str = "auto"
    """How async requests are carried: ``"aiohttp"`` (openai's ``DefaultAioHttpClient``,
    several times faster under hundreds of concurrent calls), ``"httpx"`` (the openai
    client's default pool), or ``"auto"``: aiohttp when it is installed, else httpx."""

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        gateway: str | None = None,
        mirrors: tuple[str, ...] | list[str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: Any = None,
        http_async_client: Any = None,
        failover_cooldown: float = DEFAULT_FAILOVER_COOLDOWN,
        allow_insecure_http: bool = False,
        async_transport: str | None = None,
    ) -> ZZZConfig:
        """Resolve arguments, environment and preset into one configuration.

        Args:
            api_key: The gateway key; default ``$ZZZ_API_KEY``.
            base_url: Any OpenAI-compatible base URL; default ``$ZZZ_BASE_URL``, else the
                preset's.  ``/v1`` is appended (with one warning) when missing, and a
                trailing ``/chat/completions`` is removed.
            gateway: A preset name or alias (any registered in :mod:`zzz_core.presets`; see
                :func:`~zzz_core.presets.preset_names`); default ``$ZZZ_GATEWAY``, else the preset
                whose host ``base_url`` names, else ``zhizengzeng`` when no ``base_url`` is given either.
            mirrors: Fallback base URLs tried when the primary cannot be reached; default
                ``$ZZZ_MIRRORS`` (comma-separated), else the preset's.
            timeout: Seconds per request (connect and each read).
            max_retries: Retries after the first attempt for retryable failures.
            default_headers: Headers sent with every request.
            http_client: A ``httpx``/``httpx2`` ``Client`` of the kind the installed openai uses.
            http_async_client: Likewise, an ``AsyncClient``.
            failover_cooldown: Seconds a failed host is avoided while a mirror works.
            allow_insecure_http: Permit ``http://`` to a non-loopback host (sends the key
                in clear text).
            async_transport: ``"auto"`` (default: aiohttp when installed, else httpx),
                ``"aiohttp"`` or ``"httpx"`` for async calls; default ``$ZZZ_ASYNC_TRANSPORT``.
                aiohttp needs the ``aiohttp`` package (openai 3.x) or ``openai[aiohttp]``
                (2.x); ``"aiohttp"`` refuses to run without it.  Ignored when
                ``http_async_client`` is given.

        Raises:
            ConfigurationError: no key, a key that cannot work, an unknown preset, a bad URL.
            TypeError: an HTTP client of the wrong package.
        """
        gateway = gateway or os.environ.get(ENV_GATEWAY) or None
        base_url = base_url or os.environ.get(ENV_BASE_URL) or None
        preset: GatewayPreset | None
        if gateway:
            preset = get_preset(gateway)
        elif base_url:
            preset = preset_for_url(base_url)
        else:
            preset = get_preset(DEFAULT_GATEWAY)

        if base_url:
            url = normalize_base_url(base_url)
        else:
            assert preset is not None
            url = preset.base_url
        _check_scheme(url, allow_insecure_http)

        if mirrors is None:
            env_mirrors = os.environ.get(ENV_MIRRORS)
            if env_mirrors:
                mirrors = [m for m in (s.strip() for s in env_mirrors.split(",")) if m]
            elif preset is not None and _same_host(url, (preset.base_url, *preset.mirrors)):
                mirrors = [m for m in (preset.base_url, *preset.mirrors) if host_of(m) != host_of(url)]
            else:
                mirrors = []
        mirror_urls = tuple(normalize_base_url(m) for m in mirrors)
        for m in mirror_urls:
            _check_scheme(m, allow_insecure_http)

        key = _resolve_key(api_key, preset)
        if http_client is not None or http_async_client is not None:
            from ._compat import check_http_client  # imports the HTTP package: only when needed

            check_http_client(http_client, async_=False)
            check_http_client(http_async_client, async_=True)
        if max_retries < 0:
            raise ConfigurationError("max_retries must be 0 or more (0 disables retries)")
        async_transport = (async_transport or os.environ.get(ENV_ASYNC_TRANSPORT) or "auto").strip().lower()
        if async_transport not in ASYNC_TRANSPORTS:
            raise ConfigurationError(f"async_transport must be one of {ASYNC_TRANSPORTS}; got {async_transport!r}")
        return cls(
            api_key=key,
            base_url=url,
            mirrors=mirror_urls,
            gateway=preset.name if preset is not None else "custom",
            dialect=preset.dialect if preset is not None else "generic",
            balance_api=preset.balance_api if preset is not None else None,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=tuple(sorted((default_headers or {}).items())),
            http_client=http_client,
            http_async_client=http_async_client,
            failover_cooldown=failover_cooldown,
            allow_insecure_http=allow_insecure_http,
            async_transport=async_transport,
        )

    @property
    def hosts(self) -> tuple[str, ...]:
        """Base URLs in preference order: the primary, then the mirrors."""
        return (self.base_url, *self.mirrors)

    def key_hint(self) -> str | None:
        """A hint about the key's shape, used when the gateway rejects the key.

        An ``sk-proj-`` key is OpenAI's; so is any other ``sk-`` key on a gateway whose preset
        issues only other shapes (智增增: ``zk-``/``sk-zk``).
        """
        key = self.api_key.get_secret_value()
        preset = PRESETS.get(self.gateway)
        issued = preset.key_prefixes if preset is not None else ()
        if key.startswith("sk-proj-") or (key.startswith("sk-") and issued and not key.startswith(issued)):
            shapes = ""
            if preset is not None and issued and "sk-" not in issued:
                shapes = f" ({preset.display_name} keys start with {' or '.join(issued)})"
            return "the key looks like an OpenAI key (sk-proj-…/sk-…); a relay gateway needs the key it issued" + shapes
        return None

    def __reduce__(self) -> Any:
        # Never pickle the key: the copy re-reads it from $ZZZ_API_KEY when unpickled.
        fields = {k: v for k, v in self.__dict__.items() if k not in NOT_PICKLED}
        return (_unpickle_config, (fields,))


def _unpickle_config(fields: dict[str, Any]) -> ZZZConfig:
    key = os.environ.get(ENV_API_KEY)
    if not key:
        raise ConfigurationError(
            f"a pickled ZZZConfig does not carry its API key; set {ENV_API_KEY} where it is unpickled"
        )
    return ZZZConfig(api_key=SecretStr(key), **fields)


def _resolve_key(api_key: str | SecretStr | None, preset: GatewayPreset | None) -> SecretStr:
    if isinstance(api_key, SecretStr):
        raw = api_key.get_secret_value()
    else:
        raw = api_key or os.environ.get(ENV_API_KEY) or ""
    raw = raw.strip()
    if not raw:
        raise ConfigurationError(
            f"no API key: pass api_key=... or set the environment variable {ENV_API_KEY} to the key your gateway issued"
        )
    if raw.lower().startswith("bearer "):
        raise ConfigurationError("pass the bare key, without the 'Bearer ' prefix; it is added for you")
    for refused in preset.refused_keys if preset is not None else ():
        if raw.startswith(refused.prefix):
            raise ConfigurationError(refused.message)
    return SecretStr(raw)


def normalize_base_url(url: str) -> str:
    """Return ``url`` as ``scheme://host[/path]/v1`` without a trailing slash.

    A trailing endpoint path (``/chat/completions``) is removed and a missing
    version segment gets ``/v1``, each with one ``UserWarning`` so the user can
    fix their setting.

    Raises:
        ConfigurationError: not an http(s) URL.
    """
    original = url
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigurationError(
            f"base_url must be an http(s) URL such as https://api.zhizengzeng.com/v1; got {original!r}"
        )
    for suffix in _ENDPOINT_SUFFIXES:
        if url.endswith(suffix):
            url = url[: -len(suffix)].rstrip("/")
            warnings.warn(
                f"base_url {original!r} ends with the endpoint path {suffix!r}; using {url!r} "
                "(the client adds endpoint paths itself)",
                UserWarning,
                stacklevel=3,
            )
            break
    scheme_host, _, path = url.partition("://")[2].partition("/")
    last = path.rsplit("/", 1)[-1] if path else ""
    if not _VERSION_SEGMENT.match(last):
        fixed = url + "/v1"
        warnings.warn(
            f"base_url {url!r} has no /v1; using {fixed!r}. Gateways answer 404 without it.",
            UserWarning,
            stacklevel=3,
        )
        url = fixed
    return url


def _check_scheme(url: str, allow_insecure_http: bool) -> None:
    if not url.startswith("http://") or allow_insecure_http:
        return
    host = host_of(url).rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ConfigurationError(
        f"refusing plain http:// to {host!r}: the API key would cross the network in clear text. "
        "Use https://, or pass allow_insecure_http=True if this network is trusted."
    )


def _same_host(url: str, candidates: tuple[str, ...]) -> bool:
    return host_of(url) in {host_of(c) for c in candidates}
