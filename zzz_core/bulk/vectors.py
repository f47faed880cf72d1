"""Embedding answers read without turning every vector into Python floats.

The bulk runner records each vector in the results file as the gateway sent it: a float
array stays the gateway's JSON text, a base64 string stays that string.  Decoding 256
floats with ``json.loads`` and printing them again with ``json.dumps`` cost more than
everything else the runner does per text (docs/benchmarks.md, "What the bulk numbers
say"), and gives back the same numbers.

:func:`loads_embeddings` is a drop-in for ``json.loads`` on an ``/v1/embeddings`` answer
(the transport's ``loads=``): each ``"embedding": [...]`` array is cut out of the bytes,
the rest (a few hundred bytes) is parsed as JSON, and each vector comes back as a
:class:`RawVector` holding its JSON text.  Anything unusual (an array elsewhere, a nested
array, text that is not JSON) is parsed the ordinary way instead, so the answer reads the
same as with ``json.loads``; only where it is faster does it differ.

:func:`checked_vectors` is what stands in for decoding: the count of vectors, their order,
and each vector's shape are checked (a :class:`RawVector` holds only number characters,
non-empty elements; a base64 string is whole float32 values, by its alphabet and length;
every vector of an answer has the same length), so a short, empty or mangled answer is a ``ValueError`` the
runner records for each of its items, never a line written with a wrong vector.  The
spelling of the numbers is read in the first vector of each answer only (``1.2.3`` would
fail there): a gateway's JSON encoder spells every vector alike, and reading all of them is
the cost this module exists to avoid.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, cast

__all__ = ["RawVector", "checked_vectors", "loads_embeddings", "vector_json"]

_KEY = b'"embedding"'
_AFTER_KEY = re.compile(rb"\s*:\s*\[")
_NUMBER_BYTES = b"0123456789.eE+-,"
_SPACE = b" \t\r\n"
_BASE64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class RawVector:
    """One embedding's JSON array text, as the gateway sent it (``b"[0.1,-0.2,...]"``)."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text

    def floats(self) -> list[float]:
        """The vector decoded (for the rare caller that needs the numbers)."""
        return [float(v) for v in json.loads(self.text)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawVector) and other.text == self.text

    def __repr__(self) -> str:
        return f"RawVector({self.text[:40]!r}{'...' if len(self.text) > 40 else ''})"


def loads_embeddings(raw: bytes) -> Any:
    """``json.loads(raw)``, except that each float array under ``data[i]["embedding"]`` is a
    :class:`RawVector` (see the module docstring).  Raises ``ValueError`` where ``json.loads`` would."""
    pieces: list[bytes] = []
    spans: list[tuple[int, int]] = []
    pos = copied = 0  # where to search next; how far the bytes are in ``pieces``
    while True:
        # bytes.find, from the end of the last vector: only the few bytes between vectors are searched
        key = raw.find(_KEY, pos)
        if key < 0:
            break
        after = key + len(_KEY)
        if raw[after : after + 2] == b":[":
            start = after + 1
        else:  # spaces around the colon, or a value that is not an array
            m = _AFTER_KEY.match(raw, after)
            if m is None:
                pos = after
                continue
            start = m.end() - 1
        end = raw.find(b"]", start)
        if end < 0:  # cut off: json.loads says where
            return json.loads(raw)
        pieces.append(raw[copied:start])
        pieces.append(b'"\\u0000%d"' % len(spans))  # a placeholder no gateway sends: NUL and the number
        spans.append((start, end + 1))
        pos = copied = end + 1
    if not spans:
        return json.loads(raw)
    pieces.append(raw[copied:])
    try:
        payload = json.loads(b"".join(pieces))
    except ValueError:  # e.g. a nested array: read the whole answer
        return json.loads(raw)
    data = payload.get("data") if isinstance(payload, dict) else None
    found = 0
    for entry in data if isinstance(data, list) else ():
        if isinstance(entry, dict) and entry.get("embedding") == f"\x00{found}":
            start, end = spans[found]
            entry["embedding"] = RawVector(raw[start:end])
            found += 1
    if found != len(spans):  # a match that was not a vector of data: no placeholder may stay
        return json.loads(raw)
    return payload


