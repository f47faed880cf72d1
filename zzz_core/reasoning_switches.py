"""``reasoning_effort`` and ``thinking``: one caller's switch, sent the way the model's family takes it.

Which field a family reads is profile data (:class:`~zzz_core.profiles.ModelProfile`'s
``reasoning_effort``, ``reasoning_efforts``, ``suffix_effort`` and ``thinking_switch``),
so a new family is a profile row, not a branch here.  A switch the model cannot take
is not sent, with one warning (:func:`~zzz_core.dropped_params.warn_once`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._local_errors import InvalidInputError
from .dropped_params import warn_once
from .profiles import ModelProfile

__all__ = ["put_reasoning_effort", "put_thinking"]

_BASE_EFFORTS = ("minimal", "low", "medium", "high")
_OPTIONAL_EFFORTS = ("none", "xhigh")
_NAME_THINKING_SUFFIX = re.compile(r"-(?:nothinking|thinking(?:-\d+)?)$")


def put_reasoning_effort(body: dict[str, Any], profile: ModelProfile, model: str, effort: Any) -> None:
    """Put ``reasoning_effort`` in ``body`` if the model takes it (and its name carries no effort).

    Raises:
        InvalidInputError: An effort the model does not know (none/xhigh only where the profile lists them).
    """
    allowed = _BASE_EFFORTS + tuple(e for e in _OPTIONAL_EFFORTS if e in profile.reasoning_efforts)
    if effort not in allowed:
        raise InvalidInputError(f"reasoning_effort must be one of {', '.join(allowed)}; got {effort!r}")
    if profile.suffix_effort:
        warn_once(
            profile,
            "reasoning_effort:suffix",
            f"reasoning_effort={effort!r} was not sent: the model name "
            f"{model!r} already carries effort {profile.suffix_effort!r} in its suffix, and the suffix wins.",
        )
    elif profile.reasoning_effort:
        body["reasoning_effort"] = effort
    else:
        warn_once(
            profile,
            "reasoning_effort",
            f"reasoning_effort={effort!r} was not sent: {model!r} "
            f"({profile.family} models) does not take it. Pass it in extra_body to send it anyway.",
        )


def put_thinking(body: dict[str, Any], profile: ModelProfile, model: str, thinking: Any) -> None:
    """Put the ``thinking`` switch in ``body`` the way the model's family takes it (profile data).

    Raises:
        InvalidInputError: ``thinking`` is neither a bool, a positive int nor a mapping.
    """
    if isinstance(thinking, Mapping):  # the family's own object ({"type": "disabled"}), sent as it is
        body["thinking"] = dict(thinking)
        return
    if not isinstance(thinking, (bool, int)) or (not isinstance(thinking, bool) and thinking < 1):
        raise InvalidInputError(f"thinking must be True, False or a positive budget of tokens; got {thinking!r}")
    on = thinking is not False
    budget = None if isinstance(thinking, bool) else int(thinking)
    switch = profile.thinking_switch
    if switch == "enable_thinking":
        body["enable_thinking"] = on
        if budget is not None:
            body["thinking_budget"] = budget
    elif switch == "thinking_type":
        body["thinking"] = {"type": "enabled" if on else "disabled"}
        if budget is not None:
            warn_once(
                profile,
                "thinking:budget",
                f"thinking={budget}: {model!r} ({profile.family} models) takes no "
                "thinking budget; thinking was switched on without one.",
            )
    elif switch == "model_suffix":
        base = _NAME_THINKING_SUFFIX.sub("", str(body["model"]))
        body["model"] = f"{base}-nothinking" if not on else f"{base}-thinking" + (f"-{budget}" if budget else "")
    else:
        warn_once(
            profile,
            "thinking",
            f"thinking={thinking!r} was not sent: {model!r} ({profile.family} models) "
            "has no known thinking switch (use reasoning_effort, or extra_body with the model's own field).",
        )
