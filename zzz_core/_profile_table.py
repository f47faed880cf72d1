"""The built-in model table: what each model behind the relays can and cannot take.

This file is data only; :mod:`zzz_core.profiles` turns each row into a
:class:`~zzz_core.profiles.ModelProfile` once, at import.

Patterns
    Shell-style globs (``fnmatch``: ``*``, ``?``, ``[...]``), matched case-sensitively
    against the *normalized* name (lower-cased, vendor prefix and new-api suffixes
    removed, see :func:`zzz_core.profiles.get_profile`).  One row may carry several
    globs separated by ``|``.  Rows are tried in order and the **first match wins**,
    so a specific row must come before a broader one of the same family; a unit test
    fails when a row can never be reached because an earlier row shadows it.

Numbers
    Context windows and output caps are the vendors' published figures.  Where the
    figure differs between a model's snapshots or between upstreams a relay may route
    to, or where we are not sure, the row takes the *smaller* one and says so with
    ``# unsure:``.  ``embedding`` rows use ``context_window`` for the maximum input
    tokens and ``max_output_tokens=0``.

Capability flags are what works *through the relays* (智增增, new-api), which is
not always what the vendor's own API offers: e.g. Claude and Gemini rows say
``json_schema=False`` because the relays' conversion of a ``json_schema``
``response_format`` is not guaranteed (gateway-facts 2.6), so their structured
output defaults to function calling.
"""

from __future__ import annotations

from typing import Any

Row = tuple[str, dict[str, Any]]

# The rows below are a table: one model family per line reads (and diffs) better than
# ruff format's one-argument-per-line layout, which would also double the file's length.
# fmt: off

#: Families whose names take new-api's ``-high``/``-low``/... suffix as a reasoning
#: effort (new-api ``parseReasoningEffortFromModelSuffix``: OpenAI o-series, gpt-5).
EFFORT_SUFFIX_FAMILIES = frozenset({"o-series", "gpt-5"})

#: Sampling knobs OpenAI reasoning models reject with a 400 ("Unsupported parameter").
_REASONING_REJECTS = frozenset(
    {"temperature", "top_p", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "logit_bias", "n"}
)
# unsure: `stop` is reported rejected by o3/o4-mini/gpt-5 ("Unsupported parameter: 'stop'");
# we drop it (with the usual warning) rather than risk the 400.
_O_REJECTS = _REASONING_REJECTS | {"stop"}

