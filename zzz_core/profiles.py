"""What a model behind the relay can take, as data: :class:`ModelProfile` and its lookup.

One key reaches every vendor's model through the gateway, and those models
disagree about the request: gpt-5 and the o-series want ``max_completion_tokens``
and answer 400 to ``temperature``; DeepSeek's thinking models answer 400 unless
``reasoning_content`` comes back on tool-call turns; Claude and Gemini behind a
relay do not reliably take a ``json_schema`` response format.  Rather than name
checks scattered through the request builder and both skins, every such fact is
one field of one profile, found by name in an ordered table
(:mod:`zzz_core._profile_table`).  The skins read the same profile for LangChain's
``profile`` and LlamaIndex's ``metadata``.

Lookup never fails for an unknown model: it gets conservative defaults
(``known=False``).  Users add or correct rows with :func:`register_profile`, or
per instance with ``get_profile(model, overrides)``.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import _profile_table
from ._local_errors import ConfigurationError, InvalidInputError

__all__ = [
    "PROFILE_FIELDS",
    "REASONING_EFFORTS",
    "STRUCTURED_OUTPUT_METHODS",
    "THINKING_SWITCHES",
    "UNKNOWN_PROFILE",
    "ModelProfile",
    "get_profile",
    "list_profiles",
    "register_profile",
    "unregister_profile",
]

#: Every reasoning effort any model takes, weakest first.
REASONING_EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")
#: The values of :attr:`ModelProfile.structured_output_method`.
STRUCTURED_OUTPUT_METHODS: tuple[str, ...] = ("json_schema", "function_calling", "json_mode")
#: The ways a family takes the ``thinking=`` switch (``ModelProfile.thinking_switch``).
THINKING_SWITCHES: tuple[str | None, ...] = (None, "enable_thinking", "thinking_type", "model_suffix")
_MAX_TOKENS_PARAMS = ("max_tokens", "max_completion_tokens")


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """The capabilities and request quirks of one model (or one family of names).

    Field defaults are the conservative values an unknown model gets.
    """

    name_pattern: str
    """The table pattern this profile came from (``*`` for the fallback)."""
    family: str
    """Groups models for per-family decisions, e.g. one warning per family and parameter."""
    context_window: int = 32_768
    """Input + output tokens (for embedding models: the longest input)."""
    max_output_tokens: int = 4096
    chat: bool = True
    """Served on /v1/chat/completions (False for completion-only and embedding models)."""
    completion: bool = False
    """Served on /v1/completions.  Advisory: skins should not refuse a call on it."""
    embedding: bool = False
    embedding_dimensions: int | None = None
    dimensions_configurable: bool = False
    """Accepts the ``dimensions`` parameter of /v1/embeddings."""
    rerank: bool = False
    """A rerank (cross-encoder) model, served on /v1/rerank.  Advisory: any name may be sent there."""
    max_documents: int | None = None
    """Rerank models: documents one request may carry (an upstream's limit); ``None``: no known
    limit.  ``Gateway.rerank`` splits longer lists into batches of this size."""
    tool_calling: bool = True
    parallel_tool_calls: bool = False
    """May return several tool calls in one turn."""
    tool_choice: bool = True
    vision: bool = False
    json_mode: bool = False
    """Accepts ``response_format={"type": "json_object"}``."""
    json_schema: bool = False
    """Accepts ``response_format={"type": "json_schema", ...}`` through the relays."""
    structured_output_method: str = "function_calling"
    """Default for LangChain ``with_structured_output`` / LlamaIndex ``structured_predict``."""
    reasoning: bool = False
    """A reasoning (thinking) model.  Its reasoning text is surfaced when the relay returns
    it; OpenAI o-series/gpt-5 return none through Chat Completions, only reasoning_tokens."""
    reasoning_effort: bool = False
    """Accepts the ``reasoning_effort`` parameter."""
    reasoning_efforts: tuple[str, ...] = ()
    max_tokens_param: str = "max_tokens"
    """The name ``max_tokens`` goes out under: ``max_tokens`` or ``max_completion_tokens``."""
    unsupported_params: frozenset[str] = frozenset()
    """Parameters the model answers 400 to; the request builder drops them with a warning."""
    replay_reasoning: bool = False
    """Earlier assistant tool-call turns must carry their ``reasoning_content`` back."""
    stream_usage: bool = True
    """Accepts ``stream_options: {"include_usage": true}``."""
    suffix_effort: str | None = None
    """The reasoning effort a new-api name suffix carries (``o3-mini-high`` -> ``"high"``)."""
    thinking: bool | None = None
    """Set by a ``-thinking`` (True) or ``-nothinking`` (False) name suffix."""
    thinking_switch: str | None = None
    """How the ``thinking=`` setting reaches this family (wire-facts-2 §6): ``"enable_thinking"``
    (DashScope/Qwen: ``enable_thinking`` + ``thinking_budget``), ``"thinking_type"`` (GLM, DeepSeek,
    Kimi: ``thinking: {"type": "enabled"|"disabled"}``), ``"model_suffix"`` (new-api's
    ``-thinking``/``-thinking-<budget>``/``-nothinking`` on the model name), or None (no switch)."""
    thinking_stream_only: bool = False
    """Thinking is accepted only on streams (DashScope: "enable_thinking must be set to false for
    non-streaming calls"), so a non-streamed call with thinking on is streamed internally."""
    known: bool = True
    """False for the fallback an unknown model gets."""

    def __post_init__(self) -> None:
        # Coerce the two collection fields so rows and overrides may use lists or sets.
        if not isinstance(self.unsupported_params, frozenset):
            object.__setattr__(self, "unsupported_params", frozenset(self.unsupported_params))
        if not isinstance(self.reasoning_efforts, tuple):
            object.__setattr__(self, "reasoning_efforts", tuple(self.reasoning_efforts))
        problems = []
        if self.thinking_switch not in THINKING_SWITCHES:
            problems.append(f"thinking_switch must be one of {THINKING_SWITCHES}")
        if self.structured_output_method not in STRUCTURED_OUTPUT_METHODS:
            problems.append(f"structured_output_method must be one of {STRUCTURED_OUTPUT_METHODS}")
        if self.max_tokens_param not in _MAX_TOKENS_PARAMS:
            problems.append(f"max_tokens_param must be one of {_MAX_TOKENS_PARAMS}")
        bad = [e for e in self.reasoning_efforts if e not in REASONING_EFFORTS]
        if bad:
            problems.append(f"reasoning_efforts {bad} are not among {REASONING_EFFORTS}")
        for name in ("context_window", "max_output_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"{name} must be a non-negative int, not {value!r}")
        if self.max_documents is not None and (
            not isinstance(self.max_documents, int) or isinstance(self.max_documents, bool) or self.max_documents < 1
        ):
            problems.append(f"max_documents must be a positive int or None, not {self.max_documents!r}")
        if problems:
            raise ConfigurationError(f"invalid profile {self.name_pattern!r}: " + "; ".join(problems))


#: Public field names (what ``overrides`` and ``register_profile`` accept).
PROFILE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ModelProfile))
_FIELD_SET = frozenset(PROFILE_FIELDS)

UNKNOWN_PROFILE = ModelProfile(**_profile_table.FALLBACK)
"""What :func:`get_profile` returns (before suffixes) for a name no row matches."""

_THINKING_SUFFIX = re.compile(r"-(?:(nothinking)|thinking(?:-\d+)?)$")
_EFFORT_SUFFIX = re.compile(r"-(xhigh|high|medium|low|minimal|none)$")


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in pattern.split("|")))


