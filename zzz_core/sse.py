"""Server-sent events decoding: bytes in, events out.

Why our own decoder: the chat stream is the hot loop of the whole project, and
relays split bytes wherever their proxies like (inside a UTF-8 character, between
``\\r`` and ``\\n``), interleave ``: keep-alive`` comments and sometimes end the
stream without the final blank line.  This decoder follows the WHATWG
event-stream rules, is pure (no I/O), and is shared by the transport's sync and async
loops so the two paths cannot drift.

The fast path is the common case: a chunk holding one or more complete
``data: {...}\\n\\n`` events, decoded with one ``bytes.decode`` and one
``str.split`` per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEEvent"]


@dataclass(slots=True)
class SSEEvent:
    """One dispatched event.

    ``id`` is the stream's last event id at dispatch time (it persists across
    events, as the spec says); ``retry`` is set on the event that followed a
    valid ``retry:`` line.
    """

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental SSE decoder; feed it raw bytes as they arrive.

    Lines end in ``\\n``, ``\\r\\n`` or ``\\r``.  A line is decoded only once it
    is complete, so a multi-byte character split across chunks is never
    mangled; invalid UTF-8 is replaced, never raised.
    """

    __slots__ = ("_buf", "_cr", "_data", "_event", "_first", "_last_id", "_retry")

    def __init__(self) -> None:
        self._buf = b""  # an incomplete trailing line
        self._cr = False  # the previous chunk ended in "\r": drop a leading "\n"
        self._data: list[str] = []
        self._event: str | None = None
        self._last_id: str | None = None
        self._retry: int | None = None
        self._first = True  # a UTF-8 BOM may open the stream

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode one chunk of the stream.

        Args:
            chunk: Bytes exactly as received; any split point is fine.

        Returns:
            The events completed by this chunk (often one, possibly none).
        """
        if (
            chunk.endswith(b"\n\n")
            and chunk.startswith(b"data: ")
            and chunk.find(b"\n", 6) == len(chunk) - 2
            and not self._buf
            and not self._data
            and self._event is None
            and not self._cr
            and 13 not in chunk  # b"\r"
        ):  # the common case: exactly one complete one-line event
            self._first = False
            event = SSEEvent(None, chunk[6:-2].decode("utf-8", "replace"), self._last_id, self._retry)
            self._retry = None
            return [event]
        if self._cr:
            if not chunk:
                return []
            self._cr = False
            if chunk[0] == 10:  # b"\n" completing a "\r\n" split across chunks
                chunk = chunk[1:]
        if self._buf:
            chunk = self._buf + chunk
        if 13 in chunk:  # b"\r": normalize line ends
            if chunk[-1] == 13:
                self._cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = chunk.rfind(b"\n")
        if cut == -1:
            self._buf = chunk
            return []
        if cut == len(chunk) - 1:
            self._buf = b""
            complete = chunk[:-1]
        else:
            self._buf = chunk[cut + 1 :]
            complete = chunk[:cut]
        # "\n" never occurs inside a UTF-8 sequence, so complete lines decode safely.
        text = complete.decode("utf-8", "replace")
        if self._first:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        return self._lines(text.split("\n"))

    def flush(self) -> list[SSEEvent]:
        """End of stream: finish a last line and a pending event without a blank line.

        Returns:
            The pending event, if it had data or an event name.
        """
        lines = [self._buf.decode("utf-8", "replace")] if self._buf else []
        self._buf = b""
        self._cr = False
        lines.append("")
        return self._lines(lines)

    def _lines(self, lines: list[str]) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif not line:
                if data or self._event is not None:
                    out.append(SSEEvent(self._event, "\n".join(data), self._last_id, self._retry))
                    data.clear()
                    self._event = None
                    self._retry = None
            elif line[0] != ":":
                self._field(line)
        return out

    def _field(self, line: str) -> None:
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":  # "data" with no colon: an empty data line
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        # any other field name is ignored, as the spec says
