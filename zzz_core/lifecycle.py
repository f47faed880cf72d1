"""``aclose()``/``close()``, copying and pickling for the skins' classes, written once.

Every LangChain and LlamaIndex class of this project holds a ``_gateway`` (the
:class:`~zzz_core.Gateway` shared by every instance with the same settings); this
mixin gives them the same two closing methods, one ``__deepcopy__`` and one key-free
pickle.  It imports nothing heavy, so the skins can inherit it without loading
``openai`` at import time.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

from .integration import key_free_state

if TYPE_CHECKING:
    from pydantic import BaseModel

    # For the type checker the mixin is the pydantic model it is mixed into (every user is
    # one), so super().__getstate__ and model_copy are checked; at runtime it is a plain class.
    _MixedInto = BaseModel
else:
    _MixedInto = object

__all__ = ["ConnectionLifecycle"]


class ConnectionLifecycle(_MixedInto):
    """Closing a model's connection pools (reopened by the next call), and copying it."""

    _gateway: Any
    #: Fields a deep copy shares instead of copying: a user's HTTP clients hold locks and sockets
    #: (they cannot be copied, and the copy should use the same pool as the original).
    _shared_on_copy: ClassVar[tuple[str, ...]] = ("http_client", "http_async_client")

    def _zzz_setup(self) -> None:
        """Validate the fields and connect (each skin class says how); run again after unpickling."""
        raise NotImplementedError

    def __getstate__(self) -> dict[Any, Any]:
        # Like zzz_core's ZZZConfig: a pickle never carries the key (nor HTTP clients nor the
        # gateway); the unpickled copy reads $ZZZ_API_KEY and resolves its settings again.
        return key_free_state(super().__getstate__())

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._zzz_setup()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        # pydantic's own deepcopy also deep-copies the private attributes, among them the
        # Gateway with its locks and pools ("cannot pickle '_thread.lock'").  The copy shares
        # the Gateway, as every instance built with the same settings does, and the resolved
        # (frozen) configuration; the fields themselves are copied, so editing the copy's
        # additional_kwargs or model_kwargs leaves the original alone.
        fields = self.__dict__
        update = {k: v if k in self._shared_on_copy else copy.deepcopy(v, memo) for k, v in fields.items()}
        return self.model_copy(update=update)

    async def aclose(self) -> None:
        """Close the running event loop's connections now.

        Optional: they are closed when the loop shuts down (``asyncio.run`` and
        ``asyncio.Runner`` do that); call it before closing a loop by hand.  The pool
        is shared by every instance with the same settings: calls in flight on this
        loop lose it.  A user-supplied async HTTP client is left open.
        """
        await self._gateway.aclose()

    def close(self) -> None:
        """Close the synchronous connection pool now (shared like the async one; a
        user-supplied HTTP client is left open)."""
        self._gateway.close()
