"""One place where both LlamaIndex classes turn their fields into zzz_core's configuration.

``ZZZ`` and ``ZZZEmbedding`` carry the same connection fields; :func:`connect`
resolves them once (arguments, then environment, then the gateway preset) into
a frozen :class:`~zzz_core.ZZZConfig` and the shared :class:`~zzz_core.Gateway`
for it, so every mistake in the settings is raised at construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import BaseModel, Field, SecretStr, model_validator

from zzz_core import integration
from zzz_core.config import DEFAULT_FAILOVER_COOLDOWN, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ZZZConfig

if TYPE_CHECKING:
    from zzz_core.gateway import Gateway

__all__ = ["GatewayFields", "connect"]


class GatewayFields(BaseModel):
    """The connection fields ``ZZZ`` and ``ZZZEmbedding`` share; :func:`connect` resolves them."""

    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="The gateway key; default $ZZZ_API_KEY. Never serialized."
    )
    base_url: str | None = Field(
        default=None, alias="api_base", description="The relay's base URL; default $ZZZ_BASE_URL, else the preset's."
    )
    gateway: str | None = Field(
        default=None, description="A registered preset (zzz_core.preset_names()) or alias; default $ZZZ_GATEWAY."
    )
    mirrors: list[str] | None = Field(
        default=None, description="Fallback base URLs; default $ZZZ_MIRRORS or the preset's."
    )
    timeout: float | None = Field(default=DEFAULT_TIMEOUT, description="Seconds per request.")
    max_retries: int = Field(
        default=DEFAULT_MAX_RETRIES,
        ge=0,
        description="Retries of retryable failures, made by zzz_core's one retry loop.",
    )
    default_headers: dict[str, str] | None = Field(default=None, description="Headers sent with every request.")
    http_client: Any | None = Field(
        default=None, exclude=True, description="An httpx2 (openai 3) / httpx (openai 2) Client."
    )
    http_async_client: Any | None = Field(
        default=None, exclude=True, description="Likewise, an AsyncClient (formerly async_http_client)."
    )
    allow_insecure_http: bool = Field(default=False, description="Permit http:// to a non-loopback host.")
    async_transport: str | None = Field(
        default=None,
        description="Async calls through 'aiohttp', 'httpx', or 'auto' (aiohttp when installed); "
        "default $ZZZ_ASYNC_TRANSPORT, else 'auto'.",
    )
    failover_cooldown: float = Field(
        default=DEFAULT_FAILOVER_COOLDOWN, description="Seconds a failed host is passed over while a mirror works."
    )
    prices: dict[str, Any] | None = Field(
        default=None,
        description="Price overrides for this object's calls, per 1M tokens, e.g. "
        '{"deepseek-*": {"input": 2, "output": 3, "cached_input": 0.2, "currency": "CNY"}} (docs/cost.md).',
    )

    @model_validator(mode="before")
    @classmethod
    def _zzz_deprecated_names(cls, values: Any) -> Any:
        return integration.rename_deprecated_fields(values, cls.__name__)

    if TYPE_CHECKING:
        _config: ZZZConfig  # each class's PrivateAttr, set from connect() at construction

    @property
    def async_http_client(self) -> Any:
        """Deprecated name of :attr:`http_async_client`."""
        integration.warn_deprecated_name("async_http_client", type(self).__name__)
        return self.http_async_client

    @async_http_client.setter
    def async_http_client(self, value: Any) -> None:
        integration.warn_deprecated_name("async_http_client", type(self).__name__)
        self.http_async_client = value

    @property
    def config(self) -> ZZZConfig:
        """The resolved zzz_core configuration (the key stays a ``SecretStr``)."""
        return self._config


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
    config, gateway = integration.connect(obj)  # loads openai: at construction, not at import
    obj.base_url = config.base_url
    obj.mirrors = list(config.mirrors)
    if config.gateway != "custom":
        obj.gateway = config.gateway
    return config, gateway
