"""SSE decoder: spec behaviour, relay quirks, and split-invariance properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core.sse import SSEDecoder, SSEEvent


def decode_all(chunks: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def test_single_event_fast_path() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":1}\n\n') == [SSEEvent(None, '{"a":1}')]
    assert decoder.flush() == []


def test_several_events_in_one_chunk() -> None:
    events = SSEDecoder().feed(b"data: 1\n\ndata: 2\n\ndata: [DONE]\n\n")
    assert [e.data for e in events] == ["1", "2", "[DONE]"]


def test_comments_are_ignored() -> None:
    events = decode_all([b": keep-alive\n\n: ping\ndata: x\n: inside\ndata: y\n\n"])
    assert events == [SSEEvent(None, "x\ny")]


def test_event_name_and_multiline_data() -> None:
    events = decode_all([b"event: error\ndata: a\ndata: b\n\n"])
    assert events == [SSEEvent("error", "a\nb")]


def test_only_one_space_is_stripped_and_no_space_is_fine() -> None:
    events = decode_all([b"data:x\n\ndata:  y\n\ndata:\n\n"])
    assert [e.data for e in events] == ["x", " y", ""]


def test_data_field_without_colon_is_an_empty_line() -> None:
    assert decode_all([b"data\ndata\n\n"]) == [SSEEvent(None, "\n")]


def test_event_name_alone_dispatches_but_id_alone_does_not() -> None:
    assert decode_all([b"id: 7\n\n"]) == []
    assert decode_all([b"event: ping\n\n"]) == [SSEEvent("ping", "")]


def test_id_persists_and_retry_is_attached_once() -> None:
    events = decode_all([b"id: 1\nretry: 1500\ndata: a\n\ndata: b\n\nid: 2\x00x\nretry: soon\ndata: c\n\n"])
    assert events == [SSEEvent(None, "a", "1", 1500), SSEEvent(None, "b", "1", None), SSEEvent(None, "c", "1")]


def test_unknown_fields_are_ignored() -> None:
    assert decode_all([b"foo: bar\ndata: x\nbaz\n\n"]) == [SSEEvent(None, "x")]


def test_crlf_and_cr_line_endings() -> None:
    assert [e.data for e in decode_all([b"data: a\r\n\r\ndata: b\r\rdata: c\n\n"])] == ["a", "b", "c"]


def test_cr_lf_split_across_chunks_is_not_a_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n\r") == [SSEEvent(None, "a\nb")]
    assert decoder.feed(b"\n") == []
    assert decoder.flush() == []


def test_utf8_character_split_across_chunks() -> None:
    raw = 'data: {"content":"你好"}\n\n'.encode()
    cut = raw.index("你".encode()) + 1  # inside the three-byte character
    events = decode_all([raw[:cut], raw[cut:]])
    assert events == [SSEEvent(None, '{"content":"你好"}')]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode_all([b"data: \xff\xfe\n\n"]) == [SSEEvent(None, "\ufffd\ufffd")]


def test_leading_bom_is_dropped() -> None:
    assert decode_all([b"\xef\xbb\xbfdata: x\n\n"]) == [SSEEvent(None, "x")]


def test_flush_emits_an_event_without_final_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: last") == [SSEEvent(None, "a")]
    assert decoder.flush() == [SSEEvent(None, "last")]
    assert decoder.flush() == []


def test_flush_of_a_comment_only_tail_is_empty() -> None:
    assert decode_all([b"data: a\n\n: keep-alive\n"]) == [SSEEvent(None, "a")]


def test_mixed_line_endings_across_chunks() -> None:
    chunks = [b"data: 1\n", b"\ndata: 2\r", b"\n\r\nevent: end\ndata: 3"]
    expected = [SSEEvent(None, "1"), SSEEvent(None, "2"), SSEEvent("end", "3")]
    assert decode_all(chunks) == expected


# --- properties --------------------------------------------------------------

line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=12)
events_strategy = st.lists(
    st.tuples(st.one_of(st.none(), line_text), st.lists(line_text, min_size=1, max_size=3)),
    min_size=1,
    max_size=5,
)


def render(events: list[tuple[str | None, list[str]]], comments: list[bool], newline: str) -> bytes:
    lines: list[str] = []
    for k, (name, data) in enumerate(events):
        if name is not None:
            lines.append("event: " + name)
        for d in data:
            lines.append("data: " + d)
            if comments[k % len(comments)]:
                lines.append(": keep-alive")
        lines.append("")
        if comments[(k + 1) % len(comments)]:
            lines += [": keep-alive", ""]
    return newline.join(lines).encode() + newline.encode()


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces, start = [], 0
    for p in points:
        pieces.append(raw[start:p])
        start = p
    pieces.append(raw[start:])
    return pieces


@settings(max_examples=200, deadline=None)
@given(
    events=events_strategy,
    comments=st.lists(st.booleans(), min_size=1, max_size=4),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_any_split_gives_the_same_events(events, comments, newline, cuts) -> None:  # type: ignore[no-untyped-def]
    raw = render(events, comments, newline)
    expected = [SSEEvent(name, "\n".join(data)) for name, data in events]
    assert decode_all([raw]) == expected
    assert decode_all(split_at(raw, cuts)) == expected
    assert decode_all([raw[i : i + 1] for i in range(len(raw))]) == expected


@settings(max_examples=200, deadline=None)
@given(
    raw=st.binary(max_size=200)
    | st.lists(st.sampled_from([b"data", b":", b" ", b"\r", b"\n", b"event", b"id", b"retry", b"\xe4\xbd", b"9"])).map(
        b"".join
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_garbage_never_raises_and_is_split_invariant(raw, cuts) -> None:  # type: ignore[no-untyped-def]
    whole = decode_all([raw])
    assert all(isinstance(e.data, str) for e in whole)
    assert decode_all(split_at(raw, cuts)) == whole


def test_content_read_with_an_error_event_is_handed_over_first():
    """One network read can carry content and then an error event (aiohttp hands over
    whatever is buffered): the content comes back with the error, to be yielded first."""
    from zzz_core import errors as E
    from zzz_core.decode import ChatStreamAssembler
    from zzz_core.error_map import ErrorContext
    from zzz_core.sse import SSEDecoder
    from zzz_core.transport import Transport

    raw = (
        b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n'
        b'data: {"code":1001,"msg":"\xe4\xbd\x99\xe9\xa2\x9d\xe4\xb8\x8d\xe8\xb6\xb3"}\n\n'
    )
    sink = ChatStreamAssembler()
    chunks, done, failure = Transport._feed_read(SSEDecoder().feed(raw), sink, ErrorContext(host="h"))
    assert "".join(c.content for c in chunks) == "Hello"
    assert isinstance(failure, E.InsufficientBalanceError) and done
    assert sink.content_so_far() == "Hello"


def test_aiohttp_connection_errors_are_not_timeouts():
    """openai's aiohttp transport reports a refused or dropped connection as ConnectTimeout;
    the aiohttp exception underneath decides."""
    aiohttp = pytest.importorskip("aiohttp")
    from zzz_core import _compat
    from zzz_core.response_bodies import timed_out as _timed_out

    def mapped(cause: BaseException | None) -> BaseException:
        exc = _compat.http.ConnectTimeout("mapped")
        exc.__cause__ = cause
        return exc

    assert _timed_out(mapped(None))
    assert _timed_out(mapped(aiohttp.ServerTimeoutError("slow")))
    assert not _timed_out(mapped(aiohttp.ServerDisconnectedError()))
    assert not _timed_out(mapped(aiohttp.ClientConnectionError("refused")))
    assert not _timed_out(_compat.http.ConnectError("refused"))
