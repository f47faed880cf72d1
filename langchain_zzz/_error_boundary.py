"""The LangChain skin's error boundary: zzz_core errors leave as their LangChain twins.

Every call the skin makes into zzz_core goes through :func:`call`/:func:`acall` (or, for
streams, :func:`translated`/:func:`atranslated`), which re-raise a zzz_core error as the
class of :mod:`langchain_zzz.errors` with the same name (so also a
``langchain_core.exceptions.Model*Error``).

This module imports :mod:`langchain_zzz.errors`, never the other way round.  The error
classes there subclass ``openai``'s, so that module is imported only when an error
actually passes through here; by then the request has been sent and ``openai`` is
loaded anyway.  ``import langchain_zzz`` therefore does not pay for ``openai``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def _retyped(exc: BaseException) -> BaseException | None:
    from zzz_core.errors import ZZZError

    if not isinstance(exc, ZZZError):
        return None
    from .errors import to_langchain

    return to_langchain(exc)


__all__ = ["acall", "atranslated", "call", "translated"]


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with zzz_core errors re-typed."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        new = _retyped(exc)
        if new is None:
            raise
    raise new


async def acall(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await fn(*args, **kwargs)
    except Exception as exc:
        new = _retyped(exc)
        if new is None:
            raise
    raise new


def translated(iterator: Iterator[T]) -> Iterator[T]:
    """Re-type errors raised while iterating a zzz_core stream."""
    try:
        yield from iterator
    except Exception as exc:
        new = _retyped(exc)
        if new is None:
            raise
    else:
        return
    raise new


async def atranslated(iterator: AsyncIterator[T]) -> AsyncIterator[T]:
    try:
        async for item in iterator:
            yield item
    except Exception as exc:
        new = _retyped(exc)
        if new is None:
            raise
    else:
        return
    raise new
