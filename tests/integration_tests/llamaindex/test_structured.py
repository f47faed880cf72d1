"""structured_predict (json_schema and function-calling profiles), streaming, and as_structured_llm."""

from __future__ import annotations

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field


class City(BaseModel):
    """A city and its country."""

    name: str = Field(description="the city")
    country: str
    population_millions: float


PROMPT = PromptTemplate("Extract the city from: {text}")
TEXT = 'city "Lyon" in country "France" with 0.5 million people'
EXPECTED = City(name="Lyon", country="France", population_millions=0.5)


def test_json_schema_profile_uses_response_format(chat_bodies, make_llm):
    llm = make_llm("gpt-4o-mini")
    assert llm.profile.structured_output_method == "json_schema"
    assert llm.structured_predict(City, PROMPT, text=TEXT) == EXPECTED
    (body,) = chat_bodies()
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "City"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["name", "country", "population_millions"]
    assert "tools" not in body


def test_function_calling_profile_uses_a_required_tool(chat_bodies, make_llm):
    llm = make_llm("deepseek-chat")
    assert llm.profile.structured_output_method == "function_calling"
    assert llm.structured_predict(City, PROMPT, text=TEXT) == EXPECTED
    (body,) = chat_bodies()
    assert [t["function"]["name"] for t in body["tools"]] == ["City"]
    assert body["tool_choice"] == "required"
    assert "response_format" not in body


@pytest.mark.parametrize("model", ["gpt-4o-mini", "deepseek-chat"])
async def test_async_structured_predict(make_llm, model):
    assert await make_llm(model).astructured_predict(City, PROMPT, text=TEXT) == EXPECTED


@pytest.mark.parametrize("model", ["gpt-4o-mini", "deepseek-chat"])
def test_stream_structured_predict(make_llm, model):
    partials = list(make_llm(model).stream_structured_predict(City, PROMPT, text=TEXT))
    assert len(partials) > 2
    assert City.model_validate(partials[-1].model_dump()) == EXPECTED
    assert any(p.model_dump().get("population_millions") is None for p in partials)  # it did arrive in parts


@pytest.mark.parametrize("model", ["gpt-4o-mini", "deepseek-chat"])
async def test_astream_structured_predict(make_llm, model):
    gen = await make_llm(model).astream_structured_predict(City, PROMPT, text=TEXT)
    partials = [p async for p in gen]
    assert City.model_validate(partials[-1].model_dump()) == EXPECTED


@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")  # StructuredLLM calls .json()
@pytest.mark.parametrize("model", ["gpt-4o-mini", "deepseek-chat"])
def test_as_structured_llm_chat(make_llm, model):
    sllm = make_llm(model).as_structured_llm(City)
    response = sllm.chat([ChatMessage(role="user", content=f"Extract the city from: {TEXT}")])
    assert response.raw == EXPECTED
    assert City.model_validate_json(response.message.content) == EXPECTED
    streamed = list(sllm.stream_chat([ChatMessage(role="user", content=f"Extract the city from: {TEXT}")]))
    assert City.model_validate_json(streamed[-1].message.content) == EXPECTED


def test_profile_override_switches_method(chat_bodies, make_llm):
    llm = make_llm("deepseek-chat", profile_overrides={"structured_output_method": "json_schema"})
    assert llm.structured_predict(City, PROMPT, text=TEXT) == EXPECTED
    assert chat_bodies()[0]["response_format"]["type"] == "json_schema"
