"""Tools and structured output: LangChain schemas -> OpenAI tool dicts and response formats.

LangChain's ``convert_to_openai_tool`` reads every tool spelling (BaseTool,
function, pydantic v1/v2 model, TypedDict, JSON schema, OpenAI or Anthropic tool
dict); zzz_core's ``function_tool`` / ``json_schema_response_format`` then
validate the name and apply ``strict`` (OpenAI's strict-mode schema rewrite) the
same way for both skins.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from zzz_core import function_tool, json_object_response_format, json_schema_response_format
from zzz_core.integration import safe_function_name

METHODS = ("function_calling", "json_mode", "json_schema")


def format_tool(tool: Any, strict: bool | None = None) -> dict[str, Any]:
    """Any LangChain tool spelling as an OpenAI tool dict (built-in tool dicts pass unchanged)."""
    oai = convert_to_openai_tool(tool)
    fn = oai.get("function")
    if oai.get("type") != "function" or not isinstance(fn, dict):
        return oai
    if strict is None:
        strict = fn.get("strict")
    return function_tool(fn["name"], fn.get("description"), fn.get("parameters"), strict=strict)


def _is_pydantic(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _schema_name(json_schema: dict[str, Any]) -> str:
    title = json_schema.get("title")
    return safe_function_name(title, fallback="response") if isinstance(title, str) else "response"


def structured_output(
    model: BaseChatModel,
    schema: Any,
    *,
    method: str,
    include_raw: bool,
    strict: bool | None,
    **kwargs: Any,
) -> Runnable:
    """Build ``model.with_structured_output(...)`` (see ``ChatZZZ.with_structured_output``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if schema is None:
        raise ValueError("with_structured_output needs a schema: a pydantic class, a TypedDict or a JSON schema dict")
    if method == "json_mode" and strict is not None:
        raise ValueError("strict cannot be used with method='json_mode' (JSON mode takes no schema)")
    pydantic = _is_pydantic(schema)
    trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
    if method == "function_calling":
        tool = format_tool(schema, strict)
        name = tool["function"]["name"]
        llm = model.bind_tools(
            [tool], tool_choice=name, parallel_tool_calls=False, ls_structured_output_format=trace, **kwargs
        )
        parser: Runnable = (
            PydanticToolsParser(tools=[schema], first_tool_only=True)
            if pydantic
            else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        )
    else:
        if method == "json_mode":
            response_format = json_object_response_format()
            trace = {"kwargs": {"method": method}, "schema": schema}
        else:
            json_schema = convert_to_json_schema(schema)
            response_format = json_schema_response_format(json_schema, name=_schema_name(json_schema), strict=strict)
        llm = model.bind(response_format=response_format, ls_structured_output_format=trace, **kwargs)
        parser = PydanticOutputParser(pydantic_object=schema) if pydantic else JsonOutputParser()
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    unparsed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([unparsed], exception_key="parsing_error")
