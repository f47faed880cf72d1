"""Whether a gateway's 400 refuses a parameter that relays name by another word.

Relays say which parameter they refuse in free text, sometimes by another word
(``"invalid encoding format"``, ``"unsupported encoding: base64"``).  This module
holds those words; :mod:`zzz_core.negotiation` reads the other rejection texts and
decides whether and how a request is adjusted.  Which class a failure is stays the
normalizer's decision (:mod:`zzz_core.error_map`).
"""

from __future__ import annotations

from . import errors as E

__all__ = ["PARAMETER_WORDS", "rejects_parameter"]

#: The word a gateway's refusal uses for a parameter, where it is not the parameter's own name
#: (relays say "invalid encoding format", "unsupported encoding: base64", ...).
PARAMETER_WORDS: dict[str, str] = {"encoding_format": "encoding"}


def rejects_parameter(exc: E.ZZZError, name: str) -> bool:
    """Whether ``exc`` is the gateway refusing the request because of the parameter ``name``.

    True for an :class:`~zzz_core.errors.InvalidRequestError` (or subclass) whose message
    or body excerpt names the parameter (:data:`PARAMETER_WORDS`).  :mod:`zzz_core.negotiation`
    uses it for the parameters relays name by another word (embeddings ask for
    ``encoding_format="base64"`` and fall back to floats when it is refused).
    """
    if not isinstance(exc, E.InvalidRequestError):
        return False
    word = PARAMETER_WORDS.get(name, name)
    return word in f"{exc.msg} {exc.body_excerpt}".lower()
