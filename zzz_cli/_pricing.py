"""``zzz pricing [MODEL]``: the price table, each row with the source it came from.

Sources in priority order (docs/cost.md): the ``ZZZ_PRICES`` file, the gateway's published
prices (new-api ``/api/pricing``: read only when a key and a new-api gateway are
configured) and the built-in vendor list prices.  With ``MODEL``, the row that prices it
and the rows of lower sources it shadows.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._output import Printer

__all__ = ["add_pricing_parser", "cmd_pricing"]


def add_pricing_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "pricing", parents=[common], formatter_class=argparse.HelpFormatter,
        help="show the prices costs are computed from, and where each came from",
        description="Show the price table used for costs (per 1M tokens, or per call): the ZZZ_PRICES file, "
                    "the gateway's published prices (new-api /api/pricing, when a key for a new-api gateway "
                    "is set; ZZZ_PRICE_GROUP picks the key's group) and the built-in vendor list prices, "
                    "highest priority first.",
    )  # fmt: skip
    p.add_argument("model", nargs="?", help="show only the row that prices this model (and those it shadows)")
    p.add_argument("--json", action="store_true", help="machine-readable output (a JSON array of rows)")
    p.set_defaults(handler=cmd_pricing)


def _gateway_table(args: argparse.Namespace, printer: Printer, notes: list[str]) -> Any:
    from zzz_core.errors import ConfigurationError
    from zzz_core.pricing import PriceTable, gateway_pricing

    from ._commands import open_gateway

    try:
        gw = open_gateway(args, printer)
    except ConfigurationError as exc:
        notes.append(f"gateway prices not read ({exc})")
        return None
    with gw:
        if gw.config.dialect != "newapi":
            notes.append(f"gateway {gw.config.gateway} publishes no prices; give them in a ZZZ_PRICES file")
            return None
        pricing = gateway_pricing(gw, refresh=True)
    if pricing is None:
        notes.append("the gateway's /api/pricing could not be read (see the warning above)")
        return None
    notes.append(f"gateway prices for group {pricing.group!r} (ratio {pricing.group_ratio:g}), in {pricing.currency}")
    notes.extend(f"{name}: not priced by the gateway, {why}" for name, why in sorted(pricing.skipped.items()))
    return PriceTable("gateway", pricing.rows)


def _row(table: str, r: Any) -> dict[str, Any]:
    return {
        "source_kind": table, "model": r.pattern, "input": r.input if r.per_call is None else None,
        "cached_input": r.cached_input, "output": r.output if r.per_call is None else None,
        "per_call": r.per_call, "currency": r.currency, "source": r.source, "as_of": r.as_of,
    }  # fmt: skip


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def cmd_pricing(args: argparse.Namespace, printer: Printer) -> int:
    from zzz_core.pricing import builtin_table
    from zzz_core.pricing.sources import file_table

    notes: list[str] = []
    tables = [t for t in (file_table(), _gateway_table(args, printer, notes), builtin_table()) if t is not None]
    rows: list[dict[str, Any]] = []
    for table in tables:
        if args.model:
            found = table.get(args.model)
            rows += [_row(table.name, found)] if found is not None else []
        else:
            rows += [_row(table.name, r) for r in table.rows]
    if args.json:
        printer.line(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0 if rows or not args.model else 1
    if args.model and not rows:
        example = f'{{"{args.model}": {{"input": 1.0, "output": 2.0, "currency": "CNY"}}}}'
        printer.err(f"zzz: no price known for {args.model!r}: its cost is None. Add it to a ZZZ_PRICES file, "
                    f"e.g. {example} (per 1M tokens)")  # fmt: skip
        return 1
    head = ["FROM", "MODEL", "INPUT", "CACHED", "OUTPUT", "PER_CALL", "CUR", "AS_OF", "SOURCE"]
    table = [head] + [
        [r["source_kind"], r["model"], _num(r["input"]), _num(r["cached_input"]), _num(r["output"]),
         _num(r["per_call"]), r["currency"], r["as_of"] or "-", r["source"]]
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        printer.line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if args.model and len(rows) > 1:
        printer.line(f"\nthe first row prices {args.model}; the others are shadowed by it")
    for note in notes:
        printer.line(f"note: {note}")
    printer.line("prices per 1M tokens (cached = prompt tokens read from the cache); FROM: highest priority first")
    return 0
