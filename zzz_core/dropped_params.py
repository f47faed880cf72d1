"""Parameters a model answers 400 to: not sent, and said so once.

A model's :class:`~zzz_core.profiles.ModelProfile` lists the parameters it rejects
(``unsupported_params``).  Such a parameter is left out of the body with one
``UserWarning`` per (family, parameter) per process, never silently, and the
warning points at the user's own line, past every framework frame.
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType
from typing import Any

from .profiles import ModelProfile

__all__ = ["put_param", "put_params", "reset_param_warnings", "warn_once"]

_warned: set[tuple[str, str]] = set()

#: Top-level packages whose frames a warning skips, so it names the caller's line.
_INTERNAL = (
    "zzz_core",
    "langchain_zzz",
    "llamaindex_zzz",
    "langchain_core",
    "langchain",
    "langgraph",
    "llama_index",
    "pydantic",
)


def reset_param_warnings() -> None:
    """Forget which (family, parameter) warnings were given, so they are given again (for tests)."""
    _warned.clear()


def warn_once(profile: ModelProfile, key: str, message: str) -> None:
    """Warn ``message`` unless a warning with ``key`` was given for the profile's family already."""
    if (profile.family, key) not in _warned:
        _warned.add((profile.family, key))
        warnings.warn(message, UserWarning, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The stacklevel that points a warning at the user's own line, past every framework frame."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".", 1)[0] in _INTERNAL:
        frame, level = frame.f_back, level + 1
    return level


def put_param(body: dict[str, Any], profile: ModelProfile, model: str, name: str, value: Any, wire: str = "") -> None:
    """Set ``body[wire or name] = value`` unless the value is None or the model rejects the parameter."""
    if value is None:
        return
    wire = wire or name
    if name in profile.unsupported_params or wire in profile.unsupported_params:
        warn_once(
            profile,
            wire,
            f"{wire}={value!r} was not sent: {model!r} ({profile.family} models) answers 400 "
            f"to {wire}. Pass it in extra_body to send it anyway, or override unsupported_params.",
        )
    else:
        body[wire] = value


def put_params(body: dict[str, Any], profile: ModelProfile, model: str, params: dict[str, Any]) -> None:
    """:func:`put_param` for each ``name: value`` of ``params``, in order."""
    for name, value in params.items():
        put_param(body, profile, model, name, value)