def _build_builtin() -> tuple[tuple[re.Pattern[str], ModelProfile], ...]:
    return tuple((_compile(p), ModelProfile(name_pattern=p, **fields)) for p, fields in _profile_table.ROWS)


_BUILTIN = _build_builtin()
# Newest first.  Rebound (never mutated) under the lock, so a lookup in another thread
# always iterates one consistent tuple.  Register rows at start-up, before traffic.
_user_rows: tuple[tuple[re.Pattern[str], ModelProfile], ...] = ()
_lock = threading.Lock()


def _normalize(model: str) -> str:
    """Lower-case; ``ft:<base>:...`` -> base; drop ``vendor/`` prefixes and ``:tag`` suffixes."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:]
    name = name.rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def _match(name: str) -> tuple[int, ModelProfile]:
    """The first row matching a normalized name, with its position (user rows first)."""
    user_rows = _user_rows
    for i, (rx, prof) in enumerate(user_rows):
        if rx.match(name):
            return i, prof
    offset = len(user_rows)
    for i, (rx, prof) in enumerate(_BUILTIN):
        if rx.match(name):
            return offset + i, prof
    return offset + len(_BUILTIN), UNKNOWN_PROFILE


@lru_cache(maxsize=1024)
def _resolve(model: str) -> ModelProfile:
    name = _normalize(model)
    pos, prof = _match(name)
    m = _THINKING_SUFFIX.search(name)
    if m:
        base_pos, base = _match(name[: m.start()])
        # A row matching the full name more specifically than the base does wins:
        # kimi-k2-thinking is a model of its own, gemini-2.5-flash-thinking is a suffix.
        if pos < base_pos:
            return prof
        on = m.group(1) is None
        changes: dict[str, Any] = {"thinking": on, "reasoning": on}
        if not on:
            changes["replay_reasoning"] = False
        return dataclasses.replace(base, **changes)
    m = _EFFORT_SUFFIX.search(name)
    if m:
        base_pos, base = _match(name[: m.start()])
        if base.family in _profile_table.EFFORT_SUFFIX_FAMILIES and pos >= base_pos:
            return dataclasses.replace(base, suffix_effort=m.group(1))
    return prof


def _check_fields(fields: Mapping[str, Any], what: str) -> None:
    unknown = sorted(set(fields) - _FIELD_SET)
    if unknown:
        raise ConfigurationError(
            f"unknown {what} {', '.join(map(repr, unknown))}; valid keys: {', '.join(PROFILE_FIELDS)}"
        )


def get_profile(model: str, overrides: Mapping[str, Any] | None = None) -> ModelProfile:
    """Look up what ``model`` can take.  Never raises for an unknown model name.

    The name is lower-cased; a vendor prefix (``openai/``, ``deepseek-ai/``), an
    ``ft:`` fine-tune wrapper and a ``:tag`` are dropped.  new-api name suffixes
    are read and the profile is the base name's: ``-high``/``-medium``/``-low``/
    ``-minimal``/``-none``/``-xhigh`` on o-series and gpt-5 names set
    ``suffix_effort``; ``-thinking`` / ``-thinking-<budget>`` set ``thinking`` and
    ``reasoning``; ``-nothinking`` clears them (and ``replay_reasoning``).  A name
    the table lists in full (``kimi-k2-thinking``) is not read as a suffix.

    Args:
        model: The model name as sent to the gateway.
        overrides: Field values replacing the table's (e.g. ``{"context_window": 65536}``).

    Returns:
        The profile; ``known`` is False when no row matched.

    Raises:
        InvalidInputError: ``model`` is not a string.
        ConfigurationError: ``overrides`` names an unknown field or an invalid value.
    """
    if not isinstance(model, str):
        raise InvalidInputError(f"model must be a string; got {type(model).__name__}")
    profile = _resolve(model)
    if overrides:
        _check_fields(overrides, "profile override")
        profile = dataclasses.replace(profile, **overrides)
    return profile


def register_profile(pattern: str, *, like: str | None = None, **fields: Any) -> ModelProfile:
    """Add a row at run time, ahead of the built-in table.

    Rows registered later are tried first; registering the same pattern again
    replaces the earlier row.  Patterns are shell-style globs on the normalized
    name (see :func:`get_profile`), several separated by ``|``.  Example::

        register_profile("my-ft-*", like="gpt-4o-mini", context_window=65536)

    Args:
        pattern: Glob(s) matched against the lower-cased, prefix-free name.
        like: Start from this model's profile instead of the unknown-model defaults.
        **fields: :class:`ModelProfile` field values.

    Returns:
        The registered profile.

    Raises:
        ConfigurationError: An empty pattern, an unknown field name or an invalid value.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigurationError("register_profile needs a non-empty name pattern")
    pattern = pattern.strip().lower()
    _check_fields(fields, "profile field")
    if like:
        base = get_profile(like)
        start = {name: getattr(base, name) for name in PROFILE_FIELDS}
    else:
        start = dict(_profile_table.FALLBACK, family="custom")
    start.update(suffix_effort=None, thinking=None, known=True)
    start.update(fields)
    start["name_pattern"] = pattern
    profile = ModelProfile(**start)
    row = (_compile(pattern), profile)
    global _user_rows
    with _lock:
        _user_rows = (row, *(r for r in _user_rows if r[1].name_pattern != pattern))
        _resolve.cache_clear()
    return profile


def unregister_profile(pattern: str) -> bool:
    """Remove a row added by :func:`register_profile`; True if there was one."""
    pattern = pattern.strip().lower()
    global _user_rows
    with _lock:
        before = len(_user_rows)
        _user_rows = tuple(r for r in _user_rows if r[1].name_pattern != pattern)
        _resolve.cache_clear()
        return len(_user_rows) != before


def list_profiles() -> tuple[ModelProfile, ...]:
    """Every row in lookup order: registered rows (newest first), then the built-in table."""
    return tuple(p for _, p in _user_rows) + tuple(p for _, p in _BUILTIN)
