"""Prices as data and the cost of one call, checked against costs computed by hand."""

from __future__ import annotations

import datetime
import json
import threading
import warnings

import pytest

from zzz_core import errors as E
from zzz_core.pricing import (
    Budget,
    Price,
    PricingWarning,
    builtin_table,
    find_price,
    price_call,
    prices_from_mapping,
    reset_price_cache,
)
from zzz_core.pricing._builtin import BUILTIN_PRICES
from zzz_core.types import Usage


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv("ZZZ_PRICES", raising=False)
    reset_price_cache()
    yield
    reset_price_cache()


def u(prompt, completion, cached=None, reasoning=None):
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
                 cached_tokens=cached, reasoning_tokens=reasoning)  # fmt: skip


# Each expected amount is worked out by hand from the vendor's list price per 1M tokens.
HAND = [
    # gpt: plain, cached prompt, reasoning
    ("gpt-4o-mini", u(1200, 300), 1200 * 0.15e-6 + 300 * 0.60e-6, "USD"),
    ("gpt-4o", u(2000, 100, cached=1500), 500 * 2.50e-6 + 1500 * 1.25e-6 + 100 * 10e-6, "USD"),
    ("o4-mini", u(100, 1000, reasoning=800), 100 * 1.10e-6 + 1000 * 4.40e-6, "USD"),
    # deepseek (CNY): plain, cached, reasoning
    ("deepseek-chat", u(1_000_000, 1_000_000), 2.0 + 3.0, "CNY"),
    ("deepseek-chat", u(1000, 10, cached=600), 400 * 2e-6 + 600 * 0.2e-6 + 10 * 3e-6, "CNY"),
    ("deepseek-reasoner", u(1000, 500, cached=600, reasoning=200), 400 * 2e-6 + 600 * 0.2e-6 + 500 * 3e-6, "CNY"),
    # claude: plain, cached
    ("claude-haiku-4-5", u(1000, 1000), 1000 * 1e-6 + 1000 * 5e-6, "USD"),
    ("claude-sonnet-4-5", u(10_000, 500, cached=8000), 2000 * 3e-6 + 8000 * 0.3e-6 + 500 * 15e-6, "USD"),
    ("claude-sonnet-4-5-20250929", u(10, 10), 10 * 3e-6 + 10 * 15e-6, "USD"),
    ("claude-sonnet-4-5", u(300, 600, reasoning=400), 300 * 3e-6 + 600 * 15e-6, "USD"),  # thinking = output
    # qwen (CNY): plain; no cache price listed, so cached tokens pay the input price
    ("qwen-max", u(1000, 1000), 1000 * 2.4e-6 + 1000 * 9.6e-6, "CNY"),
    ("qwen-max", u(1000, 1000, cached=400), 1000 * 2.4e-6 + 1000 * 9.6e-6, "CNY"),
    ("qwen-max", u(500, 800, reasoning=300), 500 * 2.4e-6 + 800 * 9.6e-6, "CNY"),
    # glm: plain, cached, reasoning
    ("glm-4.6", u(2000, 100), 2000 * 0.6e-6 + 100 * 2.2e-6, "USD"),
    ("glm-4.6", u(2000, 100, cached=1000), 1000 * 0.6e-6 + 1000 * 0.11e-6 + 100 * 2.2e-6, "USD"),
    ("glm-4.6", u(2000, 3000, reasoning=2500), 2000 * 0.6e-6 + 3000 * 2.2e-6, "USD"),
    # embeddings: prompt only
    ("text-embedding-3-small", u(5000, 0), 5000 * 0.02e-6, "USD"),
]


@pytest.mark.parametrize("model,usage,amount,currency", HAND, ids=[f"{h[0]}-{i}" for i, h in enumerate(HAND)])
def test_costs_match_hand_computed(model, usage, amount, currency):
    cost = price_call(model, usage)
    assert cost is not None
    assert cost.amount == pytest.approx(amount, rel=1e-12)
    assert cost.currency == currency
    assert cost.source.startswith("list price https://") and cost.model == model
    assert cost.as_metadata() == {"amount": cost.amount, "currency": currency, "source": cost.source}


