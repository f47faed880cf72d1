"""The requests of a bulk job, read as a stream: JSONL files or any iterable.

Accepted line forms (one JSON object per line; blank lines are skipped):

- the OpenAI Batch API input format, so one file serves ``zzz bulk`` and ``zzz batch``::

      {"custom_id": "q1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "…", "messages": […]}}

- shorthands, whose other keys become body parameters::

      {"custom_id"?: "q1", "messages": [...], "temperature"?: 0}   chat
      {"custom_id"?: "q2", "prompt": "..."}                         completions
      {"custom_id"?: "q3", "input": "..."}                          embeddings

``model=`` fills a body that has none.  A line without ``custom_id`` gets a stable one
from its content (``zzz-<hash of the line>``), so a rerun over the same file finds the same
ids.  Malformed lines and duplicate ids are :class:`BulkInputError` naming the line number;
:func:`scan` finds them all before anything is sent, keeping only 8 bytes per item.
"""

from __future__ import annotations

import hashlib
import json
import os
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from .._local_errors import InvalidInputError

if TYPE_CHECKING:
    from typing_extensions import TypeIs

__all__ = [
    "ENDPOINTS",
    "KINDS",
    "BulkInputError",
    "BulkItem",
    "InputSummary",
    "chat_lines",
    "iter_items",
    "parse_item",
    "scan",
    "stable_id",
]

ENDPOINTS: dict[str, str] = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "embeddings": "/v1/embeddings",
}
"""Job kind -> the Batch API ``url`` of its requests."""

KINDS: dict[str, str] = {url: kind for kind, url in ENDPOINTS.items()}
_ALIASES = {"complete": "completions", "completion": "completions", "embed": "embeddings", "embedding": "embeddings"}
_BATCH_KEYS = frozenset({"custom_id", "method", "url", "body"})

Source = Union[str, "os.PathLike[str]", Iterable[Any]]
"""A JSONL path, or an iterable of dicts (or of JSON strings)."""


