"""``zzz_cost()`` for LlamaIndex: what a query engine, an agent or an ingestion cost, and a budget.

Built on LlamaIndex's instrumentation::

    from llamaindex_zzz import zzz_cost

    with zzz_cost(max_cost=0.5) as run:
        index = VectorStoreIndex.from_documents(docs, embed_model=embed)   # embeddings
        index.as_query_engine(llm=llm).query("...")                        # embeddings + chat
        await FunctionAgent(tools=tools, llm=llm).run("...")               # chat with tools
    run.total_cost, run.currency, run.by_model, run.total_tokens

Every call of ``llamaindex_zzz.ZZZ``, ``ZZZEmbedding`` and ``ZZZRerank`` dispatches a
:class:`ZZZCallCostEvent` (model, usage, cost) through LlamaIndex's dispatcher, so any
event handler (Arize, Langfuse, your own) sees it.  A ``zzz_cost()`` block marks the work
it runs with an instrument tag (LlamaIndex's own context variable, which its workflows
carry into agent steps); :class:`ZZZCostEventHandler`, on the root dispatcher, counts each
event in the blocks its tag names.  Two blocks running at once never mix, and nested
blocks both count the inner one's calls.

The budget is checked by the models before each call is sent: once a block's
``max_cost`` is spent, a call raises :class:`zzz_core.BudgetExceededError` and nothing
is sent; calls already in flight complete and are counted.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.dispatcher import active_instrument_tags, instrument_tags
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

from zzz_core.pricing import Budget, CallCost, Prices, balance_watch, find_price
from zzz_core.pricing.budget import BudgetTotals
from zzz_core.types import Usage

__all__ = ["ZZZCallCostEvent", "ZZZCostEventHandler", "ZZZCostRun", "check_budget", "record_call", "zzz_cost"]

#: The instrument tag naming the open ``zzz_cost()`` blocks (innermost last).
TAG = "zzz_cost_runs"
_dispatcher = get_dispatcher(__name__)
_runs: dict[str, ZZZCostRun] = {}  # the open blocks, by id
_ids = itertools.count(1)
_install_lock = threading.Lock()


class ZZZCallCostEvent(BaseEvent):
    """One finished call of a llamaindex_zzz model: what it used and cost."""

    model: str
    kind: str
    """``"llm"``, ``"embedding"`` or ``"rerank"``."""
    usage: dict[str, Any] | None = None
    """``prompt_tokens``, ``completion_tokens``, ``total_tokens``, ``cached_tokens``, ``reasoning_tokens``."""
    cost: dict[str, Any] | None = None
    """``{"amount", "currency", "source"}``, or ``None`` when the model has no price."""

    @classmethod
    def class_name(cls) -> str:
        return "ZZZCallCostEvent"


class ZZZCostRun(BudgetTotals):
    """The totals of one ``zzz_cost()`` block (and its budget)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.id = f"zzz-cost-{next(_ids)}"

    def __repr__(self) -> str:
        return f"ZZZCostRun({self.budget!r})"


class ZZZCostEventHandler(BaseEventHandler):
    """Counts :class:`ZZZCallCostEvent` in the ``zzz_cost()`` blocks named by the event's tags."""

    @classmethod
    def class_name(cls) -> str:
        return "ZZZCostEventHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> Any:
        if not isinstance(event, ZZZCallCostEvent):
            return None
        for run_id in event.tags.get(TAG, ()):
            run = _runs.get(run_id)
            if run is None:
                continue
            own = run.budget.prices
            if event.cost is None or (own is not None and find_price(event.model, prices=own) is not None):
                run.budget.add(event.model, event.usage)  # unpriced, or the block's own prices win
            else:
                cost = CallCost(event.cost["amount"], event.cost["currency"], event.cost["source"], event.model)
                run.budget.add(event.model, event.usage, cost=cost)
        return None


def _install() -> None:
    root = get_dispatcher()
    with _install_lock:
        if not any(isinstance(h, ZZZCostEventHandler) for h in root.event_handlers):
            root.add_event_handler(ZZZCostEventHandler())


def _open_runs() -> Iterator[ZZZCostRun]:
    for run_id in active_instrument_tags.get().get(TAG, ()):
        run = _runs.get(run_id)
        if run is not None:
            yield run


def check_budget() -> None:
    """Raise ``BudgetExceededError`` when an enclosing block's budget is spent (before a call is sent)."""
    for run in _open_runs():
        run.budget.check()


def record_call(model: str, kind: str, usage: Usage | None, cost: CallCost | None) -> None:
    """Dispatch the :class:`ZZZCallCostEvent` of one finished call."""
    counts = None
    if usage is not None:
        counts = {
            "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
            "prompt_tokens_details": {"cached_tokens": usage.cached_tokens or 0},
            "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        }  # fmt: skip
    event = ZZZCallCostEvent(
        model=model, kind=kind, usage=counts, cost=cost.as_metadata() if cost is not None else None
    )
    _dispatcher.event(event)


@contextmanager
def zzz_cost(
    max_cost: float | None = None,
    *,
    currency: str | None = None,
    prices: Prices | None = None,
    low_balance: float | None = None,
    balance_of: Any = None,
) -> Iterator[ZZZCostRun]:
    """Count what the llamaindex_zzz calls made inside the block cost; stop them at ``max_cost``.

    The arguments are :class:`zzz_core.pricing.Budget`'s (a ``max_cost`` of ``None`` only
    counts); once ``max_cost`` is spent, a call about to start raises
    :class:`zzz_core.BudgetExceededError` before anything is sent.

    Yields:
        A :class:`ZZZCostRun`: ``total_cost``, ``currency``, ``by_model``, ``total_tokens``,
        ``spent``, ``calls``.
    """
    watch = balance_watch(low_balance, balance_of)
    _install()
    run = ZZZCostRun(Budget(max_cost, currency, prices=prices))
    _runs[run.id] = run
    tags = active_instrument_tags.get()
    try:
        with instrument_tags({**tags, TAG: (*tags.get(TAG, ()), run.id)}):
            yield run
    finally:
        _runs.pop(run.id, None)
        watch()
