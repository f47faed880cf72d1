"""Deterministic answer synthesis: grounded text and schema-valid JSON.

Nothing here is random: the same request always gets the same answer, so tests can
assert on it.  The text answer to the last user message is the sentence of the rest of
the conversation (system prompt, earlier turns, tool results) that shares the most
content words with it, which makes a RAG demo answer from its retrieved context.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

__all__ = [
    "TokenCount",
    "completion_logprobs",
    "count_tokens",
    "finish_text",
    "grounded_answer",
    "is_reasoning_model",
    "logprob_units",
    "message_text",
    "result_sentence",
    "sentences",
    "stops",
    "synthesize",
    "terms",
    "truncate_tokens",
]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[A-Za-z0-9_']+|[{_CJK}]")
_UNIT_RE = re.compile(rf"[{_CJK}][^\S\n]*|[^\s{_CJK}]+\s*|\s+")
_SENTENCE_RE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_QUOTED_RE = re.compile(r"\"([^\"]+)\"|'([^']{2,})'|“([^”]+)”|「([^」]+)」|‘([^’]+)’")
_CAPITAL_RE = re.compile(r"\b[A-Z][a-zA-Z\-]+(?:\s+[A-Z][a-zA-Z\-]+)*")
_CJK_CITY_RE = re.compile(rf"([{_CJK}]{{2,3}}?)(?:市|的天气|天气|的气温)")

STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i in is it its
    me my of on or our please s she should so than that the their them then there these they this to
    tell us was we were what when where which who why will with would you your about into any just
    的 了 是 在 和 有 我 你 他 她 它 们 这 那 吗 呢 吧 啊 个 也 就 都 与 及 请 么 什 怎 样 为 一 不 人
    """.split()
)
_NOT_NAMES = STOPWORDS | frozenset(
    "call use please find get give show tell look check compute calculate send create book search run "
    "make add list fetch i i'm it's hi hello thanks".split()
)
_CITIES = (
    "北京 上海 广州 深圳 杭州 成都 南京 武汉 西安 重庆 天津 苏州 长沙 郑州 青岛 厦门 昆明 大连 沈阳 "
    "哈尔滨 济南 合肥 福州 南昌 香港 台北 拉萨 乌鲁木齐"
).split()
_REASONING_MARKERS = ("reasoner", "-r1", "r1-", "thinking", "qwq")
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "deepseek-reasoner")


def is_reasoning_model(model: str) -> bool:
    """Name heuristic for models that return reasoning text."""
    m = model.lower()
    if m.endswith("-nothinking"):
        return False
    return m.startswith(_REASONING_PREFIXES) or any(k in m for k in _REASONING_MARKERS)


def message_text(content: Any) -> str:
    """Text of a message ``content``: a string or a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text") or "" if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def terms(text: str) -> set[str]:
    """The content words of ``text`` (lowercased, no stopwords; CJK characters one by one)."""
    return {w for w in (t.lower() for t in _WORD_RE.findall(text)) if w not in STOPWORDS}


def sentences(text: str) -> list[str]:
    """The non-empty sentences (and lines) of ``text``, stripped."""
    return [s for s in (m.strip() for m in _SENTENCE_RE.findall(text)) if s]


def result_sentence(name: str, content: str) -> str:
    """How a text answer reports a tool result."""
    return f"The result of {name} is {content}."


class TokenCount:
    """智增增's documented estimate: CJK characters + words * 1.3."""

    @staticmethod
    def of(text: str) -> int:
        if not text:
            return 0
        cjk = words = 0
        for t in _WORD_RE.findall(text):
            if len(t) == 1 and t >= "\u3400":
                cjk += 1
            else:
                words += 1
        return max(1, cjk + round(words * 1.3))


count_tokens = TokenCount.of