_EMBED: dict[str, Any] = dict(
    chat=False, embedding=True, tool_calling=False, tool_choice=False, max_output_tokens=0, stream_usage=False
)
# Rerank (cross-encoder) models, served on /v1/rerank; context_window is the longest
# query + document pair they read.
_RERANK: dict[str, Any] = dict(
    chat=False, rerank=True, tool_calling=False, tool_choice=False, max_output_tokens=0, stream_usage=False
)
_OPENAI: dict[str, Any] = dict(
    tool_calling=True, parallel_tool_calls=True, vision=True,
    json_mode=True, json_schema=True, structured_output_method="json_schema",
)
_GPT5: dict[str, Any] = dict(
    _OPENAI, family="gpt-5", context_window=400_000, max_output_tokens=128_000,
    reasoning=True, reasoning_effort=True, max_tokens_param="max_completion_tokens",
    unsupported_params=_O_REJECTS,
)
_O: dict[str, Any] = dict(
    _OPENAI, family="o-series", context_window=200_000, max_output_tokens=100_000,
    reasoning=True, reasoning_effort=True, reasoning_efforts=("low", "medium", "high"),
    max_tokens_param="max_completion_tokens", unsupported_params=_O_REJECTS,
)
# o1-mini / o1-preview: no tools, no response_format, no reasoning_effort, no images.
_O1_EARLY: dict[str, Any] = dict(
    _O, tool_calling=False, tool_choice=False, parallel_tool_calls=False, vision=False,
    json_mode=False, json_schema=False, structured_output_method="function_calling",
    reasoning_effort=False, reasoning_efforts=(),
    unsupported_params=_O_REJECTS | {"parallel_tool_calls", "response_format"},
)
_CLAUDE: dict[str, Any] = dict(
    family="claude", context_window=200_000, tool_calling=True, parallel_tool_calls=True, vision=True,
)
# new-api turns reasoning_effort low/medium/high into a Claude thinking budget (3.7 and later).
_CLAUDE_THINKS: dict[str, Any] = dict(_CLAUDE, reasoning_effort=True, reasoning_efforts=("low", "medium", "high"))
# Gemini through new-api: json_object -> responseMimeType works; json_schema conversion is not
# guaranteed on every relay, so structured output defaults to function calling.
# Thinking on/off through new-api's model-name suffix (its Gemini ThinkingAdapter, wire-facts-2 §6).
_GEMINI: dict[str, Any] = dict(
    family="gemini", context_window=1_048_576, max_output_tokens=8192,
    tool_calling=True, parallel_tool_calls=True, vision=True, json_mode=True, thinking_switch="model_suffix",
)
# unsure: Gemini 3 takes thinkingLevel, which new-api derives from reasoning_effort.
_GEMINI_THINKS: dict[str, Any] = dict(
    _GEMINI, max_output_tokens=65_536, reasoning=True, reasoning_effort=True,
    reasoning_efforts=("low", "medium", "high"),
)
# DeepSeek, GLM and Kimi switch thinking with {"thinking": {"type": "enabled"|"disabled"}} (wire-facts-2 §6;
# unsure for Kimi: a third-party source).  Qwen on DashScope takes enable_thinking (+ thinking_budget),
# with thinking on only in streams.
_DEEPSEEK: dict[str, Any] = dict(
    family="deepseek", context_window=128_000, max_output_tokens=8192, json_mode=True, thinking_switch="thinking_type"
)
# DeepSeek reasoners ignore temperature/top_p/penalties (no error, so we leave them in) but
# answer 400 to logprobs/top_logprobs.
_DEEPSEEK_R: dict[str, Any] = dict(
    _DEEPSEEK, reasoning=True, unsupported_params=frozenset({"logprobs", "top_logprobs"})
)
_QWEN: dict[str, Any] = dict(
    family="qwen", context_window=131_072, max_output_tokens=8192, parallel_tool_calls=True, json_mode=True,
    thinking_switch="enable_thinking", thinking_stream_only=True,
)
_GLM: dict[str, Any] = dict(
    family="glm", context_window=128_000, max_output_tokens=4096, json_mode=True, thinking_switch="thinking_type"
)
# GLM-4.5+ think by default and, like DeepSeek, want reasoning_content back on tool-call turns.
_GLM_THINKS: dict[str, Any] = dict(_GLM, reasoning=True, replay_reasoning=True)
_KIMI: dict[str, Any] = dict(
    family="kimi", context_window=131_072, max_output_tokens=8192, json_mode=True, thinking_switch="thinking_type"
)


def _row(pattern: str, *bases: dict[str, Any], **fields: Any) -> Row:
    merged: dict[str, Any] = {}
    for base in bases:
        merged.update(base)
    merged.update(fields)
    return pattern, merged


