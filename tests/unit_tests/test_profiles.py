"""Model profiles: the table, name handling, overrides, registration, and the fallback."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core import _profile_table, profiles
from zzz_core.errors import ConfigurationError, InvalidInputError
from zzz_core.profiles import (
    PROFILE_FIELDS,
    REASONING_EFFORTS,
    STRUCTURED_OUTPUT_METHODS,
    UNKNOWN_PROFILE,
    ModelProfile,
    get_profile,
    list_profiles,
    register_profile,
    unregister_profile,
)

# Every family the brief names, with a realistic relay spelling, and the family it must land in.
FAMILY_EXAMPLES = {
    "gpt-4o": "gpt-4o", "gpt-4o-mini": "gpt-4o", "gpt-4o-2024-11-20": "gpt-4o", "chatgpt-4o-latest": "gpt-4o",
    "gpt-4.1": "gpt-4.1", "gpt-4.1-mini": "gpt-4.1", "gpt-4.1-nano": "gpt-4.1",
    "gpt-4-turbo": "gpt-4", "gpt-4-turbo-2024-04-09": "gpt-4", "gpt-4-1106-preview": "gpt-4", "gpt-4": "gpt-4",
    "gpt-4-32k": "gpt-4", "gpt-3.5-turbo": "gpt-3.5", "gpt-3.5-turbo-0125": "gpt-3.5",
    "gpt-3.5-turbo-instruct": "gpt-3.5",
    "gpt-5": "gpt-5", "gpt-5-mini": "gpt-5", "gpt-5-nano": "gpt-5", "gpt-5-2025-08-07": "gpt-5",
    "gpt-5-chat-latest": "gpt-5", "gpt-5.1": "gpt-5", "gpt-5.2": "gpt-5", "gpt-5.4": "gpt-5",
    "o1": "o-series", "o1-mini": "o-series", "o1-preview": "o-series", "o3": "o-series", "o3-mini": "o-series",
    "o4-mini": "o-series", "o3-2025-04-16": "o-series",
    "claude-3-haiku-20240307": "claude", "claude-3-opus-20240229": "claude", "claude-3-5-sonnet-20241022": "claude",
    "claude-3.5-sonnet": "claude", "claude-3-5-haiku-20241022": "claude", "claude-3-7-sonnet-20250219": "claude",
    "claude-sonnet-4-20250514": "claude", "claude-opus-4-20250514": "claude", "claude-opus-4-1-20250805": "claude",
    "claude-sonnet-4-5-20250929": "claude", "claude-haiku-4-5-20251001": "claude", "claude-opus-4-5": "claude",
    "claude-sonnet-5": "claude",
    "gemini-1.5-flash": "gemini", "gemini-1.5-pro": "gemini", "gemini-2.0-flash": "gemini",
    "gemini-2.0-flash-lite": "gemini", "gemini-2.5-flash": "gemini", "gemini-2.5-pro": "gemini",
    "gemini-2.5-flash-lite": "gemini", "gemini-3-pro-preview": "gemini", "gemini-3-flash": "gemini",
    "deepseek-chat": "deepseek", "deepseek-v3": "deepseek", "deepseek-v3-250324": "deepseek",
    "deepseek-v3.1": "deepseek", "deepseek-v3.1-terminus": "deepseek", "deepseek-v3.2-exp": "deepseek",
    "deepseek-reasoner": "deepseek", "deepseek-r1": "deepseek", "deepseek-r1-0528": "deepseek",
    "qwen-max": "qwen", "qwen-plus": "qwen", "qwen-turbo": "qwen", "qwen-long": "qwen",
    "qwen2.5-72b-instruct": "qwen", "qwen3-235b-a22b": "qwen", "qwen3-coder-plus": "qwen", "qwq-32b": "qwen",
    "qwq-plus": "qwen", "qwen-vl-max": "qwen", "qwen-vl-plus": "qwen", "qwen3-max": "qwen",
    "glm-4": "glm", "glm-4-plus": "glm", "glm-4-flash": "glm", "glm-4v": "glm", "glm-4v-plus": "glm",
    "glm-4.5": "glm", "glm-4.5-air": "glm", "glm-4.6": "glm", "glm-z1-air": "glm",
    "moonshot-v1-8k": "kimi", "moonshot-v1-32k": "kimi", "moonshot-v1-128k": "kimi",
    "kimi-k2-0711-preview": "kimi", "kimi-k2-0905-preview": "kimi", "kimi-k2-thinking": "kimi",
    "text-embedding-3-small": "openai-embedding", "text-embedding-3-large": "openai-embedding",
    "text-embedding-ada-002": "openai-embedding", "bge-m3": "bge", "embedding-2": "glm-embedding",
    "embedding-3": "glm-embedding", "text-embedding-v1": "qwen-embedding", "text-embedding-v2": "qwen-embedding",
    "text-embedding-v3": "qwen-embedding", "text-embedding-v4": "qwen-embedding",
}


@pytest.fixture(autouse=True)
def _clean_registry():
    yield
    for prof in list(profiles._user_rows):
        unregister_profile(prof[1].name_pattern)


# ---------------------------------------------------------------- the dataclass


def test_profile_is_a_frozen_slots_dataclass():
    prof = get_profile("gpt-4o")
    assert dataclasses.is_dataclass(prof)
    assert not hasattr(prof, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        prof.context_window = 1  # type: ignore[misc]


def test_profile_fields_are_the_documented_ones():
    assert set(PROFILE_FIELDS) == {
        "name_pattern", "family", "context_window", "max_output_tokens", "chat", "completion", "embedding",
        "embedding_dimensions", "dimensions_configurable", "rerank", "max_documents",
        "tool_calling", "parallel_tool_calls", "tool_choice",
        "vision", "json_mode", "json_schema", "structured_output_method", "reasoning", "reasoning_effort",
        "reasoning_efforts", "max_tokens_param", "unsupported_params", "replay_reasoning", "stream_usage",
        "suffix_effort", "thinking", "thinking_switch", "thinking_stream_only", "known",
    }


def test_profile_coerces_collections_and_rejects_bad_values():
    prof = ModelProfile(name_pattern="x", family="f", unsupported_params=["temperature"], reasoning_efforts=["low"])
    assert prof.unsupported_params == frozenset({"temperature"})
    assert prof.reasoning_efforts == ("low",)
    with pytest.raises(ConfigurationError, match="structured_output_method"):
        ModelProfile(name_pattern="x", family="f", structured_output_method="xml")
    with pytest.raises(ConfigurationError, match="max_tokens_param"):
        ModelProfile(name_pattern="x", family="f", max_tokens_param="max_output")
    with pytest.raises(ConfigurationError, match="reasoning_efforts"):
        ModelProfile(name_pattern="x", family="f", reasoning_efforts=("extreme",))
    with pytest.raises(ConfigurationError, match="context_window"):
        ModelProfile(name_pattern="x", family="f", context_window=-1)


# ---------------------------------------------------------------- coverage of the families


@pytest.mark.parametrize(("model", "family"), sorted(FAMILY_EXAMPLES.items()))
def test_every_family_in_the_brief_resolves_to_a_known_profile(model, family):
    prof = get_profile(model)
    assert prof.known, model
    assert prof.family == family


def test_openai_chat_rows():
    gpt4o = get_profile("gpt-4o")
    assert (gpt4o.context_window, gpt4o.max_output_tokens) == (128_000, 16_384)
    assert gpt4o.tool_calling and gpt4o.parallel_tool_calls and gpt4o.vision and gpt4o.json_schema
    assert gpt4o.structured_output_method == "json_schema"
    assert gpt4o.max_tokens_param == "max_tokens" and not gpt4o.unsupported_params
    assert get_profile("gpt-4o-2024-05-13").structured_output_method == "function_calling"
    assert get_profile("gpt-4.1-nano").context_window == 1_047_576
    chatgpt = get_profile("chatgpt-4o-latest")
    assert not chatgpt.tool_calling and chatgpt.structured_output_method == "json_mode"
    assert get_profile("gpt-4").context_window == 8192
    assert get_profile("gpt-4-turbo").vision and not get_profile("gpt-4-0125-preview").vision
    assert not get_profile("gpt-4").json_mode and get_profile("gpt-3.5-turbo").json_mode


def test_completion_only_and_embedding_models_are_not_chat_models():
    instruct = get_profile("gpt-3.5-turbo-instruct")
    assert (instruct.chat, instruct.completion, instruct.tool_calling) == (False, True, False)
    assert get_profile("gpt-4o").chat and not get_profile("gpt-4o").completion
    for name in ("text-embedding-3-small", "bge-m3", "embedding-3", "text-embedding-v4"):
        prof = get_profile(name)
        assert prof.embedding and not prof.chat and not prof.tool_calling, name


@pytest.mark.parametrize("model", ["gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.1", "gpt-5.2"])
def test_gpt5_is_a_reasoning_model_without_sampling_knobs(model):
    prof = get_profile(model)
    assert prof.reasoning and prof.reasoning_effort
    assert prof.max_tokens_param == "max_completion_tokens"
    assert {"temperature", "top_p", "presence_penalty", "frequency_penalty", "logprobs", "n"} <= prof.unsupported_params
    assert prof.json_schema and prof.structured_output_method == "json_schema"
    assert (prof.context_window, prof.max_output_tokens) == (400_000, 128_000)


def test_gpt5_effort_sets_follow_the_versions():
    assert get_profile("gpt-5").reasoning_efforts == ("minimal", "low", "medium", "high")
    efforts_51 = get_profile("gpt-5.1").reasoning_efforts
    assert "none" in efforts_51 and "xhigh" not in efforts_51
    assert "xhigh" in get_profile("gpt-5.2").reasoning_efforts


@pytest.mark.parametrize("model", ["o1", "o3", "o3-mini", "o4-mini"])
def test_o_series_take_reasoning_effort_and_max_completion_tokens(model):
    prof = get_profile(model)
    assert prof.reasoning and prof.reasoning_effort
    assert prof.reasoning_efforts == ("low", "medium", "high")
    assert prof.max_tokens_param == "max_completion_tokens"
    assert "temperature" in prof.unsupported_params


def test_o_series_vision_and_early_models():
    assert not get_profile("o3-mini").vision
    assert get_profile("o3").vision and get_profile("o4-mini").vision and get_profile("o1").vision
    for name in ("o1-mini", "o1-preview"):
        prof = get_profile(name)
        assert not prof.tool_calling and not prof.reasoning_effort and not prof.vision, name
        assert prof.max_tokens_param == "max_completion_tokens"
    assert "parallel_tool_calls" in get_profile("o1").unsupported_params


@pytest.mark.parametrize("model", ["claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219",
                                   "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-sonnet-5"])
def test_claude_uses_function_calling_for_structured_output(model):
    prof = get_profile(model)
    assert prof.tool_calling and prof.vision and prof.context_window == 200_000
    assert not prof.json_schema and prof.structured_output_method == "function_calling"
    assert prof.max_tokens_param == "max_tokens" and not prof.unsupported_params


def test_claude_output_caps():
    assert get_profile("claude-3-opus-20240229").max_output_tokens == 4096
    assert get_profile("claude-3-5-sonnet-20241022").max_output_tokens == 8192
    assert get_profile("claude-3-7-sonnet-20250219").max_output_tokens == 64_000
    assert get_profile("claude-opus-4-1-20250805").max_output_tokens == 32_000
    assert get_profile("claude-sonnet-4-20250514").max_output_tokens == 64_000


def test_gemini_rows():
    for name in ("gemini-1.5-flash", "gemini-2.0-flash", "gemini-2.5-pro", "gemini-3-pro-preview"):
        prof = get_profile(name)
        assert prof.context_window >= 1_048_576 and prof.tool_calling and prof.vision, name
        assert prof.structured_output_method == "function_calling" and not prof.json_schema, name
    assert get_profile("gemini-1.5-pro").context_window == 2_097_152
    assert get_profile("gemini-2.5-flash").reasoning and get_profile("gemini-3-pro-preview").reasoning
    assert not get_profile("gemini-2.0-flash").reasoning and not get_profile("gemini-1.5-pro").reasoning


def test_deepseek_rows():
    reasoner = get_profile("deepseek-reasoner")
    assert reasoner.reasoning and reasoner.replay_reasoning and reasoner.tool_calling
    # It ignores sampling parameters instead of rejecting them: they must not be dropped.
    assert not {"temperature", "top_p", "presence_penalty", "frequency_penalty"} & reasoner.unsupported_params
    assert {"logprobs", "top_logprobs"} <= reasoner.unsupported_params
    chat = get_profile("deepseek-chat")
    assert not chat.reasoning and not chat.replay_reasoning and chat.json_mode and chat.tool_calling
    assert chat.structured_output_method == "function_calling"
    assert get_profile("deepseek-v3.2").replay_reasoning and get_profile("deepseek-v3-1-250821").replay_reasoning
    r1 = get_profile("deepseek-r1")
    assert r1.reasoning and not r1.replay_reasoning  # the R1 API answers 400 to reasoning_content in input
    assert get_profile("deepseek-v3-250324").name_pattern == "deepseek-v3*"


def test_qwen_glm_kimi_rows():
    assert get_profile("qwq-32b").reasoning and get_profile("qwen-vl-max").vision
    assert get_profile("qwen3-coder-plus").context_window == 1_000_000
    assert not get_profile("qwen-max").reasoning and get_profile("qwen-max").tool_calling
    assert get_profile("glm-4v").vision and not get_profile("glm-4v").tool_calling
    assert get_profile("glm-4.5").reasoning and get_profile("glm-4.6").reasoning and get_profile("glm-z1-air").reasoning
    assert get_profile("glm-4.6").replay_reasoning
    assert [get_profile(f"moonshot-v1-{w}").context_window for w in ("8k", "32k", "128k")] == [8192, 32_768, 131_072]
    thinking = get_profile("kimi-k2-thinking")
    assert thinking.reasoning and thinking.replay_reasoning and thinking.name_pattern == "kimi-k2-thinking*"
    k2 = get_profile("kimi-k2-0711-preview")
    assert not k2.reasoning and not k2.replay_reasoning


@pytest.mark.parametrize(("model", "dims", "configurable"), [
    ("text-embedding-3-small", 1536, True), ("text-embedding-3-large", 3072, True),
    ("text-embedding-ada-002", 1536, False), ("bge-m3", 1024, False), ("embedding-2", 1024, False),
    ("embedding-3", 2048, True), ("text-embedding-v1", 1536, False), ("text-embedding-v2", 1536, False),
    ("text-embedding-v3", 1024, True), ("text-embedding-v4", 1024, True),
])
def test_embedding_dimensions(model, dims, configurable):
    prof = get_profile(model)
    assert (prof.embedding_dimensions, prof.dimensions_configurable) == (dims, configurable)


# ---------------------------------------------------------------- name handling


@pytest.mark.parametrize("spelling", ["GPT-4o", " gpt-4o ", "openai/gpt-4o", "OpenAI/GPT-4O", "azure/openai/gpt-4o"])
def test_case_and_vendor_prefix_are_ignored(spelling):
    assert get_profile(spelling) == get_profile("gpt-4o")


def test_vendor_prefixes_of_other_hosts():
    assert get_profile("deepseek/deepseek-chat").name_pattern == "deepseek-chat*"
    assert get_profile("deepseek-ai/DeepSeek-R1").family == "deepseek"
    assert get_profile("BAAI/bge-m3").embedding_dimensions == 1024
    assert get_profile("ft:gpt-4o-mini-2024-07-18:my-org::abc123").family == "gpt-4o"
    assert get_profile("qwen2.5:7b").family == "qwen"


@pytest.mark.parametrize(("model", "base", "effort"), [
    ("o3-mini-high", "o3-mini", "high"), ("o3-mini-low", "o3-mini", "low"), ("o4-mini-medium", "o4-mini", "medium"),
    ("gpt-5-minimal", "gpt-5", "minimal"), ("gpt-5-mini-high", "gpt-5-mini", "high"),
    ("gpt-5.1-none", "gpt-5.1", "none"), ("gpt-5.2-xhigh", "gpt-5.2", "xhigh"), ("openai/o3-HIGH", "o3", "high"),
])
def test_effort_suffix_sets_suffix_effort_on_the_base_profile(model, base, effort):
    prof = get_profile(model)
    assert prof.suffix_effort == effort
    assert dataclasses.replace(prof, suffix_effort=None) == get_profile(base)


@pytest.mark.parametrize("model", ["gpt-4o-high", "claude-3-7-sonnet-high", "deepseek-chat-low", "o3-mini"])
def test_effort_suffix_only_on_o_series_and_gpt5(model):
    assert get_profile(model).suffix_effort is None


@pytest.mark.parametrize(("model", "base"), [
    ("gemini-2.5-flash-thinking", "gemini-2.5-flash"), ("gemini-2.5-flash-thinking-1024", "gemini-2.5-flash"),
    ("claude-3-7-sonnet-20250219-thinking", "claude-3-7-sonnet-20250219"),
    ("claude-sonnet-4-20250514-thinking", "claude-sonnet-4-20250514"), ("deepseek-v3.1-thinking", "deepseek-v3.1"),
])
def test_thinking_suffix(model, base):
    prof = get_profile(model)
    assert prof.thinking is True and prof.reasoning is True
    assert prof.name_pattern == get_profile(base).name_pattern
    assert dataclasses.replace(prof, thinking=None, reasoning=get_profile(base).reasoning) == get_profile(base)


def test_nothinking_suffix_turns_reasoning_and_replay_off():
    prof = get_profile("gemini-2.5-flash-nothinking")
    assert prof.thinking is False and prof.reasoning is False
    assert get_profile("deepseek-v3.2-nothinking").replay_reasoning is False


def test_a_name_listed_in_full_is_not_read_as_a_suffix():
    # kimi-k2-thinking has its own row; the -thinking suffix reading would give kimi-k2's.
    prof = get_profile("kimi-k2-thinking")
    assert prof.thinking is None and prof.replay_reasoning
    assert get_profile("kimi-k2-thinking-turbo").name_pattern == "kimi-k2-thinking*"


def test_suffix_on_an_unknown_model():
    prof = get_profile("some-new-model-thinking")
    assert not prof.known and prof.thinking is True and prof.reasoning is True
    assert get_profile("some-new-model-high").suffix_effort is None


# ---------------------------------------------------------------- fallback, overrides, cache


def test_unknown_model_gets_conservative_defaults():
    prof = get_profile("totally-new-model-9000")
    assert prof is get_profile("totally-new-model-9000")
    assert prof == UNKNOWN_PROFILE
    assert (prof.known, prof.chat, prof.tool_calling, prof.parallel_tool_calls) == (False, True, True, False)
    assert (prof.json_mode, prof.json_schema, prof.structured_output_method) == (False, False, "function_calling")
    assert (prof.context_window, prof.max_output_tokens) == (32_768, 4096)
    assert prof.stream_usage and not prof.replay_reasoning and not prof.unsupported_params
    assert prof.max_tokens_param == "max_tokens"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_lookup_never_raises_on_any_string(name):
    prof = get_profile(name)
    assert isinstance(prof, ModelProfile)
    assert prof.structured_output_method in STRUCTURED_OUTPUT_METHODS


def test_non_string_model_is_an_input_error():
    with pytest.raises(InvalidInputError, match="model must be a string"):
        get_profile(None)  # type: ignore[arg-type]


def test_lookup_is_cached():
    profiles._resolve.cache_clear()
    first = get_profile("glm-4.5")
    assert get_profile("glm-4.5") is first
    assert profiles._resolve.cache_info().hits >= 1


def test_overrides_are_applied_without_touching_the_cache():
    prof = get_profile("gpt-4o", {"context_window": 64_000, "unsupported_params": ["seed"]})
    assert prof.context_window == 64_000 and prof.unsupported_params == frozenset({"seed"})
    assert get_profile("gpt-4o").context_window == 128_000
    assert get_profile("gpt-4o", {}) is get_profile("gpt-4o")


def test_unknown_override_key_names_the_valid_keys():
    with pytest.raises(ConfigurationError) as info:
        get_profile("gpt-4o", {"context_size": 1, "tools": True})
    text = str(info.value)
    assert "'context_size'" in text and "'tools'" in text
    assert "context_window" in text and "replay_reasoning" in text


def test_invalid_override_value_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="structured_output_method"):
        get_profile("gpt-4o", {"structured_output_method": "prompting"})


# ---------------------------------------------------------------- registration


def test_register_profile_adds_a_row_ahead_of_the_table():
    assert not get_profile("my-private-model-v2").known
    prof = register_profile("my-private-*", family="mine", context_window=65_536, json_mode=True)
    assert prof.known and prof.family == "mine"
    got = get_profile("My-Private-Model-v2")
    assert got.context_window == 65_536 and got.json_mode and got.name_pattern == "my-private-*"
    assert list_profiles()[0] is prof


def test_register_profile_like_an_existing_model_and_shadowing_the_table():
    register_profile("gpt-4o-mini-ft-*", like="gpt-4o-mini", context_window=65_536)
    prof = get_profile("gpt-4o-mini-ft-support")
    assert prof.family == "gpt-4o" and prof.json_schema and prof.context_window == 65_536
    register_profile("deepseek-chat", like="deepseek-reasoner")
    assert get_profile("deepseek-chat").replay_reasoning
    assert unregister_profile("deepseek-chat")
    assert not get_profile("deepseek-chat").replay_reasoning


def test_register_again_replaces_and_newest_wins():
    register_profile("acme-*", context_window=1000)
    register_profile("acme-*", context_window=2000)
    assert get_profile("acme-1").context_window == 2000
    register_profile("acme-1*", context_window=3000)
    assert get_profile("acme-1").context_window == 3000
    assert [p.name_pattern for p in list_profiles()[:2]] == ["acme-1*", "acme-*"]


def test_register_profile_rejects_bad_input():
    with pytest.raises(ConfigurationError, match="valid keys"):
        register_profile("x-*", windows=3)
    with pytest.raises(ConfigurationError):
        register_profile("  ")
    with pytest.raises(ConfigurationError, match="max_tokens_param"):
        register_profile("x-*", max_tokens_param="tokens")
    assert not unregister_profile("never-registered")


# ---------------------------------------------------------------- the table itself


def _minimal_instance(glob: str) -> str:
    """The shortest name a glob matches: ``*`` -> nothing, ``?`` -> a letter, ``[ab]`` -> ``a``."""
    return re.sub(r"\[!?(.)[^\]]*\]", r"\1", glob).replace("*", "").replace("?", "x")


def test_no_row_is_shadowed_by_an_earlier_row():
    """Each alternative of each row must be reachable: its shortest name resolves to that row."""
    assert not profiles._user_rows
    rows = list_profiles()
    for index, prof in enumerate(rows):
        for glob in prof.name_pattern.split("|"):
            sample = _minimal_instance(glob)
            got_index, got = profiles._match(sample)
            assert got_index == index, f"{glob!r} (row {index}) is shadowed by {got.name_pattern!r} for {sample!r}"


def test_shadow_check_detects_a_shadowed_row():
    register_profile("zz-*")
    register_profile("zz-special*")  # newest first: reachable
    assert profiles._match("zz-special")[1].name_pattern == "zz-special*"
    register_profile("zz-*")  # re-registered, so now first: shadows zz-special*
    assert profiles._match(_minimal_instance("zz-special*"))[1].name_pattern == "zz-*"


def test_table_rows_are_well_formed():
    seen = set()
    for pattern, fields in _profile_table.ROWS:
        assert pattern == pattern.lower() and "/" not in pattern and " " not in pattern, pattern
        assert pattern not in seen, f"duplicate pattern {pattern}"
        seen.add(pattern)
        assert "family" in fields and "known" not in fields and "suffix_effort" not in fields, pattern
    for prof in list_profiles():
        where = prof.name_pattern
        assert prof.known
        method = prof.structured_output_method
        supported = {
            "json_schema": prof.json_schema, "function_calling": prof.tool_calling, "json_mode": prof.json_mode
        }
        assert supported[method] or not any(supported.values()), f"{where}: default {method} unsupported"
        assert prof.reasoning_effort == bool(prof.reasoning_efforts), where
        assert set(prof.reasoning_efforts) <= set(REASONING_EFFORTS), where
        if prof.embedding:
            assert prof.embedding_dimensions and not prof.chat and not prof.tool_calling, where
        elif prof.rerank:
            assert not prof.chat and not prof.tool_calling and prof.max_output_tokens == 0, where
            assert prof.embedding_dimensions is None and prof.context_window > 0, where
        else:
            assert prof.embedding_dimensions is None and not prof.dimensions_configurable, where
            assert 0 < prof.max_output_tokens <= prof.context_window, where
        if prof.parallel_tool_calls or prof.tool_choice:
            assert prof.tool_calling or not prof.chat, where
        if prof.max_tokens_param == "max_completion_tokens":
            assert prof.family in ("gpt-5", "o-series"), where


def test_list_profiles_is_in_lookup_order():
    rows = list_profiles()
    assert len(rows) == len(_profile_table.ROWS)
    assert all(isinstance(p, ModelProfile) for p in rows)
    assert rows[0].name_pattern == _profile_table.ROWS[0][0]


@pytest.mark.parametrize(
    "name,family",
    [("bge-reranker-v2-m3", "bge-reranker"), ("BAAI/bge-reranker-v2-m3", "bge-reranker"),
     ("jina-reranker-v2-base-multilingual", "jina-reranker"), ("gte-rerank-v2", "gte-rerank"),
     ("Qwen/Qwen3-Reranker-8B", "qwen-reranker"), ("rerank-v3.5", "cohere-rerank"),
     ("netease-youdao/bce-reranker-base_v1", "bce-reranker")],
)  # fmt: skip
def test_rerank_models_have_the_rerank_kind(name, family):
    prof = get_profile(name)
    assert (prof.family, prof.rerank, prof.chat, prof.embedding) == (family, True, False, False)


def test_rerank_batch_limits_are_data_and_unknown_rerankers_still_resolve():
    assert get_profile("gte-rerank-v2").max_documents == 500
    assert get_profile("bge-reranker-v2-m3").max_documents is None
    unknown = get_profile("my-own-reranker")
    assert not unknown.known and not unknown.rerank and unknown.max_documents is None
    with pytest.raises(ConfigurationError, match="max_documents"):
        get_profile("bge-reranker-v2-m3", {"max_documents": 0})
