"""Which tools an assistant turn calls, and with which arguments.

Under ``tool_choice="auto"`` a tool is called when the last user message mentions it:
by name ("use get_weather"), by a word of its name ("What is the weather in Oslo?" ~
``get_weather``; plurals and word forms tolerated) or, only when no tool is mentioned
either way, by a content word of its description.  Arguments are synthesised from the
tool's JSON schema with values taken from the question.
"""

from __future__ import annotations

import re
from typing import Any

from .answers import _CJK, STOPWORDS, synthesize

__all__ = [
    "bad_function_name",
    "choose_tools",
    "split_name",
    "stem",
    "tool_call_arguments",
    "tool_description",
    "tool_name",
]

_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NAME_PART_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ASCII_WORD_RE = re.compile(r"[A-Za-z][A-Za-z']*")
_CJK_PAIR_RE = re.compile(rf"(?=([{_CJK}]{{2}}))")
_WEAK_WORDS = frozenset(
    """tool tools function functions using value values input inputs output outputs result results return returns
    given call calls find fetch make create list show give tell check look send want need know help like
    some more other each also only very well much many""".split()
)
"""Words too generic to tie a question to a tool."""


def tool_name(tool: dict[str, Any]) -> str:
    fn = tool.get("function")
    if not isinstance(fn, dict):
        fn = tool
    return str(fn.get("name", ""))


def tool_description(tool: dict[str, Any]) -> str:
    fn = tool.get("function")
    if not isinstance(fn, dict):
        fn = tool
    return str(fn.get("description") or "")


def stem(word: str) -> str:
    """``word`` lowercased without a plural ending ("cities" -> "city", "boxes" -> "box")."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def split_name(name: str) -> list[str]:
    """The words of an identifier: ``get_weather`` / ``getWeather`` / ``get-weather`` -> get, weather."""
    return [w.lower() for w in _NAME_PART_RE.findall(name)]


def _alike(a: str, b: str) -> bool:
    """Two stems are the same word, or forms of one ("multiply" ~ "multiplication")."""
    if a == b:
        return True
    n = min(len(a), len(b))
    if n < 5:
        return False
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k >= n - 1


def _question_words(question: str) -> list[tuple[int, str]]:
    """(position, stem) of the words of ``question`` that may name a tool."""
    out = []
    for m in _ASCII_WORD_RE.finditer(question):
        w = m.group().lower()
        if len(w) >= 4 and w not in STOPWORDS and w not in _WEAK_WORDS:
            out.append((m.start(), stem(w)))
    for m in _CJK_PAIR_RE.finditer(question):
        pair = m.group(1)
        if not (set(pair) & STOPWORDS):
            out.append((m.start(), pair))
    return out


def _mentions(question: str, tool: dict[str, Any]) -> tuple[int, int] | None:
    """(strength, position) of the question's mention of ``tool``, None when absent.

    Strength 3: the name (or the name with ``_`` as spaces) appears; 2: a content word of
    the question is a word of the name; 1: it is a content word of the description.
    """
    name = tool_name(tool)
    q = question.lower()
    for form in (name.lower(), name.lower().replace("_", " ")):
        pos = q.find(form) if form else -1
        if pos >= 0:
            return 3, pos
    words = _question_words(question)
    name_words = [stem(w) for w in split_name(name) if len(w) >= 4 and w not in _WEAK_WORDS]
    for pos, w in words:
        if any(_alike(w, n) for n in name_words):
            return 2, pos
    desc = tool_description(tool)
    if desc:
        desc_words = {s for _, s in _question_words(desc)}
        for pos, w in words:
            if any(_alike(w, d) for d in desc_words):
                return 1, pos
    return None


def choose_tools(
    tools: list[dict[str, Any]],
    tool_choice: Any,
    parallel: bool,
    question: str,
    answered: set[str],
) -> list[dict[str, Any]]:
    """The tools to call in this assistant turn ([] means answer in text).

    ``answered`` are the tool names that already have a ``tool`` result after the last
    user message; they are not called again.  Under ``"auto"`` a tool is mentioned when
    its name appears in the question, when a content word of the question is a word of
    its name ("weather" ~ ``get_weather``), or, only if no tool is mentioned either way,
    when such a word is a content word of its description.  First mentioned, first called.
    """
    if not tools or tool_choice == "none":
        return []
    by_name = {tool_name(t): t for t in tools}
    if isinstance(tool_choice, dict):
        name = tool_name(tool_choice)
        tool = by_name.get(name)
        return [tool] if tool is not None and name not in answered else []
    found = [(hit, i, t) for i, t in enumerate(tools) if (hit := _mentions(question, t)) is not None]
    floor = 2 if any(hit[0] >= 2 for hit, _, _ in found) else 1
    mentioned = sorted((hit[1], i, t) for hit, i, t in found if hit[0] >= floor)
    todo = [t for _, _, t in mentioned if tool_name(t) not in answered]
    if tool_choice == "required" and not todo and not answered:
        todo = [tools[0]]
    return todo if parallel else todo[:1]


def tool_call_arguments(tool: dict[str, Any], question: str) -> dict[str, Any]:
    """Arguments for a tool, valid against its ``parameters`` schema."""
    fn = tool.get("function")
    if not isinstance(fn, dict):
        fn = tool
    schema = fn.get("parameters") or {"type": "object", "properties": {}}
    value = synthesize(schema, question)
    return value if isinstance(value, dict) else {}


def bad_function_name(listed: Any) -> str | None:
    """OpenAI's 400 message for the first tool whose function name it refuses, or None."""
    for i, tool in enumerate(listed if isinstance(listed, list) else []):
        name = (tool.get("function") or {}).get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
            return (
                f"Invalid 'tools[{i}].function.name': string does not match pattern. "
                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'."
            )
    return None
