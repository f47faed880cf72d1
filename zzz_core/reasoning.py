"""Reasoning text: from ``reasoning_content``/``reasoning`` fields or ``<think>`` tags.

Why: the gateways relay each vendor's own shape.  DeepSeek/Qwen/GLM send
``reasoning_content``; new-api sets *both* ``reasoning_content`` and
``reasoning`` to the same text (concatenating them doubles it); OpenRouter-style
relays send ``reasoning`` as text or ``reasoning_details`` as a list; LiteLLM-based
relays send Claude's ``thinking_blocks`` (next to ``reasoning_content``); and
new-api's ``thinking_to_content`` channel setting moves the reasoning into
``content`` as ``<think>\\n...\\n</think>\\n``, with the tags split across
chunks anywhere.  The order is: ``reasoning_content``, then ``reasoning``, then
``<think>`` at the start of the content.

Rules shared by :func:`split_think` and :class:`ThinkSplitter` (so a stream and
the same text sent whole give the same answer): ``<think>`` counts only at the
start of the content, after optional whitespace; the reasoning is stripped of
surrounding whitespace; all leading newlines after ``</think>`` are dropped; an
unclosed block is reasoning to the end.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ThinkSplitter", "extract_reasoning", "split_think"]

OPEN = "<think>"
CLOSE = "</think>"


def extract_reasoning(obj: dict[str, Any]) -> str | None:
    """Return the reasoning text of a message or stream delta.

    Args:
        obj: ``choices[i].message`` or ``choices[i].delta``.

    Returns:
        ``reasoning_content`` if a non-empty string, else ``reasoning`` (a
        string, or the ``text`` of a dict or of list items), else the text of
        ``reasoning_details`` items, else the ``thinking`` of ``thinking_blocks``,
        else ``None``.  The two fields are never
        concatenated.
    """
    value = obj.get("reasoning_content")
    if value and value.__class__ is str:
        return value
    value = obj.get("reasoning")
    if value:
        if value.__class__ is str:
            return value
        text = _text_of(value)
        if text:
            return text
    details = obj.get("reasoning_details")
    if details:
        return _text_of(details)
    blocks = obj.get("thinking_blocks")
    if blocks and isinstance(blocks, list):
        text = "".join(b["thinking"] for b in blocks if isinstance(b, dict) and isinstance(b.get("thinking"), str))
        return text or None
    return None


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        text = value.get("text")
        if text is None:
            text = value.get("summary")
        return text if isinstance(text, str) and text else None
    if isinstance(value, list):
        parts = [t for t in map(_text_of, value) if t]
        return "".join(parts) or None
    return None


def split_think(content: str) -> tuple[str, str | None]:
    """Split a complete message's content into answer and ``<think>`` reasoning.

    Args:
        content: The full ``message.content``.

    Returns:
        ``(answer, reasoning)``: without a leading ``<think>`` block the content
        is returned unchanged with ``None``; otherwise the answer after the
        block (leading newlines dropped) and the stripped reasoning (``None``
        when the block is empty).
    """
    body = content.lstrip()
    if not body.startswith(OPEN):
        return content, None
    end = body.find(CLOSE, len(OPEN))
    if end == -1:
        return "", body[len(OPEN) :].strip() or None
    return body[end + len(CLOSE) :].lstrip("\r\n"), body[len(OPEN) : end].strip() or None


_DECIDING, _THINK, _AFTER, _PASS = range(4)


class ThinkSplitter:
    """Splits a streamed content into (content, reasoning) parts, one delta at a time.

    Buffers only while the start could still be ``<think>`` and, inside the
    block, a possible partial ``</think>`` suffix plus trailing whitespace (so
    the reasoning comes out stripped).  Once the content is known not to open
    with ``<think>``, :attr:`passthrough` is true and every delta is returned
    as is.
    """

    __slots__ = ("_buf", "_started", "_state", "_ws")

    def __init__(self) -> None:
        self._state = _DECIDING
        self._buf = ""
        self._ws = ""  # reasoning whitespace held until more text follows it
        self._started = False  # some reasoning text was emitted

    @property
    def passthrough(self) -> bool:
        """True once nothing more will be buffered or split."""
        return self._state == _PASS

    def feed(self, text: str) -> tuple[str, str]:
        """Split one content delta.

        Args:
            text: The delta's ``content``.

        Returns:
            ``(content_part, reasoning_part)`` for this delta; either may be empty.
        """
        state = self._state
        if state == _PASS:
            return text, ""
        if state == _THINK:
            return self._think(text)
        if state == _AFTER:
            return self._after(text), ""
        buf = self._buf + text
        body = buf.lstrip()
        if body.startswith(OPEN):
            self._state = _THINK
            self._buf = ""
            return self._think(body[len(OPEN) :])
        if not body or OPEN.startswith(body):
            self._buf = buf
            return "", ""
        self._state = _PASS
        self._buf = ""
        return buf, ""

    def flush(self) -> tuple[str, str]:
        """End of stream: release whatever is buffered.

        Returns:
            ``(content, reasoning)``: an undecided prefix is content, the rest
            of an unclosed think block is reasoning.
        """
        buf, self._buf = self._buf, ""
        if self._state == _DECIDING:
            self._state = _PASS
            return buf, ""
        if self._state == _THINK:
            self._state = _PASS
            return "", self._reasoning(buf, True)
        return "", ""

    def _think(self, text: str) -> tuple[str, str]:
        buf = self._buf + text if self._buf else text
        end = buf.find(CLOSE)
        if end != -1:
            self._state = _AFTER
            self._buf = ""
            reasoning = self._reasoning(buf[:end], True)
            return self._after(buf[end + len(CLOSE) :]), reasoning
        lt = buf.rfind("<", max(0, len(buf) - len(CLOSE) + 1))
        if lt != -1 and CLOSE.startswith(buf[lt:]):
            self._buf = buf[lt:]
            buf = buf[:lt]
        else:
            self._buf = ""
        return "", self._reasoning(buf, False)

    def _reasoning(self, text: str, closing: bool) -> str:
        if self._ws:
            text = self._ws + text
            self._ws = ""
        if not self._started:
            text = text.lstrip()
            if not text:
                return ""
            self._started = True
        kept = text.rstrip()
        if not closing and len(kept) != len(text):
            self._ws = text[len(kept) :]
        return kept

    def _after(self, text: str) -> str:
        text = text.lstrip("\r\n")
        if text:
            self._state = _PASS
        return text
