"""Mistakes caught before anything is sent.

Kept apart from :mod:`zzz_core.errors` (whose classes subclass ``openai``'s) so
that configuration, request building and profiles do not import ``openai``:
``import langchain_zzz`` stays cheap, and ``openai`` loads with the first client.
"""

from __future__ import annotations


class ConfigurationError(ValueError):
    """A setting is missing or wrong; raised before anything is sent."""


class InvalidInputError(ValueError):
    """The input cannot be sent as given (e.g. messages that are not a list)."""


# Shown (and pickled) under the module users import them from; they are part of its tree.
ConfigurationError.__module__ = InvalidInputError.__module__ = "zzz_core.errors"