def checked_vectors(payload: dict[str, Any], expected: int) -> list[dict[str, Any]]:
    """The ``data`` entries of an embeddings answer in input order, each with a usable embedding.

    Entries are put in ``index`` order when the indices are exactly ``0..n-1``; otherwise
    (relays that number every entry 0) list order is kept, as ``parse_embedding_response`` does.

    Raises:
        ValueError: not ``expected`` entries, an entry without an embedding, a vector
            that is not numbers or not whole float32 values, or vectors of different lengths.
    """
    data = payload.get("data")
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    if len(entries) != expected:
        raise ValueError(f"the gateway returned {len(entries)} embeddings for {expected} inputs")
    indices = [e.get("index") for e in entries]
    if indices != list(range(expected)) and sorted(i for i in indices if i.__class__ is int) == list(range(expected)):
        entries = [e for _, e in sorted(zip(indices, entries, strict=True), key=lambda pair: cast(int, pair[0]))]
    size = None
    for position, entry in enumerate(entries):
        n = _length(entry.get("embedding"), position)
        if size is None:
            size = n
        elif n != size:
            raise ValueError(f"embedding {position} has {n} values, embedding 0 has {size}")
    first = entries[0]["embedding"] if entries else None
    if isinstance(first, RawVector):
        # The numbers' spelling, read in one vector: a gateway's encoder writes every vector alike.
        try:
            json.loads(first.text)
        except ValueError:
            raise ValueError(f"embedding 0 is not valid JSON: {first.text[:60]!r}") from None
    return entries


def _length(value: Any, position: int) -> int:
    """The number of values of one embedding; ``ValueError`` if it is not a usable vector."""
    if isinstance(value, RawVector):
        text = value.text  # "[" ... "]", cut out at the first "]" after the "["
        if text.translate(None, _NUMBER_BYTES) != b"[]":  # something else than numbers; spaces are allowed
            text = text.translate(None, _SPACE)
            if text.translate(None, _NUMBER_BYTES) != b"[]":
                raise ValueError(f"embedding {position} is not a list of numbers: {value.text[:60]!r}")
        if len(text) < 3 or text[1] == 44 or text[-2] == 44:  # 44: ","
            raise ValueError(f"embedding {position} is empty or has an empty element: {value.text[:60]!r}")
        return text.count(b",") + 1
    if isinstance(value, str):
        # Checked, not decoded: the base64 alphabet, then at most two "=" of padding at the end.
        raw = value.encode("ascii", "replace")
        rest = raw.translate(None, _BASE64_BYTES)
        if len(raw) % 4 or rest not in (b"", b"=", b"==") or not raw.endswith(rest):
            raise ValueError(f"embedding {position} is neither a list nor base64: {value[:60]!r}")
        size = len(raw) // 4 * 3 - len(rest)
        if size == 0 or size % 4:
            raise ValueError(f"embedding {position} is {size} bytes of base64, not whole float32 values")
        return size // 4
    if isinstance(value, list) and value and all(v.__class__ in (float, int) for v in value):
        if not math.isfinite(sum(value)):  # json.loads reads NaN and Infinity, which are not JSON
            raise ValueError(f"embedding {position} holds a value that is not a finite number")
        return len(value)
    raise ValueError(f"embedding {position} is not a vector: {type(value).__name__}")


def vector_json(value: Any) -> bytes:
    """One checked embedding as JSON text: a :class:`RawVector`'s own bytes, a base64 string
    quoted (base64 needs no escaping), a list of floats printed."""
    if isinstance(value, RawVector):
        return value.text
    if isinstance(value, str):
        return b'"' + value.encode("ascii") + b'"'
    return json.dumps(value, separators=(",", ":")).encode()
