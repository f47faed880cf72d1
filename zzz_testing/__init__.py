"""A fake 智增增 / new-api gateway for tests, demos and users' own tests.

``GatewaySimulator("zhizengzeng" | "newapi")`` serves the OpenAI-compatible routes on
127.0.0.1 with each gateway's wire quirks (智增增's ``{"code", "msg"}`` envelope, new-api's
error texts and billing routes), deterministic grounded answers, tool calls, schema-valid
JSON, reasoning fields, meaningful embeddings and faults on demand.  Prompt formats that
frameworks put in plain text (ReAct steps, a ``Query:`` inside a RAG context message, JSON
keys named in the prompt) are recognised by :mod:`zzz_testing.prompts`, tool
choice by meaning by :mod:`zzz_testing.tools`; ``zzz_quirks=True`` adds 智增增's
empty ``id`` and null ``model``::

    from zzz_testing import Fault, GatewaySimulator

    with GatewaySimulator("newapi") as sim:
        sim.inject(Fault.error("balance"))
        client = openai.OpenAI(base_url=sim.base_url, api_key="sk-test", max_retries=0)
        ...

The same behaviour is available without sockets through ``sim.transport()``.  Faults
and their names are listed in :mod:`zzz_testing.faults`; the pytest fixtures
``zzz_simulator`` and ``zzz_simulator_factory`` live in
:mod:`zzz_testing.pytest_plugin`.  Standard library only (``httpx``/``httpx2``
are imported lazily by the transport).

Names are imported lazily (PEP 562), so that the ``pytest11`` plugin registered for this
package costs nothing in a test run that asks for no simulator fixture.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "is_reasoning_model": "answers",
    "synthesize": "answers",
    "BatchStore": "batches",
    "BatchTiming": "batches",
    "cosine": "embeddings",
    "embed": "embeddings",
    "CATEGORIES": "faults",
    "DIALECTS": "faults",
    "ERROR_SAMPLES": "faults",
    "SHAPES": "faults",
    "SSE_ERROR_STYLES": "faults",
    "Fault": "faults",
    "error_body": "faults",
    "MODELS": "handlers",
    "SimConfig": "handlers",
    "SimRequest": "handlers",
    "SimResponse": "handlers",
    "handle": "handlers",
    "GatewaySimulator": "server",
    "RecordedRequest": "server",
    "DROP": "streams",
    "Drop": "streams",
    "Sleep": "streams",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zzz_testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"zzz_testing.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from .answers import is_reasoning_model, synthesize
    from .batches import BatchStore, BatchTiming
    from .embeddings import cosine, embed
    from .faults import CATEGORIES, DIALECTS, ERROR_SAMPLES, SHAPES, SSE_ERROR_STYLES, Fault, error_body
    from .handlers import MODELS, SimConfig, SimRequest, SimResponse, handle
    from .server import GatewaySimulator, RecordedRequest
    from .streams import DROP, Drop, Sleep
