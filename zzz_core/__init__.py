"""zzz_core: what the LangChain and LlamaIndex skins share, and neither framework knows.

Configuration (keys, gateway presets, mirror failover), the official ``openai``
client pointed at the gateway, one failure normalizer, wire handling, model
and profiles (the gateway simulator is the separate ``zzz_testing`` package)::

    from zzz_core import Gateway, build_chat_request
    from zzz_testing import GatewaySimulator

    with GatewaySimulator() as sim, Gateway.from_settings(api_key="sk-test", base_url=sim.base_url) as gw:
        body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])
        print(gw.chat(body).choices[0].content)

Names are imported lazily (PEP 562): ``import zzz_core`` does not import
``openai`` until something that needs it is touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # configuration
    "ZZZConfig": "config",
    "normalize_base_url": "config",
    "GatewayPreset": "presets",
    "PRESETS": "presets",
    "get_preset": "presets",
    "preset_names": "presets",
    "register_preset": "presets",
    "unregister_preset": "presets",
    # calls
    "Gateway": "gateway",
    "ChatStream": "streams",
    "AsyncChatStream": "streams",
    "CompletionStream": "streams",
    "AsyncCompletionStream": "streams",
    # requests
    "build_chat_request": "params",
    "build_completion_request": "params",
    "build_embedding_request": "params",
    "plan_rerank": "rerank",
    "normalize_tool_choice": "tool_schemas",
    "function_tool": "tool_schemas",
    "json_schema_response_format": "tool_schemas",
    "json_object_response_format": "tool_schemas",
    "strict_json_schema": "tool_schemas",
    # profiles
    "ModelProfile": "profiles",
    "get_profile": "profiles",
    "register_profile": "profiles",
    "unregister_profile": "profiles",
    "list_profiles": "profiles",
    # results
    "Balance": "types",
    "ChatChoice": "types",
    "ChatChunk": "types",
    "ChatResult": "types",
    "CompletionChoice": "types",
    "CompletionChunk": "types",
    "CompletionResult": "types",
    "EmbeddingResult": "types",
    "ModelInfo": "types",
    "RerankHit": "types",
    "RerankResult": "types",
    "ToolCall": "types",
    "ToolCallDelta": "types",
    "Usage": "types",
    # cost
    "Budget": "pricing",
    "CallCost": "pricing",
    "price_call": "pricing",
    # decoding helpers the skins use
    "parse_partial_json": "tool_calls",
    # errors
    "ZZZError": "errors",
    "GatewayStatusError": "errors",
    "AuthenticationError": "errors",
    "PermissionDeniedError": "errors",
    "InsufficientBalanceError": "errors",
    "RateLimitError": "errors",
    "ModelNotFoundError": "errors",
    "EndpointNotSupportedError": "errors",
    "InvalidRequestError": "errors",
    "ContextLengthExceededError": "errors",
    "ContentFilterError": "errors",
    "GatewayServerError": "errors",
    "GatewayError": "errors",
    "GatewayConnectionError": "errors",
    "GatewayTimeoutError": "errors",
    "StreamInterruptedError": "errors",
    "BudgetExceededError": "errors",
    "ConfigurationError": "_local_errors",
    "InvalidInputError": "_local_errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zzz_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"zzz_core.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from .config import ZZZConfig, normalize_base_url
    from .errors import (
        AuthenticationError,
        BudgetExceededError,
        ConfigurationError,
        ContentFilterError,
        ContextLengthExceededError,
        EndpointNotSupportedError,
        GatewayConnectionError,
        GatewayError,
        GatewayServerError,
        GatewayStatusError,
        GatewayTimeoutError,
        InsufficientBalanceError,
        InvalidInputError,
        InvalidRequestError,
        ModelNotFoundError,
        PermissionDeniedError,
        RateLimitError,
        StreamInterruptedError,
        ZZZError,
    )
    from .gateway import Gateway
    from .params import build_chat_request, build_completion_request, build_embedding_request
    from .presets import PRESETS, GatewayPreset, get_preset, preset_names, register_preset, unregister_preset
    from .pricing import Budget, CallCost, price_call
    from .profiles import ModelProfile, get_profile, list_profiles, register_profile, unregister_profile
    from .rerank import plan_rerank
    from .streams import AsyncChatStream, AsyncCompletionStream, ChatStream, CompletionStream
    from .tool_calls import parse_partial_json
    from .tool_schemas import (
        function_tool,
        json_object_response_format,
        json_schema_response_format,
        normalize_tool_choice,
        strict_json_schema,
    )
    from .types import (
        Balance,
        ChatChoice,
        ChatChunk,
        ChatResult,
        CompletionChoice,
        CompletionChunk,
        CompletionResult,
        EmbeddingResult,
        ModelInfo,
        RerankHit,
        RerankResult,
        ToolCall,
        ToolCallDelta,
        Usage,
    )
