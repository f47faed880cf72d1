"""Usage parsing across relay dialects."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core.types import Usage
from zzz_core.usage import parse_usage


def test_openai_shape_with_details() -> None:
    raw = {
        "prompt_tokens": 120,
        "completion_tokens": 80,
        "total_tokens": 200,
        "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 64},
    }
    assert parse_usage(raw) == Usage(120, 80, 200, 100, 64, raw)


def test_deepseek_top_level_cache_hits() -> None:
    raw = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "prompt_cache_hit_tokens": 8}
    usage = parse_usage(raw)
    assert usage is not None and usage.cached_tokens == 8 and usage.reasoning_tokens is None


def test_nested_cache_wins_over_top_level() -> None:
    raw = {"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 3}, "prompt_cache_hit_tokens": 8}
    assert parse_usage(raw).cached_tokens == 3  # type: ignore[union-attr]


def test_total_defaults_to_sum_and_nulls_are_tolerated() -> None:
    usage = parse_usage({"prompt_tokens": 7, "completion_tokens": None, "prompt_tokens_details": None})
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (7, 0, 7)  # type: ignore[union-attr]
    assert usage.cached_tokens is None  # type: ignore[union-attr]


def test_digit_strings_and_floats() -> None:
    usage = parse_usage({"prompt_tokens": "12", "completion_tokens": " 3 ", "total_tokens": 15.0})
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 3, 15)  # type: ignore[union-attr]


def test_junk_values_become_unknown() -> None:
    usage = parse_usage({"prompt_tokens": "n/a", "completion_tokens": True, "total_tokens": 9})
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (0, 0, 9)  # type: ignore[union-attr]


def test_anthropic_style_names() -> None:
    usage = parse_usage({"input_tokens": 4, "output_tokens": 6})
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (4, 6, 10)  # type: ignore[union-attr]


def test_no_counts_means_no_usage() -> None:
    assert parse_usage(None) is None
    assert parse_usage({}) is None
    assert parse_usage({"prompt_tokens": None}) is None
    assert parse_usage("12") is None  # type: ignore[arg-type]


count = st.one_of(st.none(), st.integers(0, 10**6), st.integers(0, 10**6).map(str), st.text(max_size=3))


@settings(max_examples=200, deadline=None)
@given(
    d=st.fixed_dictionaries(
        {},
        optional={
            "prompt_tokens": count,
            "completion_tokens": count,
            "total_tokens": count,
            "prompt_cache_hit_tokens": count,
            "prompt_tokens_details": st.one_of(st.none(), st.fixed_dictionaries({"cached_tokens": count})),
            "completion_tokens_details": st.one_of(st.none(), st.fixed_dictionaries({"reasoning_tokens": count})),
        },
    )
)
def test_never_raises_and_keeps_raw(d) -> None:  # type: ignore[no-untyped-def]
    usage = parse_usage(d)
    if usage is not None:
        assert usage.raw is d
        assert all(isinstance(v, int) for v in (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens))
        if isinstance(d.get("total_tokens"), int):
            assert usage.total_tokens == d["total_tokens"]
