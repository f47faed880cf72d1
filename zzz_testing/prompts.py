"""Generic prompt formats the simulator recognises inside chat messages.

Frameworks put structure into plain text, not into API fields.  This module finds it,
by format and never by framework name:

* **ReAct** (:func:`react_tools`, :func:`react_answer`): no ``tools`` field; a system
  message lists ``> Tool Name: X`` / ``Tool Description:`` / ``Tool Args: {schema}``
  blocks (then, optionally, context) and asks for ``Thought:`` / ``Action:`` / ``Action
  Input:`` or ``Answer:``.  Observations come back as user messages starting ``Observation:``.
* **A question inside a context message** (:func:`split_question`): a line starting
  ``Query:``, ``Question:``, ``Follow Up Input:``, ``Human:`` or ``问题：``; the text up to a
  following ``Answer:`` / ``Standalone question:`` line is the question, the rest is
  context.  A prompt ending in ``Standalone question:`` asks for the question itself.
* **JSON-mode key lists** (:func:`json_object`): key names quoted in the question
  (``'setup'``, ``"punchline"`` or in backticks) become the keys of the answer object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import answers, tools

__all__ = ["Split", "answer_text", "json_keys", "json_object", "react_answer", "react_tools", "split_question"]

# ------------------------------------------------------------------ questions
_MARKER_RE = re.compile(r"^[ \t]*(?:Query|Question|Follow[ \t]*Up[ \t]*Input|Human|问题)[ \t]*[:：]", re.M | re.I)
_END_RE = re.compile(
    r"^[ \t]*(?:(?:Helpful[ \t]+)?Answer|(Standalone[ \t]+question)|AI|Assistant|答案|回答)[ \t]*[:：]", re.M | re.I
)


@dataclass(frozen=True, slots=True)
class Split:
    """A message split into its question and the rest (context)."""

    question: str
    context: str
    standalone: bool
    """The prompt asks to rephrase the question as a standalone question."""


def split_question(text: str) -> Split | None:
    """The question marked inside ``text`` (the last marker wins), or None when unmarked."""
    marks = list(_MARKER_RE.finditer(text))
    if not marks:
        return None
    mark = marks[-1]
    end = _END_RE.search(text, mark.end())
    stop = end.start() if end else len(text)
    question = text[mark.end() : stop].strip()
    if not question:
        return None
    after = text[end.end() :] if end else ""
    standalone = bool(end and end.group(1) and not after.strip())
    rest = text[: mark.start()] + ("\n" + after if after.strip() else "")
    return Split(question, rest.strip(), standalone)


def answer_text(question: str, context: list[str]) -> tuple[str, list[str]]:
    """The text answer to ``question`` and the context it drew on.

    When the question is marked inside the message the marked text is the question and
    the rest of the message joins the context; a prompt asking for a standalone question
    gets the question itself.
    """
    split = split_question(question)
    if split is None:
        return answers.grounded_answer(question, context), context
    context = [*context, split.context]
    if split.standalone:
        return split.question, context
    return answers.grounded_answer(split.question, context), context


# ---------------------------------------------------------------------- ReAct
_TOOL_RE = re.compile(r"^[ \t]*>[ \t]*Tool Name:[ \t]*(.+?)[ \t]*$", re.M)
_DESC_RE = re.compile(r"^[ \t]*Tool Description:[ \t]*", re.M)
_ARGS_RE = re.compile(r"^[ \t]*Tool Args:[ \t]*", re.M)
_ACTION_RE = re.compile(r"^[ \t]*Action:[ \t]*([^\n]+?)[ \t]*$", re.M)
_SECTION_RE = re.compile(r"^[ \t]*(?:#{1,6}[ \t]|```|Thought:)", re.M)
_OBSERVATION = "Observation:"
_FORMAT_WORDS = ("Thought:", "Action:", "Action Input:", "Answer:")
CALL_THOUGHT = "Thought: I need to use a tool to help me answer the question."
ANSWER_THOUGHT = "Thought: I can answer without using any more tools. I'll use the user's language to answer"


def _react_prompt(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str] | None:
    """The tools a ReAct system prompt lists and the context it gives after them."""
    for m in messages:
        if m.get("role") not in ("system", "developer"):
            continue
        text = answers.message_text(m.get("content"))
        if not all(word in text for word in _FORMAT_WORDS):
            continue
        heads = list(_TOOL_RE.finditer(text))
        found, tail = [], len(text)
        for k, head in enumerate(heads):
            block = text[head.end() : heads[k + 1].start() if k + 1 < len(heads) else len(text)]
            args = _ARGS_RE.search(block)
            desc = _DESC_RE.search(block)
            desc_end = desc.end() if desc else 0  # a tool may have no description
            description = block[desc_end : args.start() if args and args.start() > desc_end else len(block)]
            schema: Any = {"type": "object", "properties": {}}
            if args:
                try:
                    schema, used = json.JSONDecoder().raw_decode(block[args.end() :])
                    tail = head.end() + args.end() + used
                except ValueError:
                    pass
            params = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
            fn = {"name": head.group(1), "description": description.strip() if desc else "", "parameters": params}
            found.append({"type": "function", "function": fn})
        if found:
            rest = text[tail:]
            section = _SECTION_RE.search(rest)
            return found, rest[: section.start() if section else len(rest)].strip()
    return None


def react_tools(messages: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The tools a ReAct system prompt lists (as function tools), or None when it is not one."""
    prompt = _react_prompt(messages)
    return prompt[0] if prompt else None