class BulkInputError(InvalidInputError):
    """A request of the input cannot be sent as given; ``line`` is its 1-based line number
    (for an iterable, its 1-based position)."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None) -> None:
        where = f"{source}:" if source else ""
        prefix = f"{where}line {line}: " if line is not None else where
        super().__init__(prefix + message)
        self.line = line
        self.source = source


@dataclass(frozen=True, slots=True)
class BulkItem:
    """One request of a bulk job."""

    custom_id: str
    kind: str
    """``"chat"``, ``"completions"`` or ``"embeddings"``."""
    body: dict[str, Any]
    line: int

    @property
    def url(self) -> str:
        return ENDPOINTS[self.kind]

    def batch_line(self) -> dict[str, Any]:
        """This request in the Batch API input format."""
        return {"custom_id": self.custom_id, "method": "POST", "url": self.url, "body": self.body}


@dataclass(frozen=True, slots=True)
class InputSummary:
    """What :func:`scan` found: how many requests, and of which kinds."""

    count: int
    kinds: frozenset[str]


def normalize_kind(kind: str | None) -> str | None:
    """``"chat"``/``"completions"``/``"embeddings"`` (``complete``/``embed`` accepted), or None."""
    if kind is None:
        return None
    k = _ALIASES.get(kind, kind)
    if k not in ENDPOINTS:
        raise InvalidInputError(
            f"unknown bulk job kind {kind!r}: use chat, completions (complete) or embeddings (embed)"
        )
    return k


def stable_id(obj: Any) -> str:
    """The id of a line without ``custom_id``: a hash of its canonical JSON (key order and
    spacing do not matter), so the same line gets the same id in every run."""
    canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "zzz-" + hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


def parse_item(obj: Any, *, line: int, kind: str | None = None, model: str | None = None) -> BulkItem:
    """Check one decoded line and turn it into a :class:`BulkItem` (``BulkInputError`` if it cannot be sent)."""
    return _parse(obj, line, normalize_kind(kind), model)


def _parse(obj: Any, line: int, kind: str | None, model: str | None) -> BulkItem:
    # parse_item with ``kind`` already normalized (iter_items does it once, not per line).
    if not isinstance(obj, dict):
        raise BulkInputError(f"expected a JSON object, got {type(obj).__name__}", line=line)
    custom_id = obj.get("custom_id")
    if custom_id is not None and (not isinstance(custom_id, str) or not custom_id):
        raise BulkInputError("custom_id must be a non-empty string", line=line)
    if "body" in obj or "url" in obj:
        item_kind, body = _batch_form(obj, line)
    else:
        item_kind, body = _shorthand(obj, line)
    if kind is not None and item_kind != kind:
        raise BulkInputError(
            f"this is a {item_kind} request, but the job is {kind}: run it as `zzz bulk "
            f"{_cli_name(item_kind)}` or fix the line",
            line=line,
        )
    if not body.get("model"):
        if not model:
            raise BulkInputError('no model: pass --model (model=) or put "model" in the body', line=line)
        body["model"] = model
    elif not isinstance(body["model"], str):
        raise BulkInputError("model must be a string", line=line)
    _check_body(item_kind, body, line)
    return BulkItem(custom_id or stable_id(obj), item_kind, body, line)


def _batch_form(obj: dict[str, Any], line: int) -> tuple[str, dict[str, Any]]:
    extra = sorted(set(obj) - _BATCH_KEYS)
    if extra:
        raise BulkInputError(f"unexpected keys {extra} in a Batch API line (custom_id, method, url, body)", line=line)
    method = obj.get("method", "POST")
    if method != "POST":
        raise BulkInputError(f'method must be "POST", not {method!r}', line=line)
    url = obj.get("url")
    if not isinstance(url, str):
        raise BulkInputError('url is missing: one of "/v1/chat/completions", "/v1/completions", "/v1/embeddings"',
                             line=line)  # fmt: skip
    item_kind = KINDS.get(url if url.startswith("/v1/") else "/v1" + url)
    if item_kind is None:
        raise BulkInputError(f"unsupported url {url!r}: use one of {sorted(KINDS)}", line=line)
    body = obj.get("body")
    if not isinstance(body, dict):
        raise BulkInputError("body must be a JSON object", line=line)
    return item_kind, dict(body)


def _shorthand(obj: dict[str, Any], line: int) -> tuple[str, dict[str, Any]]:
    # Every line is read twice per job (checked, then sent): plain tests, no loops.
    chat, prompt, text = "messages" in obj, "prompt" in obj, "input" in obj
    if chat + prompt + text != 1:
        raise BulkInputError(
            'expected a Batch API line ({"custom_id", "method", "url", "body"}) or one of the shorthands '
            '{"messages": [...]}, {"prompt": "..."}, {"input": "..."}' + (f"; got {sorted(obj)[:6]}" if obj else ""),
            line=line,
        )
    kind = "chat" if chat else "completions" if prompt else "embeddings"
    body = dict(obj)
    body.pop("custom_id", None)
    return kind, body


def _check_body(kind: str, body: dict[str, Any], line: int) -> None:
    if kind == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BulkInputError("messages must be a non-empty list", line=line)
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise BulkInputError(f'messages[{i}] must be an object with a "role"', line=line)
    elif kind == "completions":
        prompt = body.get("prompt")
        if not (
            isinstance(prompt, str) or (isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt))
        ):
            raise BulkInputError("prompt must be a string or a non-empty list of strings", line=line)
    else:
        text = body.get("input")
        ok = (
            isinstance(text, str)
            and text
            or (isinstance(text, list) and text and all(isinstance(t, str) and t for t in text))
        )
        if not ok:
            raise BulkInputError("input must be a non-empty string or a non-empty list of them", line=line)
    if body.get("stream"):
        raise BulkInputError("stream is not supported in a bulk job (each answer is recorded whole)", line=line)


def _cli_name(kind: str) -> str:
    return {"completions": "complete", "embeddings": "embed"}.get(kind, kind)


def _is_path(source: Any) -> TypeIs[str | os.PathLike[str]]:
    return isinstance(source, (str, os.PathLike))


def iter_items(source: Source, *, kind: str | None = None, model: str | None = None) -> Iterator[BulkItem]:
    """Yield the requests of ``source`` one at a time (a file is never read whole)."""
    kind = normalize_kind(kind)
    if _is_path(source):
        name = os.fspath(source)
        with open(name, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:  # not ValueError: UnicodeDecodeError is one too
                    raise BulkInputError(f"not valid JSON ({exc.msg} at column {exc.colno})", line=n,
                                         source=name) from None  # fmt: skip
                except UnicodeDecodeError:
                    raise BulkInputError("not UTF-8 text", line=n, source=name) from None
                try:
                    yield _parse(obj, n, kind, model)
                except BulkInputError as exc:
                    exc.source = name
                    exc.args = (f"{name}:{exc.args[0]}",)
                    raise
        return
    for n, obj in enumerate(source, 1):
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj)
            except ValueError as exc:
                raise BulkInputError(f"not valid JSON ({exc})", line=n) from None
        elif isinstance(obj, BulkItem):
            obj = {"custom_id": obj.custom_id, "url": obj.url, "body": obj.body}
        yield _parse(obj, n, kind, model)


def chat_lines(
    conversations: Iterable[list[dict[str, Any]]], *, ids: Iterable[str] | None = None, **body: Any
) -> Iterator[dict[str, Any]]:
    """One chat shorthand line per conversation (OpenAI-format messages), read lazily.

    The skins' bulk helpers convert their framework's messages and hand them here.

    Args:
        conversations: The messages of each request.
        ids: The ``custom_id`` of each request, in order (default: :func:`stable_id` later,
            when the line is read).
        **body: Request parameters for every request (``temperature=0``, ``max_tokens=…``).

    Raises:
        ValueError: ``ids`` ran out before ``conversations`` did.
    """
    id_iter = iter(ids) if ids is not None else None
    for messages in conversations:
        line: dict[str, Any] = {"messages": messages, **body}
        if id_iter is not None:
            try:
                line["custom_id"] = next(id_iter)
            except StopIteration:
                raise ValueError("ids ran out before the requests did: give one id per request") from None
        yield line


def id_hash(custom_id: str) -> int:
    """A 64-bit hash of an id, the same in every process (``hash()`` of a str is not)."""
    return int.from_bytes(hashlib.blake2b(custom_id.encode(), digest_size=8).digest(), "little", signed=True)


_scan_hash = hash
"""The duplicate check's hash (a module name so that a test can make every id collide)."""
_BUCKETS = 256
"""The hashes are kept in this many arrays (by their low byte) and each is checked alone, so
the check's transient cost is one bucket's, not the whole input's."""


