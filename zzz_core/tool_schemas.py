"""Tool and structured-output dicts as OpenAI-compatible APIs take them.

``function_tool`` and ``json_schema_response_format`` build the dicts,
``strict_json_schema`` rewrites a JSON schema for OpenAI's strict mode (as openai's
own conversion does), and ``normalize_tool_choice`` turns the spellings of
``tool_choice`` the frameworks use into the wire value; ``safe_function_name`` makes a
framework's name one the API takes.  Pure: dicts in, new dicts out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._local_errors import InvalidInputError

__all__ = [
    "function_tool",
    "json_object_response_format",
    "json_schema_response_format",
    "normalize_tool_choice",
    "safe_function_name",
    "strict_json_schema",
]

_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NOT_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_NAME = 64


def safe_function_name(name: str, *, fallback: str | None = None) -> str:
    """``name`` with every character the API refuses in function/schema names replaced by ``_``.

    Args:
        name: A tool's or a schema's name, as the framework has it.
        fallback: When given, the name is also cut to 64 characters (the API's limit)
            and ``fallback`` replaces an empty result; without it only characters change
            (a tool name is the model's handle on the tool, so it is not shortened).
    """
    safe = _NOT_NAME_CHARS.sub("_", name)
    if fallback is None:
        return safe
    return safe[:_MAX_NAME] or fallback


def normalize_tool_choice(tool_choice: Any, tools: Any) -> str | dict[str, Any] | None:
    """Turn the many spellings of ``tool_choice`` into what OpenAI-compatible APIs take.

    ``"auto"``/``"none"`` pass; ``"any"``, ``"required"`` and ``True`` become
    ``"required"``; a tool's name becomes ``{"type": "function", "function": {"name": ...}}``;
    a dict passes through; ``None``/``False`` mean "not set".

    Args:
        tool_choice: The caller's value.
        tools: The tools of the same request (OpenAI tool dicts).

    Returns:
        The wire value, or None when nothing should be sent.

    Raises:
        InvalidInputError: A tool choice without tools, a name not among the tools,
            or a value of another type.
    """
    if tool_choice is None or tool_choice is False:
        return None
    if not tools:
        raise InvalidInputError(f"tool_choice={tool_choice!r} was given but there are no tools")
    if tool_choice is True or tool_choice in ("any", "required"):
        return "required"
    if tool_choice in ("auto", "none") or isinstance(tool_choice, dict):
        return tool_choice
    if not isinstance(tool_choice, str):
        raise InvalidInputError(f"tool_choice must be a str, bool or dict; got {type(tool_choice).__name__}")
    names = []
    for tool in tools:
        fn = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            names.append(fn["name"])
    if tool_choice not in names:
        raise InvalidInputError(f"tool_choice {tool_choice!r} is not one of the tools: {', '.join(names) or '(none)'}")
    return {"type": "function", "function": {"name": tool_choice}}


def strict_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``schema`` that OpenAI's strict mode accepts; the input is not changed.

    Every object schema (``"type": "object"`` or having ``properties``) gets
    ``additionalProperties: false`` and lists all its properties in ``required``.
    A property that was optional without a default (or with ``default: null``)
    becomes nullable (``"null"`` added to its ``type``, or a ``{"type": "null"}``
    branch to its ``anyOf``), so the model can still leave it out by answering
    null; one with a real default stays non-null, as in openai's own conversion.
    ``"default": null`` is removed.  Nested
    ``properties``, ``items``, ``anyOf``/``oneOf``/``allOf``, ``prefixItems`` and
    ``$defs``/``definitions`` are rewritten the same way.
    """
    return _strict(schema)


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, Mapping):
        return node
    out = {k: v for k, v in node.items() if not (k == "default" and v is None)}
    for key in ("items", "anyOf", "oneOf", "allOf", "prefixItems", "not"):
        if key in out:
            out[key] = _strict(out[key])
    for key in ("$defs", "definitions"):
        if isinstance(out.get(key), Mapping):
            out[key] = {k: _strict(v) for k, v in out[key].items()}
    if out.get("type") == "object" or "properties" in out:
        props = out.get("properties") or {}
        # Like openai's own strict conversion, a property with a real default stays
        # non-null (the model must give a value the caller's type accepts); only a
        # property with no default, or a null one, may be answered with null.
        keep = set(out.get("required") or ()) | {
            k for k, v in props.items() if isinstance(v, Mapping) and v.get("default") is not None
        }
        out["properties"] = {k: _strict(v) if k in keep else _nullable(_strict(v)) for k, v in props.items()}
        out["required"] = list(props)
        out["additionalProperties"] = False
    return out


def _nullable(prop: Any) -> Any:
    if not isinstance(prop, dict):
        return prop
    kind = prop.get("type")
    if isinstance(kind, (str, list)):
        kinds = [kind] if isinstance(kind, str) else kind
        return prop if "null" in kinds else {**prop, "type": [*kinds, "null"]}
    if isinstance(prop.get("anyOf"), list):
        if any(isinstance(b, dict) and b.get("type") == "null" for b in prop["anyOf"]):
            return prop
        return {**prop, "anyOf": [*prop["anyOf"], {"type": "null"}]}
    return {"anyOf": [prop, {"type": "null"}]}


def _check_schema(name: Any, what: str, schema: Any) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInputError(f"{what} must be 1-64 letters, digits, '_' or '-'; got {name!r}")
    if not isinstance(schema, Mapping):
        raise InvalidInputError(f"the schema must be a JSON schema dict; got {type(schema).__name__}")


def function_tool(
    name: str, description: str | None, parameters: Mapping[str, Any] | None, strict: bool | None = None
) -> dict[str, Any]:
    """Build an OpenAI tool dict ``{"type": "function", "function": {...}}``.

    Args:
        name: The function name (1-64 of ``[a-zA-Z0-9_-]``).
        description: What the tool does; omitted when None.
        parameters: A JSON schema of the arguments; None means no arguments.
        strict: True sets ``"strict": true`` and rewrites the schema with
            :func:`strict_json_schema`; False is sent as is; None omits the flag.

    Returns:
        The tool dict.

    Raises:
        InvalidInputError: A bad name or a schema that is not a dict.
    """
    parameters = {"type": "object", "properties": {}} if parameters is None else parameters
    _check_schema(name, "a tool name", parameters)
    fn: dict[str, Any] = {"name": name}
    if description is not None:
        fn["description"] = description
    fn["parameters"] = strict_json_schema(parameters) if strict else dict(parameters)
    if strict is not None:
        fn["strict"] = strict
    return {"type": "function", "function": fn}


def json_schema_response_format(
    schema: Mapping[str, Any], name: str = "response", strict: bool | None = None
) -> dict[str, Any]:
    """Build ``response_format`` for Structured Outputs: ``{"type": "json_schema", ...}``.

    Args:
        schema: The JSON schema of the answer.
        name: The schema's name (1-64 of ``[a-zA-Z0-9_-]``).
        strict: True sets ``"strict": true`` and rewrites the schema with
            :func:`strict_json_schema`; None omits the flag.

    Returns:
        The ``response_format`` dict.

    Raises:
        InvalidInputError: A bad name or a schema that is not a dict.
    """
    _check_schema(name, "a schema name", schema)
    spec: dict[str, Any] = {"name": name, "schema": strict_json_schema(schema) if strict else dict(schema)}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def json_object_response_format() -> dict[str, Any]:
    """Build ``response_format`` for JSON mode: ``{"type": "json_object"}``."""
    return {"type": "json_object"}