def truncate_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut ``text`` to about ``max_tokens`` (CJK char = 1, word = 1.3); return (text, cut)."""
    if count_tokens(text) <= max_tokens:
        return text, False
    out: list[str] = []
    cost = 0.0
    for unit in _UNIT_RE.findall(text):
        if not unit.strip():
            out.append(unit)
            continue
        step = 1.0 if unit[0] >= "\u3400" else 1.3
        if round(cost + step) > max_tokens:
            break
        cost += step
        out.append(unit)
    return "".join(out).rstrip(), True


def stops(stop: Any) -> list[str]:
    """The ``stop`` parameter as a list of non-empty strings."""
    return [stop] if isinstance(stop, str) and stop else [s for s in stop or [] if isinstance(s, str) and s]


def finish_text(text: str, stop: list[str], max_tokens: int | None) -> tuple[str, str]:
    """Apply ``stop`` strings and ``max_tokens``; return (text, finish_reason)."""
    finish = "stop"
    cuts = [text.find(s) for s in stop if s in text]
    if cuts:
        text = text[: min(cuts)]
    if max_tokens is not None:
        text, cut = truncate_tokens(text, max_tokens)
        finish = "length" if cut else finish
    return text, finish


def logprob_units(text: str, top: int) -> list[dict[str, Any]]:
    """Plausible ``logprobs.content`` entries (one per word or CJK character)."""
    out = []
    for k, unit in enumerate(_UNIT_RE.findall(text)):
        lp = -round(0.05 * (k % 7 + 1) * (1 + len(unit) % 3), 4)
        alts = [unit, unit.strip().upper() or " ", unit.strip() + "s", "the", "a"][: max(top, 0)]
        entry: dict[str, Any] = {"token": unit, "logprob": lp, "bytes": list(unit.encode())}
        entry["top_logprobs"] = [
            {"token": t, "logprob": round(lp - 1.5 * j, 4), "bytes": list(t.encode())} for j, t in enumerate(alts)
        ]
        out.append(entry)
    return out


def completion_logprobs(text: str, top: int, offset: int = 0) -> dict[str, Any]:
    """The legacy completions ``logprobs`` object for ``text`` starting at ``offset``."""
    units = logprob_units(text, top)
    return {
        "tokens": [u["token"] for u in units],
        "token_logprobs": [u["logprob"] for u in units],
        "top_logprobs": [{t["token"]: t["logprob"] for t in u["top_logprobs"]} for u in units],
        "text_offset": list(itertools.accumulate([offset] + [len(u["token"]) for u in units[:-1]])) if units else [],
    }


def grounded_answer(question: str, context: list[str]) -> str:
    """The context sentence sharing most content words with ``question``."""
    q = terms(question)
    best, best_score = "", 0
    if q:
        for text in context:
            for sentence in _SENTENCE_RE.findall(text):
                s = sentence.strip()
                if not s or s == question.strip():
                    continue
                score = len(q & terms(s))
                if score > best_score:
                    best, best_score = s, score
    if best_score:
        return best
    return f"This is a simulated answer to: {question.strip()}"


# --------------------------------------------------------------------- JSON schema
class _Prompt:
    """What the synthesiser can pull out of the question, consumed in order."""

    def __init__(self, question: str) -> None:
        self.question = question
        self.numbers = [float(n) for n in _NUMBER_RE.findall(question)]
        self.quoted = [next(g for g in m.groups() if g) for m in _QUOTED_RE.finditer(question)]
        self.capitals = _capitals(question)
        self.cities = [c for c in _CITIES if c in question] + _CJK_CITY_RE.findall(question)

    def number(self) -> float | None:
        return self.numbers.pop(0) if self.numbers else None

    def after(self, name: str) -> str | None:
        for form in {name, name.replace("_", " ")}:
            m = re.search(rf"\b{re.escape(form)}\b\s*(?:[:=]|is|of)?\s*[\"']?([\w\-.@/]+)", self.question, re.I)
            if m and m.group(1).lower() not in STOPWORDS:
                return m.group(1)
        return None


def _capitals(text: str) -> list[str]:
    """Capitalised words and runs that may be names, best first.

    A single word that may be capitalised only because it starts a sentence goes after
    the others, the first word of the text (often an instruction: "Extract the person:
    Alice is 30") last of all.
    """
    names: list[str] = []
    initial: list[str] = []
    first: list[str] = []
    for m in _CAPITAL_RE.finditer(text):
        c = m.group()
        if c.split()[0].lower() in _NOT_NAMES:
            continue
        before = text[: m.start()].rstrip(" \t\"'“‘(")
        if " " in c or (before and before[-1] not in ".!?。！？\n"):
            names.append(c)
        else:
            (initial if before.strip() else first).append(c)
    return names + initial + first


_FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_FREE_TEXT_NAMES = ("query", "q", "question", "text", "prompt", "input", "search", "keywords", "content")


def synthesize(schema: Any, question: str = "") -> Any:
    """A value valid against a JSON schema, filled from ``question`` where possible.

    Handles types, ``enum``/``const``, nested objects and arrays, ``$defs``/``$ref``,
    ``anyOf``/``oneOf``/``allOf``, ``required``, ``default``, numeric bounds and string
    lengths.  ``pattern`` is not honoured.
    """
    root = schema if isinstance(schema, dict) else {}
    return _value(root, root, _Prompt(question), "", True)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        node: Any = root
        for part in str(schema["$ref"]).lstrip("#").strip("/").split("/"):
            if part:
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**node, **rest} if isinstance(node, dict) else rest
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _value(schema: Any, root: dict[str, Any], p: _Prompt, name: str, required: bool) -> Any:
    s = _resolve(schema, root)
    if "const" in s:
        return s["const"]
    if "enum" in s and s["enum"]:
        for option in s["enum"]:
            if isinstance(option, str) and option and re.search(rf"\b{re.escape(option)}\b", p.question, re.I):
                return option
        return s["default"] if s.get("default") in s["enum"] else s["enum"][0]
    for key in ("anyOf", "oneOf"):
        if isinstance(s.get(key), list) and s[key]:
            options = [o for o in s[key] if _resolve(o, root).get("type") != "null"] or s[key]
            base = {k: v for k, v in s.items() if k != key}
            return _value({**base, **_resolve(options[0], root)}, root, p, name, required)
    if isinstance(s.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
        for part in s["allOf"]:
            part = _resolve(part, root)
            props = {**merged.get("properties", {}), **part.get("properties", {})}
            req = list(dict.fromkeys(merged.get("required", []) + part.get("required", [])))
            merged = {**merged, **part, "properties": props, "required": req}
        return _value(merged, root, p, name, required)
    kind = s.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in s else "array" if "items" in s else "string"
    if kind == "object":
        return _object(s, root, p)
    if kind == "array":
        lo, hi = s.get("minItems", 1), s.get("maxItems")
        count = max(lo, 1) if hi is None else min(max(lo, 1), hi)
        return [_value(s.get("items", {}), root, p, name, True) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(s, kind, p)
    if kind == "boolean":
        return s["default"] if isinstance(s.get("default"), bool) else True
    if kind == "null":
        return None
    return _string(s, p, name)


def _object(s: dict[str, Any], root: dict[str, Any], p: _Prompt) -> dict[str, Any]:
    props = s.get("properties") or {}
    required = set(s.get("required") or [])
    out: dict[str, Any] = {}
    for key, sub in props.items():
        sub_r = _resolve(sub, root)
        if key in required:
            out[key] = _value(sub_r, root, p, key, True)
        elif "default" in sub_r:
            out[key] = sub_r["default"]
        elif _findable(sub_r, p, key):
            out[key] = _value(sub_r, root, p, key, False)
    return out


def _findable(s: dict[str, Any], p: _Prompt, name: str) -> bool:
    kind = s.get("type")
    if kind in ("integer", "number"):
        return bool(p.numbers)
    if kind == "string":
        return p.after(name) is not None or any(n in name.lower() for n in ("city", "location"))
    return False


def _number(s: dict[str, Any], kind: str, p: _Prompt) -> float | int:
    found = p.number()
    if found is None:
        default = s.get("default")
        found = float(default) if isinstance(default, (int, float)) and not isinstance(default, bool) else 1.0
    lo = s.get("minimum", s.get("exclusiveMinimum"))
    hi = s.get("maximum", s.get("exclusiveMaximum"))
    step = 1 if kind == "integer" else 0.5
    if isinstance(lo, (int, float)) and (found < lo or (found == lo and "exclusiveMinimum" in s)):
        found = lo + (step if "exclusiveMinimum" in s else 0)
    if isinstance(hi, (int, float)) and (found > hi or (found == hi and "exclusiveMaximum" in s)):
        found = hi - (step if "exclusiveMaximum" in s else 0)
    if kind == "integer":
        return int(found)
    return int(found) if float(found).is_integer() else found


def _string(s: dict[str, Any], p: _Prompt, name: str) -> str:
    lname = name.lower()
    if s.get("format") in _FORMATS:
        return _FORMATS[s["format"]]
    value: str | None = None
    if any(k in lname for k in ("city", "location", "place")):
        value = next(iter(p.cities), None) or next(iter(p.capitals), None)
    if value is None and p.quoted:
        value = p.quoted.pop(0)
    if value is None and name:
        value = p.after(name)
    if value is None and lname in _FREE_TEXT_NAMES and p.question.strip():
        value = p.question.strip()
    if value is None and (p.capitals or p.cities):
        value = (p.cities or p.capitals)[0]
    if value is None:
        default = s.get("default")
        value = default if isinstance(default, str) else "example"
    lo, hi = s.get("minLength", 0), s.get("maxLength")
    if len(value) < lo:
        value = value + "x" * (lo - len(value))
    if isinstance(hi, int):
        value = value[:hi]
    return value


def dumps(value: Any) -> str:
    """Compact JSON text as OpenAI sends it in ``arguments``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
