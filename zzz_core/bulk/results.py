"""The results file of a bulk job, in the OpenAI Batch API output format.

One JSON object per line, in the order items finish::

    {"id": "zzz_req_…", "custom_id": "q1", "error": null,
     "response": {"status_code": 200, "request_id": null, "body": {…the gateway's answer…}}}

A failed item has ``"response": null`` (or the gateway's status and redacted body) and
``"error": {"code", "message", "class", "category", "msg", "retryable", "status_code"}``:
OpenAI's ``code``/``message`` plus zzz_core's error class and the gateway's own ``msg``.

Crash safety: each line is written whole with one ``os.write`` on a file opened with
``O_APPEND`` (no user-space buffer, so a killed process loses at most the line being
written; the lines of one packed embeddings request share one ``os.write``).  A torn last
line (no trailing newline) is ignored by every reader and cut off before the next run
appends, so the file always parses.

Resume: :func:`load_index` reads the ``custom_id`` and whether ``error`` is null with one
regular-expression pass over large blocks, not a JSON parse per line (our writer puts
``id``, ``custom_id`` and ``error`` before the body; JSON readers do not care about key
order), so a 1,000,000-line file loads in seconds.  Lines in another layout (e.g. a file
from the gateway's Batch API) are parsed one by one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..decode import parse_embedding_response

__all__ = [
    "BulkOutcome",
    "DoneIndex",
    "iter_outcomes",
    "ResultsFile",
    "error_record",
    "load_index",
    "read_results",
    "success_lines",
    "success_record",
]

_LINE_RE = re.compile(rb'\n\{"id":"[^"\\\n]*","custom_id":"([^"\\\n]*(?:\\.[^"\\\n]*)*)","error":(n|\{)')
"""One line in our layout, found after its preceding newline (a literal prefix is what lets
``re`` search fast; ``^`` with ``re.M`` is several times slower)."""
_BLOCK = 1 << 24


def _new_id() -> str:
    return "zzz_req_" + os.urandom(12).hex()


def success_record(
    custom_id: str, body: Any, *, status_code: int = 200, request_id: str | None = None
) -> dict[str, Any]:
    """The line of an item the gateway answered."""
    response = {"status_code": status_code, "request_id": request_id, "body": body}
    return {"id": _new_id(), "custom_id": custom_id, "error": None, "response": response}


def success_lines(answers: Iterable[tuple[str, Sequence[bytes]]], *, request_id: str | None = None) -> bytes:
    """The whole lines (newlines included) of :func:`success_record` for bodies that are already
    JSON text, given as ``(custom_id, pieces of the body)``: the bulk runner splits an embeddings
    answer as text (``zzz_core.bulk.packing``) and joins all of it once, here."""
    rid = b"null" if request_id is None else _json_str(request_id)
    middle = b',"error":null,"response":{"status_code":200,"request_id":' + rid + b',"body":'
    pieces: list[bytes] = []
    for custom_id, body in answers:
        pieces += (b'{"id":"', _new_id().encode(), b'","custom_id":', _json_str(custom_id), middle, *body, b"}}\n")
    return b"".join(pieces)


def _json_str(text: str) -> bytes:
    # Most ids are plain ASCII and need no escaping: quoted as they are, 1 µs cheaper than json.dumps.
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return b'"' + text.encode() + b'"'
    return json.dumps(text, ensure_ascii=False).encode()


def error_record(custom_id: str, exc: BaseException) -> dict[str, Any]:
    """The line of an item that ended in a per-item error (``exc`` is usually a ``ZZZError``)."""
    code = getattr(exc, "code", None)
    category = getattr(exc, "category", None)
    status = getattr(exc, "status_code", None)
    error = {
        "code": code if code not in (None, "") else (category or type(exc).__name__),
        "message": str(exc),
        "class": type(exc).__name__,
        "category": category,
        "msg": getattr(exc, "msg", None),
        "retryable": bool(getattr(exc, "retryable", False)),
        "status_code": status,
    }
    response = None
    if status is not None:
        response = {"status_code": status, "request_id": getattr(exc, "request_id", None),
                    "body": getattr(exc, "body_excerpt", None)}  # fmt: skip
    return {"id": _new_id(), "custom_id": custom_id, "error": error, "response": response}


def _dumps(record: dict[str, Any]) -> bytes:
    # ensure_ascii=False keeps Chinese text readable; json never emits a raw newline.
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


@dataclass(slots=True)
class DoneIndex:
    """Which ``custom_id`` values a results file already records."""

    done: set[str] = field(default_factory=set)
    """Ids to skip: every recorded item (without ``--retry-failed``), else the successes."""
    ok: int = 0
    failed: int = 0
    retryable: int = 0
    """Recorded failures whose error is marked retryable."""
    torn: bool = False
    """The file ended in a torn line (a crash mid-write); it is ignored."""
    bad_lines: int = 0
    """Complete lines that did not parse (not written by this runner); ignored."""

    def __contains__(self, custom_id: str) -> bool:
        return custom_id in self.done

    def __len__(self) -> int:
        return len(self.done)


def _line_info(raw: bytes) -> tuple[str, bool, bool] | None:
    """``(custom_id, ok, retryable)`` of one complete line, or None if it is not a result line."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("custom_id"), str):
        return None
    err = obj.get("error")
    return obj["custom_id"], err is None, bool(isinstance(err, dict) and err.get("retryable"))


def _unescape(esc: bytes) -> str:
    return esc.decode() if b"\\" not in esc else json.loads(b'"' + esc + b'"')


