"""``aclose()``/``close()`` for the skins' classes, written once.

Every LangChain and LlamaIndex class of this project holds a ``_gateway`` (the
:class:`~zzz_core.Gateway` shared by every instance with the same settings); this
mixin gives them the same two methods.  It imports nothing heavy, so the skins can
inherit it without loading ``openai`` at import time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConnectionLifecycle"]


class ConnectionLifecycle:
    """Closing a model's connection pools (reopened by the next call)."""

    _gateway: Any

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
