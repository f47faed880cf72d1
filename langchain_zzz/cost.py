"""``zzz_cost()``: what a block of LangChain code cost, and a budget that stops it overspending.

In the style of ``get_usage_metadata_callback()``::

    from langchain_zzz import zzz_cost

    with zzz_cost(max_cost=0.5) as cb:
        chain.invoke(...)            # chains, agents, batch, streams, async tasks, threads
    cb.total_cost, cb.currency, cb.by_model, cb.total_tokens

The handler is put in place through LangChain's own machinery: a context variable
registered with ``register_configure_hook``, so every run started inside the block
(in this thread, in asyncio tasks it creates, and in threads that carry its context,
as LangChain's executors and ``contextvars.copy_context().run`` do) reports to it, and
two blocks running at once in different threads or tasks never see each other's calls.
Nested blocks both count the inner block's calls.

* Chat and completion models report through callbacks: a run about to start when the
  budget is spent gets :class:`~langchain_zzz.errors.BudgetExceededError` from
  ``on_chat_model_start``/``on_llm_start`` (so nothing is sent), and ``on_llm_end``
  counts the finished call, with the cost ``ChatZZZ`` put in
  ``response_metadata["cost"]`` (or priced from ``usage_metadata`` for other models).
* ``ZZZEmbeddings`` has no callbacks in LangChain; it reads the same context variable
  (:func:`current_cost_handler`) to check the budget and count its calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from zzz_core.pricing import Budget, CallCost, Prices, balance_watch, find_price
from zzz_core.pricing.budget import BudgetTotals

from . import _error_boundary

__all__ = ["ZZZCostCallbackHandler", "current_cost_handler", "zzz_cost"]

log = logging.getLogger("langchain_zzz")

_CURRENT: ContextVar[ZZZCostCallbackHandler | None] = ContextVar("langchain_zzz_cost", default=None)
_UNSET: Any = object()


class ZZZCostCallbackHandler(BudgetTotals, BaseCallbackHandler):
    """Counts the cost and tokens of the LLM and embedding calls of a run; optionally a budget.

    Usually obtained from :func:`zzz_cost`; it can also be passed as a callback
    (``config={"callbacks": [handler]}``), which counts chat and completion calls only.
    """

    raise_error = True
    """A spent budget must stop the run; counting itself never raises."""
    run_inline = True
    """Cheap and lock-protected: run in the caller's thread or event loop, never in an executor."""

    def __init__(
        self,
        max_cost: float | None = None,
        *,
        currency: str | None = None,
        prices: Prices | None = None,
        parent: ZZZCostCallbackHandler | None = None,
    ) -> None:
        super().__init__()
        self.budget = Budget(max_cost, currency, prices=prices)
        self._parent = parent
        self._models: dict[UUID, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ZZZCostCallbackHandler({self.budget!r})"

    # -- budget and counting (also used by ZZZEmbeddings) -------------------

    def _chain(self) -> Iterator[ZZZCostCallbackHandler]:
        handler: ZZZCostCallbackHandler | None = self
        while handler is not None:
            yield handler
            handler = handler._parent

    def check(self) -> None:
        """Raise ``BudgetExceededError`` when this block's (or an enclosing block's) budget is spent."""
        for handler in self._chain():
            _error_boundary.call(handler.budget.check)  # raised as the LangChain twin (a ModelError)

    def count(self, model: str, usage: Any, cost: CallCost | None = _UNSET) -> None:
        """Count one finished call in this block and every enclosing one."""
        known = {} if cost is _UNSET else {"cost": cost}
        for handler in self._chain():
            own = handler.budget.prices
            if own is not None and find_price(model, prices=own) is not None:
                handler.budget.add(model, usage)  # the block's own prices win over the model's
            else:
                handler.budget.add(model, usage, **known)

    # -- LangChain callbacks -------------------------------------------------

    def _starting(self, run_id: UUID, metadata: dict[str, Any] | None, serialized: Any) -> None:
        self.check()
        name = (metadata or {}).get("ls_model_name")
        if not name and isinstance(serialized, Mapping):
            name = (serialized.get("kwargs") or {}).get("model") or (serialized.get("kwargs") or {}).get("model_name")
        if name:
            with self._lock:
                self._models[run_id] = str(name)

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: Any, *, run_id: UUID, metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        self._starting(run_id, metadata, serialized)

    def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID, metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        self._starting(run_id, metadata, serialized)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            self._models.pop(run_id, None)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            asked = self._models.pop(run_id, None)
        try:
            self._count_result(response, asked)
        except Exception:  # noqa: BLE001 - counting must never break the run it counts
            log.exception("langchain_zzz: could not count the cost of a call")

    def _count_result(self, response: LLMResult, asked: str | None) -> None:
        llm_output = response.llm_output or {}
        counted_output = False
        for generations in response.generations:
            if not generations:
                continue
            message = getattr(generations[0], "message", None)
            usage = getattr(message, "usage_metadata", None)
            if message is not None and usage is not None:
                meta = message.response_metadata or {}
                model = asked or meta.get("model_name") or meta.get("model") or "unknown"
                self.count(model, usage, _call_cost(meta.get("cost"), model))
            elif not counted_output and llm_output.get("token_usage"):
                # A completion model reports one usage for the whole request, in llm_output.
                counted_output = True
                model = asked or llm_output.get("model_name") or "unknown"
                self.count(model, llm_output["token_usage"], _call_cost(llm_output.get("cost"), model))


def _call_cost(meta: Any, model: str) -> Any:
    """The cost a message carries; ``_UNSET`` when it carries none (the budget prices the usage)."""
    if isinstance(meta, Mapping) and isinstance(meta.get("amount"), (int, float)) and meta.get("currency"):
        return CallCost(float(meta["amount"]), str(meta["currency"]), str(meta.get("source") or ""), model)
    return _UNSET


register_configure_hook(_CURRENT, inheritable=True)


def current_cost_handler() -> ZZZCostCallbackHandler | None:
    """The handler of the innermost ``zzz_cost()`` block this code runs in, if any."""
    return _CURRENT.get()


@contextmanager
def zzz_cost(
    max_cost: float | None = None,
    *,
    currency: str | None = None,
    prices: Prices | None = None,
    low_balance: float | None = None,
    balance_of: Any = None,
) -> Iterator[ZZZCostCallbackHandler]:
    """Count what the LangChain calls made inside the block cost; stop them at ``max_cost``.

    ``max_cost``, ``currency`` and ``prices`` are those of :class:`zzz_core.pricing.Budget`;
    once ``max_cost`` is spent, a call about to start raises
    :class:`langchain_zzz.errors.BudgetExceededError` (a LangChain ``ModelError``) before
    anything is sent, and calls already in flight complete and are counted.  ``prices``
    win over the models' own within the block.

    Yields:
        The :class:`ZZZCostCallbackHandler`: ``total_cost``, ``currency``, ``by_model``,
        ``total_tokens``, ``spent``, ``calls``.
    """
    watch = balance_watch(low_balance, balance_of)
    handler = ZZZCostCallbackHandler(max_cost, currency=currency, prices=prices, parent=_CURRENT.get())
    token = _CURRENT.set(handler)
    try:
        yield handler
    finally:
        _CURRENT.reset(token)
        watch()