def _is_observation(m: dict[str, Any]) -> bool:
    return m.get("role") in ("user", "tool") and answers.message_text(m.get("content")).lstrip().startswith(
        _OBSERVATION
    )


def react_answer(messages: list[dict[str, Any]], listed: list[dict[str, Any]]) -> str:
    """The next ReAct step: an ``Action`` for the first mentioned tool not run yet, else an ``Answer``.

    The question is the last user message that is not an observation.  A tool is done
    when an assistant ``Action: <name>`` is followed by an ``Observation:`` message.
    """
    q_idx = max((i for i, m in enumerate(messages) if m.get("role") == "user" and not _is_observation(m)),
                default=-1)  # fmt: skip
    question = answers.message_text(messages[q_idx].get("content")) if q_idx >= 0 else ""
    done: list[tuple[str, str]] = []
    pending: str | None = None
    for m in messages[q_idx + 1 :]:
        text = answers.message_text(m.get("content"))
        if m.get("role") == "assistant":
            actions = _ACTION_RE.findall(text)
            pending = actions[-1] if actions else None
        elif _is_observation(m) and pending is not None:
            done.append((pending, text.lstrip()[len(_OBSERVATION) :].strip()))
            pending = None
    calls = tools.choose_tools(listed, "auto", False, question, {name for name, _ in done})
    if calls:
        args = json.dumps(tools.tool_call_arguments(calls[0], question), ensure_ascii=False)
        return f"{CALL_THOUGHT}\nAction: {tools.tool_name(calls[0])}\nAction Input: {args}"
    if done:
        text = " ".join(answers.result_sentence(name, content) for name, content in done)
    else:
        prompt = _react_prompt(messages)
        context = [prompt[1] if prompt else ""] + [
            answers.message_text(m.get("content"))
            for i, m in enumerate(messages)
            if i != q_idx and m.get("role") not in ("system", "developer")
        ]
        text = answers.grounded_answer(question, context)
    return f"{ANSWER_THOUGHT}\nAnswer: {text}"


# ------------------------------------------------------------------ JSON mode
_KEY = r"[A-Za-z_][\w\-]{0,39}"
_KEY_RE = re.compile(rf"(?<![\w'\"`])(?:'({_KEY})'|\"({_KEY})\"|`({_KEY})`|“({_KEY})”|‘({_KEY})’)")


def json_keys(question: str) -> list[str]:
    """Key names quoted in ``question`` (``'setup'``, ``"punchline"``, or in backticks), in order."""
    return list(dict.fromkeys(next(g for g in m.groups() if g) for m in _KEY_RE.finditer(question)))


def _key_words(key: str) -> set[str]:
    return {tools.stem(w) for w in tools.split_name(key)}


def json_object(question: str, context: list[str], answer: str) -> dict[str, Any]:
    """A ``json_object`` answer: the quoted keys with short values, else ``{"answer": answer}``.

    Each key gets the context sentence sharing a word with the key name, else the next
    context sentence relevant to the question, else a phrase built on the question.
    """
    for text in context:  # a schema given in a system message (zzz_core.negotiation's JSON-mode fallback)
        _, found, rest = text.partition("matching this JSON schema: ")
        if found:
            try:
                return answers.synthesize(json.loads(rest), question)
            except ValueError:
                break
    keys = json_keys(question)
    if not keys:
        return {"answer": answer}
    q = answers.terms(question)
    ranked: list[tuple[int, int, str]] = []
    for text in context:
        for s in answers.sentences(text):
            score = len(q & answers.terms(s))
            if score and s != question.strip():
                ranked.append((-score, len(ranked), s))
    pool = [s for _, _, s in sorted(ranked)]
    topic = (
        next((s.rstrip(".!?。！？ ") for s in answers.sentences(question) if not json_keys(s)), question.strip())
        or "this request"
    )
    out: dict[str, Any] = {}
    for k, key in enumerate(keys):
        words = _key_words(key)
        pick = next((s for s in pool if words & {tools.stem(t) for t in answers.terms(s)}), None)
        pick = pick or (pool[0] if pool else None)
        if pick is not None:
            pool.remove(pick)
        else:
            pick = topic if k == 0 else f"The {' '.join(tools.split_name(key))} of: {topic}"
        out[key] = pick
    return out
