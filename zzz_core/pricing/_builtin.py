"""Vendor list prices: the last source, used when no override, file or gateway price names a model.

These are the model vendors' own published prices, NOT what a relay charges: 智增增
and new-api sites set their own prices (new-api's are read from its ``/api/pricing``;
give 智增增's in a ``ZZZ_PRICES`` file).  Every row names its source page and the date
the price took effect.  A model whose list price is not known for sure has no row: its
cost is ``None`` with a warning, never a guess.  The rows were transcribed from the
pages named; this project cannot re-check them automatically (tests never touch the
network), so a row whose date is old may be out of date: override it with ``prices=``
or ``ZZZ_PRICES``.

Columns: pattern, input, cached input (None: no cache discount listed), output — per
1M tokens — currency, source, effective date.
"""

from __future__ import annotations

from .table import Price

__all__ = ["BUILTIN_PRICES"]

_OPENAI = "https://openai.com/api/pricing/"
_ANTHROPIC = "https://docs.anthropic.com/en/docs/about-claude/pricing"
_DEEPSEEK = "https://api-docs.deepseek.com/zh-cn/quick_start/pricing"
_DASHSCOPE = "https://help.aliyun.com/zh/model-studio/models"
_ZAI = "https://docs.z.ai/guides/overview/pricing"
_MOONSHOT = "https://platform.moonshot.cn/docs/pricing/chat"

_ROWS: tuple[tuple[str, float, float | None, float, str, str, str], ...] = (
    # OpenAI, USD (cached input: the prompt-caching discount, launched 2024-10-01)
    ("gpt-4o", 2.50, 1.25, 10.00, "USD", _OPENAI, "2024-10-01"),
    ("gpt-4o-mini", 0.15, 0.075, 0.60, "USD", _OPENAI, "2024-10-01"),
    ("gpt-4.1", 2.00, 0.50, 8.00, "USD", _OPENAI, "2025-04-14"),
    ("gpt-4.1-mini", 0.40, 0.10, 1.60, "USD", _OPENAI, "2025-04-14"),
    ("gpt-4.1-nano", 0.10, 0.025, 0.40, "USD", _OPENAI, "2025-04-14"),
    ("o3-mini", 1.10, 0.55, 4.40, "USD", _OPENAI, "2025-01-31"),
    ("o4-mini", 1.10, 0.275, 4.40, "USD", _OPENAI, "2025-04-16"),
    ("o3", 2.00, 0.50, 8.00, "USD", _OPENAI, "2025-06-10"),
    ("gpt-5", 1.25, 0.125, 10.00, "USD", _OPENAI, "2025-08-07"),
    ("gpt-5-mini", 0.25, 0.025, 2.00, "USD", _OPENAI, "2025-08-07"),
    ("gpt-5-nano", 0.05, 0.005, 0.40, "USD", _OPENAI, "2025-08-07"),
    ("gpt-3.5-turbo-instruct", 1.50, None, 2.00, "USD", _OPENAI, "2023-09-18"),
    ("text-embedding-3-small", 0.02, None, 0.0, "USD", _OPENAI, "2024-01-25"),
    ("text-embedding-3-large", 0.13, None, 0.0, "USD", _OPENAI, "2024-01-25"),
    ("text-embedding-ada-002", 0.10, None, 0.0, "USD", _OPENAI, "2024-01-25"),
    # Anthropic, USD; prompts up to 200K tokens; cached input = cache reads (0.1x)
    ("claude-sonnet-4-5", 3.00, 0.30, 15.00, "USD", _ANTHROPIC, "2025-09-29"),
    ("claude-sonnet-4-5-2025*", 3.00, 0.30, 15.00, "USD", _ANTHROPIC, "2025-09-29"),
    ("claude-sonnet-4-2025*", 3.00, 0.30, 15.00, "USD", _ANTHROPIC, "2025-05-22"),
    ("claude-haiku-4-5", 1.00, 0.10, 5.00, "USD", _ANTHROPIC, "2025-10-15"),
    ("claude-haiku-4-5-2025*", 1.00, 0.10, 5.00, "USD", _ANTHROPIC, "2025-10-15"),
    ("claude-opus-4-1", 15.00, 1.50, 75.00, "USD", _ANTHROPIC, "2025-08-05"),
    ("claude-opus-4-1-2025*", 15.00, 1.50, 75.00, "USD", _ANTHROPIC, "2025-08-05"),
    ("claude-3-5-haiku-2024*", 0.80, 0.08, 4.00, "USD", _ANTHROPIC, "2024-11-04"),
    # DeepSeek, CNY (V3.2 prices; cached input = 缓存命中)
    ("deepseek-chat", 2.00, 0.20, 3.00, "CNY", _DEEPSEEK, "2025-09-29"),
    ("deepseek-reasoner", 2.00, 0.20, 3.00, "CNY", _DEEPSEEK, "2025-09-29"),
    # Alibaba DashScope (China mainland), CNY; no cache discount listed here
    ("qwen-max", 2.40, None, 9.60, "CNY", _DASHSCOPE, "2025-01-25"),
    ("qwen-max-2025-01-25", 2.40, None, 9.60, "CNY", _DASHSCOPE, "2025-01-25"),
    # Zhipu via Z.ai (international), USD; cached input = cached input tokens
    ("glm-4.6", 0.60, 0.11, 2.20, "USD", _ZAI, "2025-09-30"),
    ("glm-4.5", 0.60, 0.11, 2.20, "USD", _ZAI, "2025-07-28"),
    ("glm-4.5-air", 0.20, 0.03, 1.10, "USD", _ZAI, "2025-07-28"),
    # Moonshot, CNY; cached input = 缓存命中
    ("kimi-k2-0905-preview", 4.00, 1.00, 16.00, "CNY", _MOONSHOT, "2025-09-05"),
    ("kimi-k2-0711-preview", 4.00, 1.00, 16.00, "CNY", _MOONSHOT, "2025-07-11"),
)

BUILTIN_PRICES: tuple[Price, ...] = tuple(
    Price(pattern=p, input=i, cached_input=c, output=o, currency=cur, source=f"list price {src} ({day})", as_of=day)
    for p, i, c, o, cur, src, day in _ROWS
)
