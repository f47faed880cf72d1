"""new-api's request id reaches every result and every exception, in both skins (issue 15, item 4).

The simulator's newapi dialect stamps each response with ``X-Oneapi-Request-Id`` and
appends `` (request id: …)`` to error messages, as new-api does (wire-facts-2 §8).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from zzz_core import Gateway, build_chat_request
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator
from zzz_testing.faults import REQUEST_ID

KEY = "sk-SECRETrequestids0123456789abcdef0123456789ab"
HEADER = "x-oneapi-request-id"


@pytest.fixture(scope="module")
def newapi() -> Iterator[GatewaySimulator]:
    with GatewaySimulator("newapi") as s:
        yield s


@pytest.fixture(scope="module")
def zzz() -> Iterator[GatewaySimulator]:
    with GatewaySimulator("zhizengzeng") as s:
        yield s


@pytest.fixture(autouse=True)
def _clean(newapi: GatewaySimulator) -> Iterator[None]:
    newapi.clear_faults()
    yield
    newapi.clear_faults()


def _chat(sim: GatewaySimulator, **kw):
    from langchain_zzz import ChatZZZ

    return ChatZZZ(model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url, max_retries=0, **kw)


def _li(sim: GatewaySimulator, **kw):
    from llamaindex_zzz import ZZZ

    return ZZZ(model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url, max_retries=0, **kw)


# -- zzz_core ----------------------------------------------------------------------------
def test_core_results_carry_the_request_id_and_headers(newapi) -> None:
    gw = Gateway.from_settings(api_key=KEY, base_url=newapi.base_url)
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}])
    result = gw.chat(body)
    assert result.request_id == REQUEST_ID
    assert result.headers[HEADER] == REQUEST_ID
    stream = gw.chat_stream(body)
    assert list(stream)
    assert stream.request_id == REQUEST_ID
    assert stream.result().request_id == REQUEST_ID
    vectors = gw.embed({"model": "text-embedding-3-small", "input": ["a"]})
    assert vectors.request_id == REQUEST_ID


def test_a_gateway_without_the_header_gives_none(zzz) -> None:
    gw = Gateway.from_settings(api_key=KEY, base_url=zzz.base_url)
    result = gw.chat(build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}]))
    assert result.request_id is None
    assert "content-type" in result.headers


# -- LangChain ---------------------------------------------------------------------------
def test_langchain_invoke_and_stream_put_the_request_id_in_response_metadata(newapi) -> None:
    llm = _chat(newapi)
    msg = llm.invoke("hi")
    assert msg.response_metadata["request_id"] == REQUEST_ID
    assert "headers" not in msg.response_metadata
    merged = None
    for chunk in llm.stream("hi"):
        merged = chunk if merged is None else merged + chunk
    assert merged.response_metadata["request_id"] == REQUEST_ID


def test_langchain_include_response_headers(newapi) -> None:
    llm = _chat(newapi, include_response_headers=True)
    assert llm.invoke("hi").response_metadata["headers"][HEADER] == REQUEST_ID
    merged = None
    for chunk in llm.stream("hi"):
        merged = chunk if merged is None else merged + chunk
    assert merged.response_metadata["headers"][HEADER] == REQUEST_ID
    assert all("cookie" not in k for k in merged.response_metadata["headers"])


def test_langchain_completions_put_it_in_llm_output(newapi) -> None:
    from langchain_zzz import ZZZ

    llm = ZZZ(model="gpt-3.5-turbo-instruct", api_key=KEY, base_url=newapi.base_url, include_response_headers=True)
    result = llm.generate(["hi"])
    assert result.llm_output["request_id"] == REQUEST_ID
    assert result.llm_output["headers"][HEADER] == REQUEST_ID
    last = list(llm.stream("hi"))
    assert last


@pytest.mark.parametrize(
    "fault",
    [Fault.error("invalid_request"), Fault.error("balance"), Fault.sse_error("server_error", after_chunks=0)],
    ids=["http-400", "http-403", "stream-frame"],
)
def test_langchain_errors_carry_the_request_id(newapi, fault) -> None:
    llm = _chat(newapi)
    newapi.inject(fault)
    with pytest.raises(E.ZZZError) as info:
        if fault.name.startswith("sse_error"):
            list(llm.stream("hi"))
        else:
            llm.invoke("hi")
    assert info.value.request_id == REQUEST_ID
    assert f"request id: {REQUEST_ID}" in str(info.value)
    assert KEY not in str(info.value)


# -- LlamaIndex --------------------------------------------------------------------------
def test_llamaindex_chat_and_stream_put_the_request_id_in_raw_and_additional_kwargs(newapi) -> None:
    from llama_index.core.llms import ChatMessage

    llm = _li(newapi)
    response = llm.chat([ChatMessage(role="user", content="hi")])
    assert response.raw["request_id"] == REQUEST_ID
    assert response.additional_kwargs["request_id"] == REQUEST_ID
    assert "headers" not in response.raw
    responses = list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
    assert responses and all(r.raw["request_id"] == REQUEST_ID for r in responses)
    assert llm.complete("hi").additional_kwargs["request_id"] == REQUEST_ID


def test_llamaindex_include_response_headers_sync_and_async(newapi) -> None:
    from llama_index.core.llms import ChatMessage

    llm = _li(newapi, include_response_headers=True)
    assert llm.chat([ChatMessage(role="user", content="hi")]).raw["headers"][HEADER] == REQUEST_ID

    async def run() -> list:
        gen = await llm.astream_chat([ChatMessage(role="user", content="hi")])
        return [r async for r in gen]

    responses = asyncio.run(run())
    assert responses[-1].raw["headers"][HEADER] == REQUEST_ID


@pytest.mark.parametrize("fault", [Fault.error("model_not_found"), Fault.sse_error("rate_limit")])
def test_llamaindex_errors_carry_the_request_id(newapi, fault) -> None:
    from llama_index.core.llms import ChatMessage

    llm = _li(newapi)
    newapi.inject(fault)
    with pytest.raises(E.ZZZError) as info:
        if fault.name.startswith("sse_error"):
            list(llm.stream_chat([ChatMessage(role="user", content="hi")]))
        else:
            llm.chat([ChatMessage(role="user", content="hi")])
    assert info.value.request_id == REQUEST_ID
