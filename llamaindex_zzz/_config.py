"""One place where both LlamaIndex classes turn their fields into zzz_core's configuration.

``ZZZ`` and ``ZZZEmbedding`` carry the same connection fields; :func:`connect`
resolves them once (arguments, then environment, then the gateway preset) into
a frozen :class:`~zzz_core.ZZZConfig` and the shared :class:`~zzz_core.Gateway`
for it, so every mistake in the settings is raised at construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import BaseModel, Field, SecretStr

from zzz_core.config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ZZZConfig

if TYPE_CHECKING:
    from zzz_core.gateway import Gateway

__all__ = ["GatewayFields", "connect", "drop_secrets"]


class GatewayFields(BaseModel):
    """The connection fields ``ZZZ`` and ``ZZZEmbedding`` share; :func:`connect` resolves them."""

    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="The gateway key; default $ZZZ_API_KEY. Never serialized."
    )
    base_url: str | None = Field(
        default=None, alias="api_base", description="The relay's base URL; default $ZZZ_BASE_URL, else the preset's."
    )
    gateway: str | None = Field(
        default=None, description="Preset: zhizengzeng, 4z (zzzzapi), ztoken; default $ZZZ_GATEWAY."
    )
    mirrors: list[str] | None = Field(
        default=None, description="Fallback base URLs; default $ZZZ_MIRRORS or the preset's."
    )
    timeout: float | None = Field(default=DEFAULT_TIMEOUT, description="Seconds per request.")
    max_retries: int = Field(
        default=DEFAULT_MAX_RETRIES, ge=0, description="Retries of retryable failures, made by zzz_core's one retry loop."
    )
    default_headers: dict[str, str] | None = Field(default=None, description="Headers sent with every request.")
    http_client: Any | None = Field(
        default=None, exclude=True, description="An httpx2 (openai 3) / httpx (openai 2) Client."
    )
    async_http_client: Any | None = Field(default=None, exclude=True, description="Likewise, an AsyncClient.")
    allow_insecure_http: bool = Field(default=False, description="Permit http:// to a non-loopback host.")
    async_transport: str | None = Field(
        default=None,
        description="Async calls through 'aiohttp', 'httpx', or 'auto' (aiohttp when installed); "
        "default $ZZZ_ASYNC_TRANSPORT, else 'auto'.",
    )
    failover_cooldown: float = Field(
        default=60.0, description="Seconds a failed host is passed over while a mirror works."
    )


def connect(obj: Any) -> tuple[ZZZConfig, Gateway]:
    """Resolve ``obj``'s connection fields into a configuration and its shared gateway.

    The resolved base URL, preset name and mirrors are written back to ``obj`` so
    that ``repr``/``to_dict`` show what is really used (and a round trip through
    ``from_dict`` reaches the same gateway).

    Raises:
        zzz_core.ConfigurationError: no key, a key that cannot work, an unknown
            preset, a bad URL, a negative ``max_retries``.
        TypeError: an HTTP client of the wrong package for the installed openai.
    """
    config = ZZZConfig.resolve(
        api_key=obj.api_key,
        base_url=obj.base_url,
        gateway=obj.gateway,
        mirrors=obj.mirrors,
        timeout=obj.timeout,
        max_retries=obj.max_retries,
        default_headers=obj.default_headers,
        http_client=obj.http_client,
        http_async_client=obj.async_http_client,
        allow_insecure_http=obj.allow_insecure_http,
        failover_cooldown=obj.failover_cooldown,
        async_transport=obj.async_transport,
    )
    obj.base_url = config.base_url
    obj.mirrors = list(config.mirrors)
    if config.gateway != "custom":
        obj.gateway = config.gateway
    from zzz_core.gateway import Gateway  # loads openai: at construction, not at import

    return config, Gateway.for_config(config)


def drop_secrets(state: dict[str, Any]) -> dict[str, Any]:
    """A pickle state without the key, the HTTP clients and the live gateway.

    The unpickled copy reconnects and reads the key from ``$ZZZ_API_KEY``, as a
    pickled :class:`~zzz_core.ZZZConfig` does: the key never travels in a pickle.
    """
    fields = dict(state["__dict__"])
    for name in ("api_key", "http_client", "async_http_client"):
        fields[name] = None
    return {**state, "__dict__": fields, "__pydantic_private__": {}}

