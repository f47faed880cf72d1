"""zzz_core's errors with LangChain's parents added.

Each class here is zzz_core's class (so also ``openai``'s) *and* the matching
``langchain_core.exceptions`` type, as langchain-core asks of provider
integrations, so all three of these catch a gateway rate limit from ``ChatZZZ``::

    except langchain_core.exceptions.ModelRateLimitError: ...
    except openai.RateLimitError: ...
    except zzz_core.RateLimitError: ...

``with_retry(retry_if_exception_type=(ModelRateLimitError,))`` and
``with_fallbacks(exceptions_to_handle=(ModelPermissionDeniedError,))`` work on
them.  Nothing here parses a response: :func:`to_langchain` only re-types an
exception zzz_core already built.

The classes are derived, not written out: every class of
:func:`zzz_core.errors.gateway_errors` gets a twin of the same name whose
LangChain parent follows from its ``openai`` parent (:data:`LANGCHAIN_PARENT_OF_OPENAI`),
unless LangChain names a narrower kind (:data:`NARROWER_LANGCHAIN_PARENT`).  A class
added to ``zzz_core.errors`` therefore needs no edit here.
"""

from __future__ import annotations

from typing import Any

import openai
from langchain_core import exceptions as lc

from zzz_core import errors as E

#: The LangChain kind for each ``openai`` class; a twin takes the first one its MRO meets.
LANGCHAIN_PARENT_OF_OPENAI: dict[type[openai.OpenAIError], type[lc.ModelError]] = {
    openai.AuthenticationError: lc.ModelAuthenticationError,
    openai.PermissionDeniedError: lc.ModelPermissionDeniedError,
    openai.RateLimitError: lc.ModelRateLimitError,
    openai.NotFoundError: lc.ModelNotFoundError,
    openai.BadRequestError: lc.ModelInvalidRequestError,
    openai.InternalServerError: lc.ModelAPIError,
    openai.APIStatusError: lc.ModelAPIError,
    openai.APITimeoutError: lc.ModelTimeoutError,
    openai.APIConnectionError: lc.ModelConnectionError,
}

#: Where LangChain has a kind that ``openai`` lacks (added on top of the inherited one).
NARROWER_LANGCHAIN_PARENT: dict[type[E.ZZZError], type[lc.ModelError]] = {
    E.ContextLengthExceededError: lc.ContextOverflowError,
    # A spent budget is no gateway failure: the call was never made, so only the base kind fits.
    E.BudgetExceededError: lc.ModelError,
}


class _LangChainError:
    """Mixin: LangChain reads ``is_retryable``; ours is decided per instance."""

    retryable: bool

    @property
    def is_retryable(self) -> bool:
        return self.retryable


_TWINS: dict[type[E.ZZZError], type[E.ZZZError]] = {}


def _langchain_kind(zcls: type[E.ZZZError]) -> type[lc.ModelError]:
    if zcls in NARROWER_LANGCHAIN_PARENT:
        return NARROWER_LANGCHAIN_PARENT[zcls]
    for base in zcls.__mro__:
        if base in LANGCHAIN_PARENT_OF_OPENAI:
            return LANGCHAIN_PARENT_OF_OPENAI[base]
    return lc.ModelAPIError


def langchain_class(zcls: type[E.ZZZError]) -> type[E.ZZZError]:
    """The LangChain twin of a zzz_core gateway error class (built once, then cached).

    The twin subclasses ``zcls`` and the twin of ``zcls``'s nearest gateway-error parent,
    so ``except langchain_zzz.errors.InvalidRequestError`` also catches a context overflow,
    and adds the LangChain kind when the parent twin does not already have it.
    """
    if zcls in _TWINS:
        return _TWINS[zcls]
    known = E.gateway_errors()
    parent = next((base for base in zcls.__mro__[1:] if base in known), None)
    bases: tuple[type, ...] = (zcls, langchain_class(parent)) if parent else (_LangChainError, zcls)
    kind = _langchain_kind(zcls)
    if not issubclass(bases[-1], kind):
        bases += (kind,)
    twin = type(zcls.__name__, bases, {"__module__": __name__, "__qualname__": zcls.__name__, "__doc__": zcls.__doc__})
    _TWINS[zcls] = twin
    return twin


def langchain_parents(zcls: type[E.ZZZError]) -> tuple[type[lc.ModelError], ...]:
    """The LangChain kinds the twin of ``zcls`` has, its own first (as ``docs/errors.md`` lists them)."""
    kinds: list[type[lc.ModelError]] = []
    for cls in langchain_class(zcls).__mro__:
        if cls.__module__ == __name__:
            kinds += [b for b in cls.__bases__ if b.__module__ == lc.__name__ and b not in kinds]
    return tuple(kinds)


#: zzz_core class -> its LangChain twin, for the classes known at import time.
LANGCHAIN_CLASSES: dict[type[E.ZZZError], type[E.ZZZError]] = {zcls: langchain_class(zcls) for zcls in E.GATEWAY_ERRORS}
globals().update({zcls.__name__: twin for zcls, twin in LANGCHAIN_CLASSES.items()})


def __getattr__(name: str) -> Any:
    # A class added to zzz_core.errors after this module loaded still has its twin here
    # (and so pickles by name).
    zcls = getattr(E, name, None)
    if isinstance(zcls, type) and zcls in E.gateway_errors():
        return langchain_class(zcls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_langchain(exc: E.ZZZError) -> E.ZZZError:
    """The same error, re-typed with its LangChain parent (details and traceback kept).

    A status twin (see :func:`zzz_core.errors.with_status_class`) stays one: the LangChain
    class is made the ``openai`` class for the error's HTTP status too.
    """
    named = E.named_class(type(exc))
    if named not in E.gateway_errors():
        return exc
    cls = langchain_class(named)
    if named is not type(exc):
        cls = E.with_status_class(cls, exc.status_code)
    new = cls.__new__(cls)
    new.__dict__.update(exc.__dict__)
    new.args = exc.args
    new.__traceback__ = exc.__traceback__
    new.__suppress_context__ = True
    return new


__all__ = [
    "LANGCHAIN_CLASSES",
    "LANGCHAIN_PARENT_OF_OPENAI",
    "NARROWER_LANGCHAIN_PARENT",
    "langchain_class",
    "langchain_parents",
    "to_langchain",
    *(zcls.__name__ for zcls in LANGCHAIN_CLASSES),
]