def test_reasoning_reported_apart_from_completion_is_billed_too():
    # completion_tokens 100 but reasoning 300: the relay counted them apart, so 400 are output
    cost = price_call("deepseek-reasoner", u(10, 100, reasoning=300))
    assert cost.amount == pytest.approx(10 * 2e-6 + 400 * 3e-6)


def test_usage_in_openai_and_langchain_shapes():
    openai_usage = {"prompt_tokens": 2000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 1500}}
    lc_usage = {"input_tokens": 2000, "output_tokens": 100, "total_tokens": 2100,
                "input_token_details": {"cache_read": 1500}}  # fmt: skip
    expected = 500 * 2.50e-6 + 1500 * 1.25e-6 + 100 * 10e-6
    assert price_call("gpt-4o", openai_usage).amount == pytest.approx(expected)
    assert price_call("gpt-4o", lc_usage).amount == pytest.approx(expected)


def test_unpriced_model_costs_none_with_one_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert price_call("mystery-model-9", u(10, 10)) is None
        assert price_call("mystery-model-9", u(10, 10)) is None
    msgs = [str(w.message) for w in caught if issubclass(w.category, PricingWarning)]
    assert len(msgs) == 1 and "mystery-model-9" in msgs[0] and "ZZZ_PRICES" in msgs[0]


def test_override_beats_file_beats_builtin(tmp_path, monkeypatch):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({
        "gpt-4o-mini": {"input": 1.0, "output": 2.0, "currency": "CNY"},
        "deepseek-*": {"input": 4, "output": 8, "cached_input": 1, "currency": "CNY"},
        "deepseek-reasoner*": {"input": 5, "output": 9, "currency": "CNY"},
        "dall-e-3": {"per_call": 0.3, "currency": "CNY"},
    }))  # fmt: skip
    monkeypatch.setenv("ZZZ_PRICES", str(path))
    assert price_call("gpt-4o-mini", u(1000, 1000)).amount == pytest.approx(0.003)
    assert price_call("gpt-4o-mini", u(1000, 1000)).source == f"ZZZ_PRICES:{path}"
    # the longer glob is the more specific
    assert find_price("deepseek-reasoner").input == 5 and find_price("deepseek-chat").input == 4
    assert price_call("deepseek-chat", u(1000, 0, cached=1000)).amount == pytest.approx(1000 * 1e-6)
    assert price_call("dall-e-3", u(0, 0)).amount == 0.3
    over = {"gpt-4o-mini": {"input": 10, "output": 10, "currency": "USD"}}
    cost = price_call("gpt-4o-mini", u(1000, 1000), prices=over)
    assert (cost.amount, cost.currency, cost.source) == (pytest.approx(0.02), "USD", "prices=")
    # a model neither override nor file names still gets the list price
    assert price_call("glm-4.6", u(1000, 0), prices=over).source.startswith("list price")


