"""Price rows and the lookup of a model name in a list of them.

A :class:`Price` says what one model (or a glob of model names) costs: input,
cached-input and output prices per 1M tokens, or one price per call, in one
currency, and where the numbers came from (``source``) and as of when
(``as_of``).  A :class:`PriceTable` is the rows of one source; a lookup tries
the exact name first, then the most specific glob (the longest pattern), so
``gpt-4o-mini*`` wins over ``gpt-4o*`` for ``gpt-4o-mini-2024-07-18``.

Rows are also read from user JSON (``prices=`` and the ``ZZZ_PRICES`` file)::

    {"deepseek-*": {"input": 2, "output": 3, "cached_input": 0.2, "currency": "CNY"},
     "dall-e-3": {"per_call": 0.04, "currency": "USD"}}
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CURRENCIES", "Price", "PriceTable", "prices_from_mapping"]

#: Currencies a row may be in (what the gateways bill in).
CURRENCIES = ("CNY", "USD")
_GLOB = frozenset("*?[")
_FIELDS = frozenset({"input", "output", "cached_input", "per_call", "currency", "source", "as_of", "note"})


@dataclass(frozen=True, slots=True)
class Price:
    """What one model costs. Token prices are per 1M tokens; ``per_call`` replaces them."""

    pattern: str
    """An exact model name or a glob (``deepseek-*``); matched case-insensitively."""
    currency: str
    source: str
    """Where the numbers came from: a URL, a file, the gateway's ``/api/pricing``, ``prices=``."""
    input: float = 0.0
    output: float = 0.0
    cached_input: float | None = None
    """Price of prompt tokens read from the cache; ``None``: billed at ``input``."""
    per_call: float | None = None
    """Models billed per call (images, some search models): this amount, whatever the tokens."""
    as_of: str = ""
    """ISO date the price was published or fetched."""
    note: str = ""

    @property
    def is_glob(self) -> bool:
        return any(c in _GLOB for c in self.pattern)

    def matches(self, model: str) -> bool:
        return fnmatch.fnmatchcase(model.lower(), self.pattern.lower())


class PriceTable:
    """The rows of one price source, looked up by model name."""

    __slots__ = ("name", "rows", "_exact", "_globs")

    def __init__(self, name: str, rows: Iterable[Price] = ()) -> None:
        self.name = name
        """The source's name, as ``zzz pricing`` shows it (``prices=``, ``ZZZ_PRICES``, ``gateway``, ``builtin``)."""
        self.rows: tuple[Price, ...] = tuple(rows)
        self._exact = {r.pattern.lower(): r for r in self.rows if not r.is_glob}
        # Most specific first: a longer pattern names fewer models.
        self._globs = sorted((r for r in self.rows if r.is_glob), key=lambda r: -len(r.pattern))

    def get(self, model: str) -> Price | None:
        """The row for ``model``: its exact name, else the longest glob that matches it."""
        row = self._exact.get(model.lower())
        if row is not None:
            return row
        return next((r for r in self._globs if r.matches(model)), None)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"PriceTable({self.name!r}, {len(self.rows)} rows)"


def _number(where: str, key: str, value: Any, *, required: bool) -> float | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: {key!r} must be a non-negative number per 1M tokens (or per call); got {value!r}")
    return float(value)


def prices_from_mapping(data: Mapping[str, Any], *, source: str, where: str = "prices") -> list[Price]:
    """Rows from ``{"<model or glob>": {"input", "output", "cached_input"?, "per_call"?, "currency"}}``.

    Raises:
        ValueError: a row that is not an object, an unknown field, a missing or
            negative price, or a currency other than ``CNY``/``USD``; the message names the row.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected an object mapping model names (or globs) to prices")
    rows = []
    for pattern, spec in data.items():
        at = f"{where}[{pattern!r}]"
        if isinstance(spec, Price):
            rows.append(spec)
            continue
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValueError(f"{where}: model names must be non-empty strings; got {pattern!r}")
        if not isinstance(spec, Mapping):
            raise ValueError(f'{at}: expected {{"input": ..., "output": ..., "currency": "CNY"}}; got {spec!r}')
        unknown = sorted(set(spec) - _FIELDS)
        if unknown:
            raise ValueError(f"{at}: unknown field(s) {unknown}; use input, output, cached_input, per_call, currency")
        currency = str(spec.get("currency") or "").upper()
        if currency not in CURRENCIES:
            raise ValueError(f"{at}: currency must be one of {CURRENCIES}; got {spec.get('currency')!r}")
        per_call = _number(at, "per_call", spec.get("per_call"), required=False)
        priced_by_token = per_call is None
        rows.append(
            Price(
                pattern=pattern.strip(),
                currency=currency,
                source=str(spec.get("source") or source),
                input=_number(at, "input", spec.get("input"), required=priced_by_token) or 0.0,
                output=_number(at, "output", spec.get("output"), required=priced_by_token) or 0.0,
                cached_input=_number(at, "cached_input", spec.get("cached_input"), required=False),
                per_call=per_call,
                as_of=str(spec.get("as_of") or ""),
                note=str(spec.get("note") or ""),
            )
        )
    return rows
