"""A fake 智增增 / new-api gateway for tests, demos and users' own tests.

``GatewaySimulator("zhizengzeng" | "newapi")`` serves the OpenAI-compatible routes on
127.0.0.1 with each gateway's wire quirks (智增增's ``{"code", "msg"}`` envelope, new-api's
error texts and billing routes), deterministic grounded answers, tool calls, schema-valid
JSON, reasoning fields, meaningful embeddings and faults on demand.  Prompt formats that
frameworks put in plain text (ReAct steps, a ``Query:`` inside a RAG context message, JSON
keys named in the prompt) are recognised by :mod:`zzz_core.simulator.prompts`, tool
choice by meaning by :mod:`zzz_core.simulator.tools`; ``zzz_quirks=True`` adds 智增增's
empty ``id`` and null ``model``::

    from zzz_core.simulator import Fault, GatewaySimulator

    with GatewaySimulator("newapi") as sim:
        sim.inject(Fault.error("balance"))
        client = openai.OpenAI(base_url=sim.base_url, api_key="sk-test", max_retries=0)
        ...

The same behaviour is available without sockets through ``sim.transport()``.  Faults
and their names are listed in :mod:`zzz_core.simulator.faults`; the pytest fixtures
``zzz_simulator`` and ``zzz_simulator_factory`` live in
:mod:`zzz_core.simulator.pytest_plugin`.  Standard library only (``httpx``/``httpx2``
are imported lazily by the transport).
"""

from .answers import is_reasoning_model, synthesize
from .embeddings import cosine, embed
from .faults import CATEGORIES, DIALECTS, ERROR_SAMPLES, SHAPES, SSE_ERROR_STYLES, Fault, error_body
from .handlers import MODELS, SimConfig, SimRequest, SimResponse, handle
from .server import GatewaySimulator, RecordedRequest
from .streams import DROP, Drop, Sleep

__all__ = [
    "CATEGORIES",
    "DIALECTS",
    "DROP",
    "Drop",
    "ERROR_SAMPLES",
    "Fault",
    "GatewaySimulator",
    "MODELS",
    "RecordedRequest",
    "SHAPES",
    "SSE_ERROR_STYLES",
    "SimConfig",
    "SimRequest",
    "SimResponse",
    "Sleep",
    "cosine",
    "embed",
    "error_body",
    "handle",
    "is_reasoning_model",
    "synthesize",
]
