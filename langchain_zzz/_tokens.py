"""An offline token estimate, so ``get_num_tokens*`` never downloads a tokenizer.

LangChain's default counts with a GPT-2 tokenizer from ``transformers`` and
ChatOpenAI with ``tiktoken``, whose BPE files come from a blob store many
networks cannot reach; and neither is the tokenizer of a Qwen, GLM or DeepSeek
model behind the relay anyway.  This is the estimate 智增增 documents for its
own billing preview: one token per CJK character plus 1.3 per other word
(a run of letters, digits, ``_`` or ``'``), each remaining punctuation mark
counting as a word.  A message adds 3 tokens of framing and its role; a
conversation adds 3 for the reply's priming.  Expect it within about ±20% of a
real tokenizer on ordinary prose, which is what trimming and budgeting need.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_UNITS = re.compile(rf"[{_CJK}]|[A-Za-z0-9_']+|[^\s{_CJK}A-Za-z0-9_']")
MESSAGE_OVERHEAD = 3
REPLY_PRIMING = 3


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text``: CJK characters + 1.3 per word (rounded)."""
    if not text:
        return 0
    cjk = words = 0
    for unit in _UNITS.findall(text):
        if len(unit) == 1 and re.match(rf"[{_CJK}]", unit):
            cjk += 1
        else:
            words += 1
    return max(1, cjk + round(words * 1.3))


IMAGE_TOKENS = 85
"""What an image part adds (OpenAI's price of a low-detail image)."""


def _content_tokens(content: str | list[Any]) -> int:
    if isinstance(content, str):
        return estimate_tokens(content)
    total = 0
    for block in content:
        if isinstance(block, str):
            total += estimate_tokens(block)
        elif isinstance(block, dict):
            if isinstance(block.get("text"), str):
                total += estimate_tokens(block["text"])
            elif block.get("type") in ("image_url", "image"):
                total += IMAGE_TOKENS
    return total


def estimate_messages(messages: Sequence[BaseMessage], tools: Sequence[Any] | None = None) -> int:
    """Estimated prompt tokens of a conversation (and its tool definitions)."""
    total = REPLY_PRIMING
    for msg in messages:
        total += MESSAGE_OVERHEAD + estimate_tokens(msg.type) + _content_tokens(msg.content)
        if isinstance(msg, AIMessage):
            for call in msg.tool_calls:
                total += estimate_tokens(call["name"]) + estimate_tokens(json.dumps(call["args"], ensure_ascii=False))
    for tool in tools or ():
        total += estimate_tokens(json.dumps(tool, ensure_ascii=False, default=str))
    return total
