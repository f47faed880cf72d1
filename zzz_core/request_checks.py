"""The caller's input checked before a request body is built, with errors that say what to do.

A malformed value is refused here, before anything is sent or paid for, with an
:class:`~zzz_core.errors.InvalidInputError` naming the value (and, for a list of
texts, the 0-based positions at fault).  Pure: no I/O, no openai import.
"""

from __future__ import annotations

from typing import Any

from ._local_errors import InvalidInputError
from .profiles import ModelProfile

__all__ = ["check_common", "check_dimensions", "check_prompt", "check_texts"]


def check_common(model: Any, max_tokens: Any, stop: Any) -> Any:
    """Validate what chat and completions share; return ``stop`` normalized ([] -> None).

    Raises:
        InvalidInputError: An empty model name, a max_tokens that is not a positive int,
            or a stop that is neither a string nor a list of strings.
    """
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(f"model must be a non-empty string; got {model!r}")
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise InvalidInputError(f"max_tokens must be a positive int; got {max_tokens!r}")
    if stop is None or isinstance(stop, str):
        return stop
    if isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
        return list(stop) or None  # an empty list means "no stop sequences"
    raise InvalidInputError(f"stop must be a string or a list of strings; got {stop!r}")


def check_prompt(prompt: Any) -> None:
    """Refuse a completion prompt that is not a string or a non-empty list of strings."""
    if not isinstance(prompt, str) and not (
        isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)
    ):
        raise InvalidInputError(f"prompt must be a string or a non-empty list of strings; got {type(prompt).__name__}")


def check_texts(texts: Any) -> list[str]:
    """The texts to embed as a list; refuse anything but non-empty strings, naming the positions.

    Raises:
        InvalidInputError: Not a non-empty list (or tuple), or an item that is not a
            string (token arrays included) or is empty.
    """
    texts = list(texts) if isinstance(texts, tuple) else texts
    if not isinstance(texts, list) or not texts:
        hint = " (wrap a single text in a list)" if isinstance(texts, str) else ""
        got = "an empty list" if texts == [] else type(texts).__name__
        raise InvalidInputError(f"texts must be a non-empty list of strings; got {got}{hint}")
    not_str = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if not_str:
        kinds = ", ".join(sorted({type(texts[i]).__name__ for i in not_str}))
        found = _positions(not_str, "is not a string", "are not strings")
        raise InvalidInputError(f"{found} ({kinds}); send raw text, not token arrays")
    empty = [i for i, t in enumerate(texts) if not t]
    if empty:
        found = _positions(empty, "is an empty string", "are empty strings")
        raise InvalidInputError(f"{found}; the gateway rejects empty input")
    return texts


def check_dimensions(model: str, profile: ModelProfile, dimensions: Any) -> bool:
    """Whether to send ``dimensions``; refuse a size the model cannot give.

    A known fixed-size model gets nothing sent when ``dimensions`` equals its size,
    and an error otherwise; a model that shortens its vectors takes at most its size;
    an unknown model gets it sent.

    Raises:
        InvalidInputError: Not a positive int, or a size the model does not give.
    """
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
        raise InvalidInputError(f"dimensions must be a positive int; got {dimensions!r}")
    size = profile.embedding_dimensions
    fixed = profile.known and profile.embedding and not profile.dimensions_configurable
    if fixed and dimensions != size:
        raise InvalidInputError(
            f"{model!r} always returns {size}-dimensional vectors and does not take "
            f"dimensions={dimensions}; use a model that does, e.g. text-embedding-3-small"
        )
    if profile.dimensions_configurable and size and dimensions > size:
        raise InvalidInputError(f"dimensions for {model!r} must be at most {size}; got {dimensions}")
    return not fixed


def _positions(indexes: list[int], one: str, many: str) -> str:
    """``input 3 is ...`` / ``inputs 3 and 7 are ...`` (at most ten positions named)."""
    shown = [str(i) for i in indexes[:10]]
    if len(indexes) == 1:
        return f"input {shown[0]} {one}"
    head = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(indexes) <= 10 else ", ".join(shown)
    more = f" and {len(indexes) - 10} more" if len(indexes) > 10 else ""
    return f"inputs {head}{more} {many}"