def scan(source: Source, *, kind: str | None = None, model: str | None = None) -> InputSummary:
    """Read all of ``source`` once and raise :class:`BulkInputError` for its first malformed
    line or repeated ``custom_id``; nothing is sent.

    Memory: 8 bytes per request (a 64-bit hash of each id, in typed arrays).  Repeats are
    found by sorting one bucket of the hashes at a time: sorting them all at once would box
    every hash into a Python int (some 40 bytes per request, 80 MB at 2,000,000 requests).
    A hash collision is checked against the ids themselves before it is reported, so it
    never causes a false error.  The hash is ``hash()`` (this pass and the collision check
    run in one process), a tenth of the cost of :func:`id_hash`.
    """
    buckets = [array("q") for _ in range(_BUCKETS)]
    kinds: set[str] = set()
    count = 0
    for item in iter_items(source, kind=kind, model=model):
        h = _scan_hash(item.custom_id)
        buckets[h & (_BUCKETS - 1)].append(h)
        kinds.add(item.kind)
        count += 1
    suspects: set[int] = set()
    for bucket in buckets:
        if len(bucket) > 1:
            ordered = sorted(bucket)
            suspects.update(a for a, b in zip(ordered, ordered[1:], strict=False) if a == b)
    del buckets
    if suspects:
        _report_duplicate(source, suspects, kind=kind, model=model)
    return InputSummary(count, frozenset(kinds))


def _report_duplicate(source: Source, suspects: set[int], *, kind: str | None, model: str | None) -> None:
    seen: dict[str, int] = {}
    for item in iter_items(source, kind=kind, model=model):
        if _scan_hash(item.custom_id) not in suspects:
            continue
        first = seen.get(item.custom_id)
        if first is not None:
            generated = item.custom_id.startswith("zzz-")
            what = (
                f"repeats line {first} exactly (no custom_id, same content): give them distinct custom_ids or drop one"
                if generated
                else f"custom_id {item.custom_id!r} was already used on line {first}: every custom_id must be unique"
            )
            raise BulkInputError(what, line=item.line, source=os.fspath(source) if _is_path(source) else None)
        seen[item.custom_id] = item.line