def _block_infos(block: bytes) -> Iterator[tuple[str, bool, bool] | None]:
    """The infos of a block of complete lines (None for a line that is not a result line):
    one regex pass when every line is in our layout, else one JSON parse per line."""
    text = b"\n" + block
    found = _LINE_RE.findall(text)
    if len(found) != block.count(b"\n"):
        for raw in block.splitlines():
            if raw.strip():
                yield _line_info(raw)
        return
    failures = False
    for esc, err in found:
        if err == b"n":
            yield _unescape(esc), True, False
        else:
            failures = True
    if failures:  # rare: parse those lines whole, for their retryable flag
        for m in _LINE_RE.finditer(text):
            if m.group(2) != b"n":
                yield _line_info(text[m.start() + 1 : text.index(b"\n", m.start() + 1)])


def _scan_blocks(path: str) -> Iterator[tuple[bytes, bool]]:
    """Blocks of complete lines; the second value is True for a torn tail (no newline), which
    is yielded last and must be ignored."""
    carry = b""
    with open(path, "rb") as fh:
        while True:
            data = fh.read(_BLOCK)
            if not data:
                break
            data = carry + data
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                yield data[:cut], False
    if carry:
        yield carry, True


def _scan(path: str) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of each complete line; a last line without newline is not yielded."""
    offset = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                return
            yield offset, raw
            offset += len(raw)


def load_index(path: str | os.PathLike[str], *, retry_failed: bool = False) -> DoneIndex:
    """The done-index of a results file (an empty one when the file does not exist).

    With ``retry_failed`` the recorded failures are not in ``done`` (they will be sent again).
    """
    path = os.fspath(path)
    index = DoneIndex()
    if not os.path.exists(path):
        return index
    done = index.done
    for block, torn in _scan_blocks(path):
        if torn:
            index.torn = True
            break
        for info in _block_infos(block):
            if info is None:
                index.bad_lines += 1
                continue
            custom_id, ok, retryable = info
            if ok:
                index.ok += 1
            else:
                index.failed += 1
                index.retryable += retryable
                if retry_failed:
                    continue
            done.add(custom_id)
    return index


def read_results(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every complete result line as a dict (a torn last line is skipped)."""
    for _, raw in _scan(os.fspath(path)):
        if raw.strip():
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict):
                yield obj


class ResultsFile:
    """Append-only writer of a results file; see the module docstring for the guarantees.

    ``open()`` cuts a torn last line off and, with ``drop_failed``, rewrites the file
    without its failure lines (atomically, through a temporary file and ``os.replace``), so
    that after ``--retry-failed`` every item is still recorded exactly once.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = os.fspath(path)
        self.fsync = fsync
        """``os.fsync`` after each line: survives a power cut, not only a killed process (slower)."""
        self._fd: int | None = None
        self.written = 0

    def open(self, *, drop_failed: bool = False) -> ResultsFile:
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        if os.path.exists(self.path):
            if drop_failed:
                self._rewrite_without_failures(directory)
            else:
                self._cut_torn_tail()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self

    def _cut_torn_tail(self) -> None:
        size = os.path.getsize(self.path)
        if size == 0:
            return
        with open(self.path, "rb+") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            # Find the last newline from the end, in blocks (a torn line can be long).
            pos, block = size, 1 << 16
            while pos > 0:
                start = max(0, pos - block)
                fh.seek(start)
                chunk = fh.read(pos - start)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    fh.truncate(start + nl + 1)
                    return
                pos = start
            fh.truncate(0)

    def _rewrite_without_failures(self, directory: str) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".zzz-bulk-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                for _, raw in _scan(self.path):
                    info = _line_info(raw) if raw.strip() else None
                    if info is not None and not info[1]:
                        continue
                    out.write(raw)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def write(self, record: dict[str, Any]) -> None:
        """Append one whole line (a single ``os.write``; no buffer to flush)."""
        if self._fd is None:
            raise RuntimeError("ResultsFile.write before open()")
        self._append(_dumps(record))
        self.written += 1

    def write_lines(self, lines: bytes, count: int) -> None:
        """Append ``count`` whole lines (e.g. :func:`success_lines`) with one ``os.write``: the
        items of one request land together, one system call for all."""
        if self._fd is None:
            raise RuntimeError("ResultsFile.write_lines before open()")
        self._append(lines)
        self.written += count

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        if self.fsync:
            os.fsync(self._fd)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> ResultsFile:
        return self if self._fd is not None else self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """One recorded item: the gateway's answer (``body``) or the ``error`` record."""

    custom_id: str
    body: dict[str, Any] | None
    error: dict[str, Any] | None
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def vectors(self) -> list[list[float]] | None:
        """An embeddings answer's vectors as floats, whether the line holds float lists or base64
        strings (lines that asked ``"encoding_format": "base64"``); None for a failure or another answer."""
        if self.body is None or not isinstance(self.body.get("data"), list):
            return None
        return parse_embedding_response(self.body).vectors


def iter_outcomes(path: str | os.PathLike[str]) -> Iterator[BulkOutcome]:
    """Every recorded item of a results file, in file order (the skins turn ``body`` into
    their framework's messages)."""
    for record in read_results(path):
        custom_id = record.get("custom_id")
        if not isinstance(custom_id, str):
            continue
        response = record.get("response")
        if not isinstance(response, dict):
            response = {}
        error = record.get("error") if isinstance(record.get("error"), dict) else None
        body = response.get("body") if error is None and isinstance(response.get("body"), dict) else None
        yield BulkOutcome(custom_id, body, error, response.get("request_id"))