ROWS: tuple[Row, ...] = (
    # ---- embeddings (first: their names overlap nothing, and they must beat family catch-alls)
    _row("text-embedding-3-small*", _EMBED, family="openai-embedding", context_window=8191,
         embedding_dimensions=1536, dimensions_configurable=True),
    _row("text-embedding-3-large*", _EMBED, family="openai-embedding", context_window=8191,
         embedding_dimensions=3072, dimensions_configurable=True),
    _row("text-embedding-ada-002*", _EMBED, family="openai-embedding", context_window=8191,
         embedding_dimensions=1536),
    # Qwen (DashScope): v1/v2 are fixed 1536; v3/v4 default 1024 and take `dimensions`.
    _row("text-embedding-v1*|text-embedding-v2*", _EMBED, family="qwen-embedding", context_window=2048,
         embedding_dimensions=1536),
    _row("text-embedding-v3*", _EMBED, family="qwen-embedding", context_window=8192,
         embedding_dimensions=1024, dimensions_configurable=True),
    _row("text-embedding-v4*", _EMBED, family="qwen-embedding", context_window=8192,
         embedding_dimensions=1024, dimensions_configurable=True),
    # Zhipu: embedding-2 is fixed 1024 (512-token inputs); embedding-3 defaults to 2048 and
    # takes `dimensions` (256/512/1024/2048).  unsure: embedding-3's input limit; 3072 is the
    # smaller of the figures published.
    _row("embedding-2*", _EMBED, family="glm-embedding", context_window=512, embedding_dimensions=1024),
    _row("embedding-3*", _EMBED, family="glm-embedding", context_window=3072,
         embedding_dimensions=2048, dimensions_configurable=True),
    _row("bge-m3*", _EMBED, family="bge", context_window=8192, embedding_dimensions=1024),
    _row("bge-large-*", _EMBED, family="bge", context_window=512, embedding_dimensions=1024),
    # unsure: whether every relay maps `dimensions` to Gemini's outputDimensionality (new-api does).
    _row("gemini-embedding*", _EMBED, family="gemini-embedding", context_window=2048,
         embedding_dimensions=3072, dimensions_configurable=True),
    # ---- rerank (before the family catch-alls: qwen3-reranker must not read as a Qwen chat model)
    # unsure: the pair lengths are the model cards'; a relay's upstream may truncate shorter.
    _row("bge-reranker-v2*|bge-reranker-v2.5*", _RERANK, family="bge-reranker", context_window=8192),
    _row("bge-reranker-*", _RERANK, family="bge-reranker", context_window=512),
    _row("jina-reranker-m0*", _RERANK, family="jina-reranker", context_window=10_240),
    _row("jina-reranker-*", _RERANK, family="jina-reranker", context_window=1024),
    # unsure: DashScope's text-rerank takes at most 500 documents per request; 4000-token pairs.
    _row("gte-rerank*", _RERANK, family="gte-rerank", context_window=4000, max_documents=500),
    _row("qwen3-reranker*", _RERANK, family="qwen-reranker", context_window=32_768),
    # Cohere recommends at most 1,000 documents per request.
    _row("rerank-*", _RERANK, family="cohere-rerank", context_window=4096, max_documents=1000),
    _row("bce-reranker*", _RERANK, family="bce-reranker", context_window=512),
    # ---- OpenAI completion-only
    _row("gpt-3.5-turbo-instruct*", family="gpt-3.5", chat=False, completion=True, tool_calling=False,
         tool_choice=False, context_window=4096, max_output_tokens=4096),
    _row("davinci-002*|babbage-002*", family="gpt-3", chat=False, completion=True, tool_calling=False,
         tool_choice=False, context_window=16_384, max_output_tokens=4096),
    # ---- OpenAI chat
    _row("gpt-3.5-turbo*", family="gpt-3.5", context_window=16_385, max_output_tokens=4096,
         parallel_tool_calls=True, json_mode=True),
    # chatgpt-4o-latest is the ChatGPT snapshot: no function calling, no structured outputs.
    _row("chatgpt-4o*", family="gpt-4o", context_window=128_000, max_output_tokens=16_384, vision=True,
         tool_calling=False, tool_choice=False, json_mode=True, structured_output_method="json_mode"),
    # Search-preview models: no tools, and they reject sampling knobs.
    _row("gpt-4o*-search*", family="gpt-4o", context_window=128_000, max_output_tokens=16_384,
         tool_calling=False, tool_choice=False, json_mode=False, json_schema=True,
         structured_output_method="json_schema", unsupported_params=_REASONING_REJECTS),
    # The first gpt-4o snapshot predates Structured Outputs and its 16k output.
    _row("gpt-4o-2024-05-13*", _OPENAI, family="gpt-4o", context_window=128_000, max_output_tokens=4096,
         json_schema=False, structured_output_method="function_calling"),
    _row("gpt-4o*", _OPENAI, family="gpt-4o", context_window=128_000, max_output_tokens=16_384),
    _row("gpt-4.1*", _OPENAI, family="gpt-4.1", context_window=1_047_576, max_output_tokens=32_768),
    _row("gpt-4.5*", _OPENAI, family="gpt-4.5", context_window=128_000, max_output_tokens=16_384),
    _row("gpt-4-turbo-preview*|gpt-4-1106-preview*|gpt-4-0125-preview*", family="gpt-4",
         context_window=128_000, max_output_tokens=4096, parallel_tool_calls=True, json_mode=True),
    _row("gpt-4-turbo*|gpt-4-*vision*", family="gpt-4", context_window=128_000, max_output_tokens=4096,
         parallel_tool_calls=True, json_mode=True, vision=True),
    _row("gpt-4-32k*", family="gpt-4", context_window=32_768, max_output_tokens=8192),
    # Output shares the 8k window with the prompt.
    _row("gpt-4|gpt-4-0613*|gpt-4-0314*", family="gpt-4", context_window=8192, max_output_tokens=8192),
    # ---- gpt-5: reasoning models, max_completion_tokens, no sampling knobs
    # unsure: gpt-5-chat-latest is not a reasoning model, but we still drop sampling knobs
    # for it (reports disagree on whether it accepts temperature).
    _row("gpt-5*-chat*", _GPT5, context_window=128_000, max_output_tokens=16_384,
         reasoning=False, reasoning_effort=False),
    # gpt-5-codex / gpt-5-pro are Responses-API-only at OpenAI; a relay may still convert them.
    _row("gpt-5|gpt-5-*", _GPT5, reasoning_efforts=("minimal", "low", "medium", "high")),
    _row("gpt-5.1*", _GPT5, reasoning_efforts=("none", "low", "medium", "high")),
    # 5.2 added xhigh; later 5.x are assumed to keep the 5.2 set.
    _row("gpt-5.*", _GPT5, reasoning_efforts=("none", "low", "medium", "high", "xhigh")),
    # ---- o-series
    _row("o1-mini*", _O1_EARLY, context_window=128_000, max_output_tokens=65_536),
    _row("o1-preview*", _O1_EARLY, context_window=128_000, max_output_tokens=32_768),
    # unsure: o1 and o3-mini answered 400 to `parallel_tool_calls` in public reports; o3/o4-mini accept it.
    _row("o1*", _O, parallel_tool_calls=False, unsupported_params=_O_REJECTS | {"parallel_tool_calls"}),
    _row("o3-mini*", _O, vision=False, parallel_tool_calls=False,
         unsupported_params=_O_REJECTS | {"parallel_tool_calls"}),
    _row("o3*|o4*", _O),
    _row("gpt-oss*", family="gpt-oss", context_window=131_072, max_output_tokens=32_768, reasoning=True,
         reasoning_effort=True, reasoning_efforts=("low", "medium", "high")),
    # ---- Claude (through the relays' Anthropic conversion; 200k context everywhere)
    _row("claude-3-haiku*|claude-3-opus*|claude-3-sonnet*", _CLAUDE, max_output_tokens=4096),
    # unsure: 3.5 Haiku launched text-only; marked without vision.
    _row("claude-3-5-haiku*|claude-3.5-haiku*", _CLAUDE, max_output_tokens=8192, vision=False),
    _row("claude-3-5-sonnet*|claude-3.5-sonnet*", _CLAUDE, max_output_tokens=8192),
    _row("claude-3-7-sonnet*|claude-3.7-sonnet*", _CLAUDE_THINKS, max_output_tokens=64_000),
    _row("claude-opus-4|claude-opus-4-0*|claude-opus-4-1*|claude-opus-4-2*|claude-opus-4.1*|claude-4-opus*",
         _CLAUDE_THINKS, max_output_tokens=32_000),
    _row("claude-sonnet-4*|claude-4-sonnet*|claude-haiku-4*|claude-opus-4-5*|claude-opus-4.5*",
         _CLAUDE_THINKS, max_output_tokens=64_000),
    # unsure: later Claude models (sonnet-5, ...) -- conservative output cap.
    _row("claude*", _CLAUDE_THINKS, max_output_tokens=8192),
    # ---- Gemini (1M context; 1.5 Pro 2M)
    _row("gemini-1.5-pro*", _GEMINI, context_window=2_097_152),
    _row("gemini-1.5*", _GEMINI),
    _row("gemini-2.0-flash-thinking*", _GEMINI, max_output_tokens=65_536, reasoning=True,
         tool_calling=False, tool_choice=False, parallel_tool_calls=False, structured_output_method="json_mode"),
    _row("gemini-2.0*", _GEMINI),
    # Flash-Lite does not think unless asked (reasoning_effort or -thinking).
    _row("gemini-2.5-flash-lite*", _GEMINI_THINKS, reasoning=False),
    _row("gemini-2.5*", _GEMINI_THINKS),
    _row("gemini-3*", _GEMINI_THINKS),
    # unsure: gemini-pro (1.0) and unknown later names: the 1.0 window, conservatively.
    _row("gemini*", _GEMINI, context_window=32_768, vision=False),
    # ---- DeepSeek
    # deepseek-reasoner (V3.2 thinking) takes tools and needs reasoning_content replayed on
    # tool-call turns ("Missing reasoning_content field").  unsure: output cap (32k default,
    # 64k max) -- the default.
    _row("deepseek-reasoner*", _DEEPSEEK_R, max_output_tokens=32_768, replay_reasoning=True),
    # R1 distills served by relays: 32k windows, no tools.
    _row("deepseek-r1-distill*", _DEEPSEEK_R, context_window=32_768, json_mode=False, tool_calling=False,
         tool_choice=False),
    # R1-0528 added tools; the R1 API answered 400 to reasoning_content in input, so no replay.
    _row("deepseek-r1-0528*|deepseek-r1-250528*", _DEEPSEEK_R, context_window=65_536),
    _row("deepseek-r1*", _DEEPSEEK_R, context_window=65_536, json_mode=False, tool_calling=False,
         tool_choice=False),
    # V3.1/V3.2 are hybrid: thinking is off unless asked (-thinking suffix or `thinking` in
    # extra_body); when on, reasoning_content must come back on tool-call turns.  Keeping it is
    # harmless when off (there is none to keep).
    _row("deepseek-v3.1*|deepseek-v3-1|deepseek-v3-1-*|deepseek-v3.2*|deepseek-v3-2|deepseek-v3-2-*",
         _DEEPSEEK, replay_reasoning=True),
    _row("deepseek-chat*", _DEEPSEEK),
    # unsure: the first V3 snapshots: 64k on DeepSeek's API, 128k elsewhere -- the smaller.
    _row("deepseek-v3*", _DEEPSEEK, context_window=65_536),
    _row("deepseek*", _DEEPSEEK, context_window=65_536, max_output_tokens=4096, json_mode=False),
    # ---- Qwen (DashScope compatible mode; parallel_tool_calls is a documented DashScope param)
    # QwQ: reasoning only; DashScope serves it streaming-only.
    _row("qwq*|qwen-qwq*", _QWEN, reasoning=True, json_mode=False, parallel_tool_calls=False),
    _row("qwen3-coder-plus*", _QWEN, context_window=1_000_000, max_output_tokens=65_536),
    _row("qwen3-coder*", _QWEN, context_window=262_144, max_output_tokens=65_536),
    _row("qwen3-vl*", _QWEN, context_window=262_144, max_output_tokens=32_768, vision=True, json_mode=False),
    # unsure: tool calling on the older Qwen-VL models differs by snapshot.
    _row("qwen-vl*|qwen2.5-vl*|qwen2-vl*", _QWEN, context_window=32_768, vision=True, json_mode=False,
         parallel_tool_calls=False),
    _row("qwen3-max*", _QWEN, context_window=262_144, max_output_tokens=65_536),
    _row("qwen3-*instruct*", _QWEN),
    # Open Qwen3 models think by default on DashScope (enable_thinking) and then refuse
    # response_format; unsure: other upstreams default it off.
    _row("qwen3*", _QWEN, reasoning=True, json_mode=False),
    _row("qwen-max*", _QWEN, context_window=32_768),
    _row("qwen-plus*", _QWEN),
    # unsure: qwen-turbo-latest has 1M; older snapshots 128k -- the smaller.
    _row("qwen-turbo*", _QWEN),
    # unsure: qwen-long is document-oriented; function calling is not documented for it.
    _row("qwen-long*", _QWEN, context_window=10_000_000, tool_calling=False, tool_choice=False,
         parallel_tool_calls=False, structured_output_method="json_mode"),
    _row("qwen-coder*|qwen2.5-coder*", _QWEN),
    # unsure: open Qwen2/2.5 are 32k natively (128k with YaRN on some hosts) -- the smaller.
    _row("qwen2*", _QWEN, context_window=32_768),
    _row("qwen*", _QWEN, context_window=32_768, parallel_tool_calls=False),
    # ---- GLM (Zhipu)
    _row("glm-4v*", _GLM, context_window=8192, max_output_tokens=1024, vision=True, tool_calling=False,
         tool_choice=False, json_mode=False),
    # unsure: output caps of the GLM vision-thinking models -- conservative.
    _row("glm-4.1v*", _GLM_THINKS, context_window=65_536, max_output_tokens=8192, vision=True,
         tool_calling=False, tool_choice=False, json_mode=False, replay_reasoning=False),
    _row("glm-4.5v*", _GLM_THINKS, context_window=65_536, max_output_tokens=16_384, vision=True),
    # unsure: GLM-Z1 function calling is not documented.
    _row("glm-z1*", _GLM, context_window=32_768, max_output_tokens=16_384, reasoning=True,
         tool_calling=False, tool_choice=False, json_mode=False),
    _row("glm-4.5*", _GLM_THINKS, context_window=131_072, max_output_tokens=98_304),
    _row("glm-4.6*|glm-4.7*", _GLM_THINKS, context_window=200_000, max_output_tokens=128_000),
    _row("glm-4-long*", _GLM, context_window=1_000_000),
    _row("glm-4-airx*", _GLM, context_window=8192),
    _row("glm-4*|glm-3-turbo*", _GLM),
    # unsure: later GLM names -- conservative.
    _row("glm*", _GLM, context_window=32_768, json_mode=False),
    # ---- Kimi / Moonshot (output is bounded by the window; 4096 is our conservative cap)
    _row("moonshot-v1-8k-vision*", _KIMI, context_window=8192, max_output_tokens=4096, vision=True),
    _row("moonshot-v1-32k-vision*", _KIMI, context_window=32_768, max_output_tokens=4096, vision=True),
    _row("moonshot-v1-128k-vision*", _KIMI, max_output_tokens=4096, vision=True),
    _row("moonshot-v1-8k*", _KIMI, context_window=8192, max_output_tokens=4096),
    _row("moonshot-v1-32k*", _KIMI, context_window=32_768, max_output_tokens=4096),
    _row("moonshot-v1-128k*|moonshot-v1-auto*", _KIMI, max_output_tokens=4096),
    # kimi-k2-thinking streams reasoning_content and wants it back on tool-call turns.
    # unsure: output cap -- Moonshot recommends max_tokens >= 16000 for it.
    _row("kimi-k2-thinking*", _KIMI, context_window=262_144, max_output_tokens=16_384, reasoning=True,
         replay_reasoning=True, json_mode=False),
    _row("kimi-k2-0905*|kimi-k2-turbo*", _KIMI, context_window=262_144),
    _row("kimi-k2*", _KIMI),
    _row("kimi-latest*", _KIMI, vision=True),
    _row("kimi*|moonshot*", _KIMI, max_output_tokens=4096),
)

#: What an unknown model gets: a chat model that may take tools, nothing more assumed.
FALLBACK: dict[str, Any] = dict(
    name_pattern="*", family="unknown", context_window=32_768, max_output_tokens=4096,
    chat=True, tool_calling=True, parallel_tool_calls=False, json_mode=False, json_schema=False,
    structured_output_method="function_calling", known=False,
)
# fmt: on
