"""End to end through the real openai client: errors are also openai's class for their status, in both skins."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

KEY = "sk-SECRETstatusclasses0123456789abcdef012345678"

CASES = [  # (dialect, category, the zzz_core class, openai's class for the status it comes with)
    ("newapi", "model_not_found", E.ModelNotFoundError, openai.InternalServerError),  # 503
    ("newapi", "balance", E.InsufficientBalanceError, openai.PermissionDeniedError),  # 403
    ("zhizengzeng", "model_not_found", E.ModelNotFoundError, openai.NotFoundError),  # 404
]


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, GatewaySimulator]]:
    with GatewaySimulator("newapi") as newapi, GatewaySimulator("zhizengzeng") as zzz:
        yield {"newapi": newapi, "zhizengzeng": zzz}


def _raise(skin: str, sim: GatewaySimulator, stream: bool) -> BaseException:
    if skin == "langchain":
        from langchain_zzz import ChatZZZ

        llm = ChatZZZ(model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url, max_retries=0)
        call = (lambda: list(llm.stream("hi"))) if stream else (lambda: llm.invoke("hi"))
    else:
        from llama_index.core.llms import ChatMessage

        from llamaindex_zzz import ZZZ

        llm = ZZZ(model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url, max_retries=0)
        msgs = [ChatMessage(role="user", content="hi")]
        call = (lambda: list(llm.stream_chat(msgs))) if stream else (lambda: llm.chat(msgs))
    with pytest.raises(openai.APIStatusError) as info:
        call()
    return info.value


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("skin", ["langchain", "llamaindex"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_caught_as_zzz_openai_status_and_langchain_class(sims, case, skin, stream) -> None:
    dialect, category, zcls, status_cls = case
    sim = sims[dialect]
    sim.clear_faults()
    sim.inject(Fault.error(category), times=None)
    try:
        err = _raise(skin, sim, stream)
    finally:
        sim.clear_faults()
    assert isinstance(err, zcls) and isinstance(err, status_cls)
    if skin == "langchain":
        import langchain_core.exceptions as lc

        parent = lc.ModelNotFoundError if zcls is E.ModelNotFoundError else lc.ModelPermissionDeniedError
        assert isinstance(err, parent)
