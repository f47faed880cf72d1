"""The gateway settings every langchain_zzz class shares, resolved once into zzz_core's config.

Each class (``ChatZZZ``, ``ZZZ``, ``ZZZEmbeddings``) declares these fields by
inheriting :class:`GatewaySettings` and calls :meth:`GatewaySettings._connect`
from its own validator, so a bad key, URL or preset fails at construction with
zzz_core's message, and every instance built with the same settings shares one
:class:`zzz_core.Gateway` (one connection pool).

Unknown constructor arguments follow ChatOpenAI: they are moved to
``model_kwargs`` with a warning and sent in the request body as they are, except
that a near-miss of a real parameter (``temprature``, ``max_token``) is an error
naming the parameter meant, since sending it to the gateway would be silently
ignored there.
"""

from __future__ import annotations

import difflib
import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from langchain_core.language_models import LangSmithParams
from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from zzz_core.config import DEFAULT_FAILOVER_COOLDOWN, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ZZZConfig
from zzz_core.integration import connect
from zzz_core.lifecycle import ConnectionLifecycle

if TYPE_CHECKING:
    from zzz_core.gateway import Gateway

#: How close an unknown argument must be to a parameter name to be called a misspelling.
_MISSPELLING_CUTOFF = 0.85


class GatewaySettings(ConnectionLifecycle, BaseModel):
    """Where and how to reach the gateway (see the README's configuration table)."""

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )

    api_key: SecretStr | None = Field(default_factory=secret_from_env("ZZZ_API_KEY", default=None))
    """The key the gateway issued; default ``$ZZZ_API_KEY``."""
    base_url: str | None = Field(default_factory=from_env("ZZZ_BASE_URL", default=None), alias="api_base")
    """Any OpenAI-compatible relay; default ``$ZZZ_BASE_URL``, else the preset's."""
    gateway: str | None = Field(default_factory=from_env("ZZZ_GATEWAY", default=None))
    """A registered gateway preset (``zzz_core.preset_names()``), by name or alias; default ``$ZZZ_GATEWAY``."""
    mirrors: list[str] | None = None
    """Fallback base URLs tried when the primary cannot be reached; default ``$ZZZ_MIRRORS``/the preset's."""
    timeout: float | None = Field(default=DEFAULT_TIMEOUT, alias="request_timeout")
    """Seconds per request (connect and each read)."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries of retryable failures, made by zzz_core's one retry loop."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request."""
    allow_insecure_http: bool = False
    """Permit ``http://`` to a non-loopback host (the key then crosses the network in clear text)."""
    failover_cooldown: float = DEFAULT_FAILOVER_COOLDOWN
    """Seconds a host that failed is passed over while a mirror works."""
    async_transport: str | None = Field(default_factory=from_env("ZZZ_ASYNC_TRANSPORT", default=None))
    """How async calls are carried: ``"auto"`` (default: aiohttp when installed, else httpx),
    ``"aiohttp"`` (several times faster under hundreds of concurrent calls) or ``"httpx"``."""
    http_client: Any = Field(default=None, exclude=True)
    """An ``httpx2.Client`` (openai 3.x) or ``httpx.Client`` (openai 2.x)."""
    http_async_client: Any = Field(default=None, exclude=True)
    """Likewise, an ``AsyncClient``."""
    prices: dict[str, Any] | None = None
    """Price overrides for this object's calls, per 1M tokens, e.g.
    ``{"deepseek-*": {"input": 2, "output": 3, "cached_input": 0.2, "currency": "CNY"}}`` (docs/cost.md)."""

    _config: ZZZConfig = PrivateAttr()
    _gateway: Gateway = PrivateAttr()

    # Validators shared by every class (pydantic runs them for subclasses too).
    @model_validator(mode="before")
    @classmethod
    def _zzz_unknown_kwargs(cls, values: Any) -> Any:
        return move_unknown_to_model_kwargs(cls, values)

    @model_validator(mode="after")
    def _zzz_connect(self) -> Self:
        self._zzz_setup()
        return self

    def _zzz_setup(self) -> None:
        """Validate and resolve what the fields say (each class adds its own checks)."""
        self._connect()

    def _connect(self) -> None:
        """Resolve the settings (arguments, environment, preset) and pick the shared Gateway."""
        self._config, self._gateway = connect(self)  # loads openai: at construction, not at import

    @property
    def config(self) -> ZZZConfig:
        """The resolved zzz_core configuration (the key stays a ``SecretStr``)."""
        return self._config

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "ZZZ_API_KEY"}


class ModelIdentity:
    """Serialization and tracing that ``ChatZZZ`` and ``ZZZ`` share.

    Each class sets ``_field_params`` (the request parameters it declares as
    fields), ``_ls_model_type`` and its LangChain namespace.
    """

    _field_params: ClassVar[tuple[str, ...]] = ()
    _ls_model_type: ClassVar[Literal["chat", "llm"]] = "chat"
    _lc_namespace: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:  # fields of the model class this is mixed into (ChatZZZ, ZZZ)
        model: str
        temperature: float | None
        max_tokens: int | None
        stop: list[str] | str | None
        _config: ZZZConfig

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return list(cls._lc_namespace)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in self._field_params if getattr(self, name) is not None}
        config = self._config
        return {"model": self.model, "gateway": config.gateway, "base_url": config.base_url, **params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="zzz",
            ls_model_name=kwargs.get("model") or self.model,
            ls_model_type=self._ls_model_type,
        )
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        stops = stop if stop is not None else self.stop
        if stops:
            params["ls_stop"] = [stops] if isinstance(stops, str) else list(stops)
        return params


def _names(cls: type[BaseModel]) -> set[str]:
    names = set()
    for name, field in cls.model_fields.items():
        names.add(name)
        if field.alias:
            names.add(field.alias)
    return names


def move_unknown_to_model_kwargs(cls: type[BaseModel], values: Any) -> Any:
    """A ``mode="before"`` validator body: unknown arguments -> ``model_kwargs``.

    Raises:
        ValueError: An unknown argument close to a parameter name (a misspelling),
            or a parameter passed inside ``model_kwargs`` instead of as itself.
    """
    if not isinstance(values, dict):
        return values
    known = _names(cls)
    extra = dict(values.get("model_kwargs") or {})
    for key in [k for k in values if k not in known]:
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=_MISSPELLING_CUTOFF)
        if close:
            raise ValueError(
                f"{cls.__name__} got an unknown argument {key!r}; did you mean {close[0]!r}? "
                f"(To send a body field the gateway should receive as it is, use model_kwargs={{{key!r}: ...}}.)"
            )
        warnings.warn(
            f"{key!r} is not a {cls.__name__} parameter: it was moved to model_kwargs and is sent in the "
            "request body as it is.",
            UserWarning,
            stacklevel=4,
        )
        extra[key] = values.pop(key)
    clash = sorted(k for k in extra if k in known and k != "model_kwargs")
    if clash:
        raise ValueError(
            f"pass {', '.join(clash)} as {'an argument' if len(clash) == 1 else 'arguments'} of {cls.__name__}, "
            "not inside model_kwargs"
        )
    if extra:
        values = {**values, "model_kwargs": extra}
    return values
