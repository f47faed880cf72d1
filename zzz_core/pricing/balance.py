"""A warning when the gateway balance falls below a threshold the user sets.

``zzz_cost(low_balance=10, balance_of=llm)`` (both skins) reads the balance
(:meth:`zzz_core.Gateway.balance`) when the block starts and when it ends, and warns
with :class:`LowBalanceWarning` when what remains is below the threshold, so a long job
learns before the gateway starts refusing calls.  Reading the balance never breaks the
run: a failure is one :class:`~zzz_core.pricing.PricingWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..types import Balance
from .sources import PricingWarning

__all__ = ["LowBalanceWarning", "balance_watch", "check_balance"]


class LowBalanceWarning(PricingWarning):
    """The gateway balance is below the ``low_balance`` threshold."""


def _gateway(source: Any) -> Any:
    if hasattr(source, "balance") and hasattr(source, "transport"):
        return source  # a zzz_core Gateway
    shared = getattr(source, "_gateway", None)  # the skins' objects keep their shared Gateway here
    if shared is not None:
        return shared
    config = getattr(source, "config", None)
    if config is None:
        raise TypeError(
            f"balance_of must be a model or embedding of langchain_zzz/llamaindex_zzz, or a zzz_core.Gateway; "
            f"got {type(source).__name__}"
        )
    from ..gateway import Gateway  # loads openai: only when a balance is asked for

    return Gateway.for_config(config)


def check_balance(source: Any, threshold: float) -> Balance | None:
    """Read the balance of ``source``'s gateway; warn when it is below ``threshold``.

    Args:
        source: A langchain_zzz / llamaindex_zzz object (its gateway is used) or a ``Gateway``.
        threshold: In the gateway's balance currency (智增增: CNY; new-api: USD).

    Returns:
        The balance, or ``None`` when it could not be read (one warning says why).
    """
    gateway = _gateway(source)
    try:
        balance = gateway.balance()
    except Exception as exc:  # noqa: BLE001 - a balance check must never break the run it watches
        warnings.warn(f"could not read the balance ({type(exc).__name__}: {exc})", PricingWarning, stacklevel=3)
        return None
    if not balance.unlimited and balance.remaining < threshold:
        unit = f" {balance.currency}" if balance.currency else ""
        warnings.warn(
            f"the {balance.gateway} balance is {balance.remaining:.4f}{unit}, below low_balance={threshold:g}: "
            "top up in the gateway console before calls start failing",
            LowBalanceWarning,
            stacklevel=3,
        )
    return balance


def balance_watch(low_balance: float | None, balance_of: Any) -> Callable[[], object]:
    """For a ``zzz_cost(low_balance=, balance_of=)`` block: check the balance now, and
    return the check to run when the block ends (a no-op without ``low_balance``).

    Raises:
        ValueError: ``low_balance`` without ``balance_of``.
    """
    if low_balance is None:
        return lambda: None
    if balance_of is None:
        raise ValueError("low_balance needs balance_of=<the model whose gateway balance to watch>")
    check_balance(balance_of, low_balance)
    return lambda: check_balance(balance_of, low_balance)
