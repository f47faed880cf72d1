"""What both framework skins do around zzz_core, written once.

``langchain_zzz`` and ``llamaindex_zzz`` each wrap zzz_core in their framework's
model classes.  Everything those classes do that is not about the framework's
types lives here, so the two cannot drift apart:

* the connection settings: their names (:data:`CONNECTION_FIELDS`, also the
  skins' field names; the defaults are :mod:`zzz_core.config`'s ``DEFAULT_*``) and
  their resolution into a
  :class:`~zzz_core.ZZZConfig` and its shared :class:`~zzz_core.Gateway`
  (:func:`connect`);
* the old name ``async_http_client``, accepted with a ``DeprecationWarning``
  (:func:`rename_deprecated_fields`);
* key-free pickling (:func:`key_free_state`);
* which call arguments are request-builder parameters (:data:`CHAT_CALL_PARAMS`,
  :data:`COMPLETION_CALL_PARAMS`); the rest go into the body as they are;
* function and schema names the gateway accepts (:func:`safe_function_name`);
* the model profile of an instance, looked up again only when its model or
  overrides change (:class:`ProfileCache`);
* a rerank model's fields as :meth:`Gateway.rerank <zzz_core.gateway.Gateway.rerank>`'s
  arguments (:func:`rerank_options`).

It imports neither framework; ``openai`` is loaded only by :func:`connect`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .config import NOT_PICKLED, ZZZConfig
from .params import build_chat_request, build_completion_request
from .profiles import ModelProfile, get_profile
from .tool_schemas import safe_function_name  # the skins import it from here; the name rule lives there

if TYPE_CHECKING:
    from .gateway import Gateway

__all__ = [
    "CHAT_CALL_PARAMS",
    "COMPLETION_CALL_PARAMS",
    "CONNECTION_FIELDS",
    "DEPRECATED_FIELD_NAMES",
    "ProfileCache",
    "connect",
    "embedding_row_texts",
    "key_free_state",
    "rename_deprecated_fields",
    "rerank_options",
    "resolve_config",
    "safe_function_name",
    "warn_deprecated_name",
]

#: The settings every skin class declares as fields, under these names: the keyword
#: arguments of :meth:`ZZZConfig.resolve`.
CONNECTION_FIELDS: tuple[str, ...] = (
    "api_key",
    "base_url",
    "gateway",
    "mirrors",
    "timeout",
    "max_retries",
    "default_headers",
    "http_client",
    "http_async_client",
    "allow_insecure_http",
    "failover_cooldown",
    "async_transport",
)

#: Old field names -> the current ones.  ``http_async_client`` won over LlamaIndex's
#: ``async_http_client`` because it is the name the rest of the stack already uses for
#: this client: ``ZZZConfig``, the LangChain skin, langchain-openai's ``ChatOpenAI`` and
#: the ``http_client``/``http_async_client`` pair users pass to ``openai`` wrappers.  One
#: name end to end lets :func:`resolve_config` read both skins the same way.
DEPRECATED_FIELD_NAMES: Mapping[str, str] = {"async_http_client": "http_async_client"}


def rename_deprecated_fields(values: Any, owner: str, stacklevel: int = 2) -> Any:
    """Old field names -> current ones, with a ``DeprecationWarning`` each.

    Call it from ``__init__`` (``stacklevel=2`` then points the warning at the caller's
    line) and from a ``mode="before"`` validator, for ``model_validate``/``from_dict``.

    Raises:
        ValueError: both the old and the new name were passed.
    """
    if not isinstance(values, dict) or not any(old in values for old in DEPRECATED_FIELD_NAMES):
        return values
    values = dict(values)
    for old, new in DEPRECATED_FIELD_NAMES.items():
        if old not in values:
            continue
        if new in values:
            raise ValueError(f"{owner} got both {old}= and {new}=; pass only {new}=")
        warn_deprecated_name(old, owner, stacklevel=stacklevel + 2)
        values[new] = values.pop(old)
    return values


def warn_deprecated_name(old: str, owner: str, stacklevel: int = 3) -> None:
    """The one warning for a deprecated field name."""
    warnings.warn(
        f"{owner}.{old} is deprecated; use {DEPRECATED_FIELD_NAMES[old]} (the name every zzz class uses)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def resolve_config(settings: Any) -> ZZZConfig:
    """:meth:`ZZZConfig.resolve` from an object carrying :data:`CONNECTION_FIELDS` as attributes.

    Raises:
        zzz_core.ConfigurationError: no key, a key that cannot work, an unknown
            preset, a bad URL, a negative ``max_retries``.
        TypeError: an HTTP client of the wrong package for the installed openai.
    """
    return ZZZConfig.resolve(**{name: getattr(settings, name) for name in CONNECTION_FIELDS})


def connect(settings: Any) -> tuple[ZZZConfig, Gateway]:
    """The resolved configuration of ``settings`` and the :class:`Gateway` shared by all with it.

    Loads ``openai``: call it at construction, not at import.
    """
    config = resolve_config(settings)
    from .gateway import Gateway

    return config, Gateway.for_config(config)


def key_free_state(state: dict[str, Any]) -> dict[str, Any]:
    """A pydantic model's ``__getstate__`` without the key, the HTTP clients and the private state.

    The unpickled copy reconnects and reads the key from ``$ZZZ_API_KEY``, as a pickled
    :class:`ZZZConfig` does: the key never travels in a pickle, and neither does a
    live gateway or client.
    """
    fields = dict(state["__dict__"])
    for name in NOT_PICKLED:
        if name in fields:
            fields[name] = None
    return {**state, "__dict__": fields, "__pydantic_private__": {}}


#: Arguments of the request builders that are not call arguments (the skins pass them).
_SET_BY_SKIN = frozenset(("model", "messages", "prompt", "profile", "stream", "extra_body"))
#: Per-call keyword arguments that :func:`build_chat_request` takes by name; any other key
#: goes into the request body as it is (``extra_body``).
CHAT_CALL_PARAMS: frozenset[str] = frozenset(inspect.signature(build_chat_request).parameters) - _SET_BY_SKIN
#: Likewise for :func:`build_completion_request`.
COMPLETION_CALL_PARAMS: frozenset[str] = (
    frozenset(inspect.signature(build_completion_request).parameters) - _SET_BY_SKIN
)


class ProfileCache:
    """The model profile of one skin object, looked up again only when its model or overrides change.

    A profile with overrides is a new object on every :func:`get_profile` call, and the
    skins read it on every request and every ``metadata`` access; fields are mutable
    (``llm.model = ...``), so the cache is keyed rather than filled once.
    """

    __slots__ = ("_key", "_profile")

    def __init__(self) -> None:
        self._key: tuple[str, dict[str, Any] | None] | None = None
        self._profile: ModelProfile | None = None

    def get(self, model: str, overrides: Mapping[str, Any] | None = None) -> ModelProfile:
        """The profile of ``model`` with ``overrides`` applied.

        Raises:
            zzz_core.ConfigurationError: an override names no profile field.
        """
        key = (model, dict(overrides) if overrides else None)
        if self._profile is None or key != self._key:
            self._profile = get_profile(model, overrides)
            self._key = key
        return self._profile


def rerank_options(settings: Any, extra_body: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keyword arguments of ``Gateway.rerank``/``arerank`` from a skin's rerank object.

    ``settings`` carries ``model``, ``top_n`` and ``max_documents`` as fields; ``extra_body``
    is the skin's own name for extra body fields (``model_kwargs``, ``additional_kwargs``).
    """
    return {
        "model": settings.model,
        "top_n": settings.top_n,
        "max_documents": settings.max_documents,
        "extra_body": dict(extra_body) if extra_body else None,
    }


def embedding_row_texts(kind: str, item: Any, owner: str) -> list[str]:
    """The texts of one row of a bulk embeddings job (a text or a list of texts).

    Raises:
        ValueError: the job is not an embeddings job (``owner`` names the skin class).
    """
    if kind != "embeddings":
        raise ValueError(f"{owner} makes embeddings requests, not {kind!r}")
    return [item] if isinstance(item, str) else list(item)
