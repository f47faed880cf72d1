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
"""

from __future__ import annotations


from langchain_core import exceptions as lc

from zzz_core import errors as E


class _LangChainError:
    """Mixin: LangChain reads ``is_retryable``; ours is decided per instance."""

    retryable: bool

    @property
    def is_retryable(self) -> bool:  # type: ignore[override]
        return self.retryable


class AuthenticationError(_LangChainError, E.AuthenticationError, lc.ModelAuthenticationError):
    pass


class PermissionDeniedError(_LangChainError, E.PermissionDeniedError, lc.ModelPermissionDeniedError):
    pass


class InsufficientBalanceError(_LangChainError, E.InsufficientBalanceError, lc.ModelPermissionDeniedError):
    pass


class RateLimitError(_LangChainError, E.RateLimitError, lc.ModelRateLimitError):
    pass


class ModelNotFoundError(_LangChainError, E.ModelNotFoundError, lc.ModelNotFoundError):
    pass


class InvalidRequestError(_LangChainError, E.InvalidRequestError, lc.ModelInvalidRequestError):
    pass


class ContextLengthExceededError(E.ContextLengthExceededError, InvalidRequestError, lc.ContextOverflowError):
    pass


class ContentFilterError(E.ContentFilterError, InvalidRequestError):
    pass


class GatewayServerError(_LangChainError, E.GatewayServerError, lc.ModelAPIError):
    pass


class GatewayError(_LangChainError, E.GatewayError, lc.ModelAPIError):
    pass


class GatewayConnectionError(_LangChainError, E.GatewayConnectionError, lc.ModelConnectionError):
    pass


class GatewayTimeoutError(E.GatewayTimeoutError, GatewayConnectionError, lc.ModelTimeoutError):
    pass


class StreamInterruptedError(E.StreamInterruptedError, GatewayConnectionError):
    pass


LANGCHAIN_CLASSES: dict[type[E.ZZZError], type[E.ZZZError]] = {
    E.AuthenticationError: AuthenticationError,
    E.PermissionDeniedError: PermissionDeniedError,
    E.InsufficientBalanceError: InsufficientBalanceError,
    E.RateLimitError: RateLimitError,
    E.ModelNotFoundError: ModelNotFoundError,
    E.InvalidRequestError: InvalidRequestError,
    E.ContextLengthExceededError: ContextLengthExceededError,
    E.ContentFilterError: ContentFilterError,
    E.GatewayServerError: GatewayServerError,
    E.GatewayError: GatewayError,
    E.GatewayConnectionError: GatewayConnectionError,
    E.GatewayTimeoutError: GatewayTimeoutError,
    E.StreamInterruptedError: StreamInterruptedError,
}


def to_langchain(exc: E.ZZZError) -> E.ZZZError:
    """The same error, re-typed with its LangChain parent (details and traceback kept)."""
    cls = LANGCHAIN_CLASSES.get(type(exc))
    if cls is None:
        return exc
    new = cls.__new__(cls)
    new.__dict__.update(exc.__dict__)
    new.args = exc.args
    new.__traceback__ = exc.__traceback__
    new.__suppress_context__ = True
    return new


# Re-exported for callers that used them from here; the skins use the lazy ones.
from ._retype import acall, atranslated, call, translated  # noqa: E402,F401
