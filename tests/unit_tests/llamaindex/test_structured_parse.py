"""The json_schema path's request fields and answer parsing (the calls are tested against the simulator)."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from pydantic import BaseModel

from llamaindex_zzz._structured import parse_structured, schema_kwargs


class Generic_Thing(BaseModel):
    name: str
    size: int = 1


def answer(text: str) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", content=text))


def test_schema_kwargs():
    kw = schema_kwargs({"tool_choice": "required", "seed": 1}, Generic_Thing, strict=True)
    assert "tool_choice" not in kw and kw["seed"] == 1
    spec = kw["response_format"]["json_schema"]
    assert spec["name"] == "Generic_Thing" and spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False
    assert "strict" not in schema_kwargs(None, Generic_Thing, strict=None)["response_format"]["json_schema"]


def test_parse_structured():
    assert parse_structured(answer('{"name": "a", "size": 2}'), Generic_Thing) == Generic_Thing(name="a", size=2)
    assert parse_structured(answer('```json\n{"name": "b"}\n```'), Generic_Thing).name == "b"
    with pytest.raises(ValueError, match="no JSON"):
        parse_structured(answer(""), Generic_Thing)
    with pytest.raises(ValueError, match="does not validate as Generic_Thing"):
        parse_structured(answer('{"size": "big"}'), Generic_Thing)