def test_a_broken_prices_file_is_ignored_with_one_warning(tmp_path, monkeypatch):
    path = tmp_path / "prices.json"
    path.write_text('{"gpt-4o-mini": {"input": -1, "output": 1, "currency": "USD"}}')
    monkeypatch.setenv("ZZZ_PRICES", str(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            assert price_call("gpt-4o-mini", u(1000, 0)).source.startswith("list price")
    msgs = [str(w.message) for w in caught if issubclass(w.category, PricingWarning)]
    assert len(msgs) == 1 and "'input' must be a non-negative number" in msgs[0] and str(path) in msgs[0]


@pytest.mark.parametrize(
    "bad,says",
    [
        ({"m": {"input": 1, "output": 1}}, "currency must be one of"),
        ({"m": {"input": 1, "output": 1, "currency": "EUR"}}, "currency must be one of"),
        ({"m": {"input": 1, "currency": "CNY"}}, "'output' must be"),
        ({"m": {"input": 1, "output": 1, "currency": "CNY", "inptu": 2}}, "unknown field"),
        ({"m": 3}, "expected {"),
    ],
)
def test_bad_overrides_are_refused_with_what_to_do(bad, says):
    with pytest.raises(ValueError, match=says):
        price_call("m", u(1, 1), prices=bad)


def test_every_builtin_row_has_a_source_and_a_date_and_none_is_shadowed():
    seen = set()
    for row in BUILTIN_PRICES:
        assert row.source.startswith("list price https://"), row
        datetime.date.fromisoformat(row.as_of)
        assert row.currency in ("CNY", "USD")
        assert row.input >= 0 and row.output >= 0
        assert row.cached_input is None or row.cached_input <= row.input, row
        assert row.pattern.lower() not in seen, f"duplicate row {row.pattern}"
        seen.add(row.pattern.lower())
        if not row.is_glob:  # an exact row is what a lookup of its own name finds
            assert builtin_table().get(row.pattern) is row


def test_price_rows_from_mapping_keep_price_objects():
    row = Price(pattern="x-*", currency="USD", source="mine", input=1, output=2)
    assert prices_from_mapping({"ignored": row}, source="s") == [row]


# ---------------------------------------------------------------- budget
def test_budget_counts_and_stops_after_the_limit():
    b = Budget(max_cost=0.01)
    b.check()
    first = b.add("deepseek-chat", u(1000, 1000))  # 0.005 CNY
    assert b.currency == "CNY" and b.spent == pytest.approx(first.amount)
    b.check()
    b.add("deepseek-chat", u(1000, 1000))
    with pytest.raises(E.BudgetExceededError) as info:
        b.check()
    err = info.value
    assert isinstance(err, E.ZZZError) and not err.retryable
    assert "spent 0.01 CNY" in str(err) and "max_cost 0.01 CNY" in str(err)
    assert b.by_model["deepseek-chat"]["calls"] == 2 and b.total_tokens == 4000
    assert b.total_cost == pytest.approx(0.01)


def test_budget_does_not_mix_currencies():
    b = Budget(max_cost=1.0, currency="USD")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b.add("gpt-4o-mini", u(1000, 1000))
        b.add("deepseek-chat", u(1000, 1000))
    assert b.spent == pytest.approx(1000 * 0.15e-6 + 1000 * 0.6e-6)
    assert b.total_cost is None and set(b.by_currency) == {"USD", "CNY"}
    assert any("not counted against max_cost" in str(w.message) for w in caught)
    counting = Budget()  # no limit at stake: both currencies counted, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", PricingWarning)
        counting.add("gpt-4o-mini", u(1000, 1000))
        counting.add("deepseek-chat", u(1000, 1000))
    assert counting.by_currency == {"USD": pytest.approx(0.00075), "CNY": pytest.approx(0.005)}


def test_budget_counts_unpriced_calls_in_tokens_only():
    b = Budget()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PricingWarning)
        assert b.add("unknown-thing", u(10, 5)) is None
    assert (b.unpriced_calls, b.total_tokens, b.total_cost, b.spent) == (1, 15, 0.0, 0.0)


def test_budget_is_thread_safe():
    b = Budget()

    def work():
        for _ in range(500):
            b.add("gpt-4o-mini", u(100, 10))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b.calls == 4000 and b.total_tokens == 4000 * 110
    assert b.spent == pytest.approx(4000 * (100 * 0.15e-6 + 10 * 0.6e-6))


@pytest.mark.parametrize("bad", [-1, True, float("nan"), "3"])
def test_budget_refuses_a_bad_limit(bad):
    with pytest.raises((ValueError, TypeError)):
        Budget(max_cost=bad)
