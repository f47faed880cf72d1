"""Tool calling: LlamaIndex tools -> request fields, and response tool calls -> ``ToolSelection``.

The rule for ``parallel_tool_calls`` (several relays, and o1/o3-mini behind them,
answer 400 to the field): it is **never sent as false** and sent as ``true`` only
when the caller allows parallel calls (``allow_parallel_tool_calls=True``, which
``FunctionAgent`` passes by default) *and* the model's profile says it makes
parallel calls.  Without the field the API default applies (parallel allowed), so
when parallel calls are not allowed the response is cut to its first tool call
instead (``force_single_tool_call``; for streams, every streamed response).  To send the field anyway, pass
``parallel_tool_calls=`` per call or in ``additional_kwargs``.

``tool_choice`` is sent only when asked for: ``tool_choice=`` (``"auto"``,
``"none"``, ``"required"``, a tool name or a dict) or ``tool_required=True``
(``"required"``), and only to models whose profile takes it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection

from zzz_core import ModelProfile, function_tool, parse_partial_json
from zzz_core.integration import safe_function_name

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatResponseAsyncGen, ChatResponseGen
    from llama_index.core.llms.function_calling import FunctionCallingLLM
    from llama_index.core.tools.types import BaseTool

    # For the type checker the mixin is the LLM it is mixed into (ZZZ puts it before
    # FunctionCallingLLM), so super() is checked; at runtime it is a plain class.
    _MixedInto = FunctionCallingLLM
else:
    _MixedInto = object

__all__ = [
    "ToolCallingMixin",
    "force_single_tool_call",
    "prepare_chat_with_tools",
    "tool_selections",
    "to_openai_tools",
]


def to_openai_tools(tools: Sequence[BaseTool], strict: bool | None = None) -> list[dict[str, Any]]:
    """OpenAI tool dicts for LlamaIndex tools (names sanitized as LlamaIndex does)."""
    out = []
    for tool in tools:
        md = tool.metadata
        name = safe_function_name(md.get_name())
        out.append(function_tool(name, md.description or None, md.get_parameters_dict(), strict=strict))
    return out


def prepare_chat_with_tools(
    profile: ModelProfile,
    tools: Sequence[BaseTool],
    user_msg: str | ChatMessage | None = None,
    chat_history: list[ChatMessage] | None = None,
    allow_parallel_tool_calls: bool = False,
    tool_required: bool = False,
    tool_choice: Any = None,
    strict: bool | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The keyword arguments of ``chat``/``stream_chat`` for a tool-calling turn."""
    messages = list(chat_history or [])
    if isinstance(user_msg, str):
        messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
    elif user_msg is not None:
        messages.append(user_msg)
    out: dict[str, Any] = {"messages": messages, **kwargs}
    if not tools:
        return out
    out["tools"] = to_openai_tools(tools, strict)
    if tool_choice is None and tool_required:
        tool_choice = "required"
    if tool_choice is not None and profile.tool_choice:
        out["tool_choice"] = tool_choice
    if "parallel_tool_calls" not in out and allow_parallel_tool_calls and profile.parallel_tool_calls:
        out["parallel_tool_calls"] = True
    return out


def _calls_of(message: ChatMessage) -> list[tuple[str | None, str, Any]]:
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        return [(b.tool_call_id, b.tool_name, b.tool_kwargs) for b in blocks]
    out = []
    for tc in message.additional_kwargs.get("tool_calls") or ():  # older code keeps them here
        if not isinstance(tc, dict):
            tc = tc.model_dump() if hasattr(tc, "model_dump") else {}
        fn = tc.get("function") or {}
        out.append((tc.get("id"), fn.get("name") or "", fn.get("arguments") or ""))
    return out


def tool_selections(response: ChatResponse, error_on_no_tool_call: bool = True) -> list[ToolSelection]:
    """The tool calls of a (possibly partial, streamed) response.

    Arguments are parsed with zzz_core's lenient ``parse_partial_json``, so the
    half-received arguments of a streaming call give the keys complete so far and
    never raise.

    Raises:
        ValueError: no tool call and ``error_on_no_tool_call``.
    """
    calls = _calls_of(response.message)
    if not calls:
        if error_on_no_tool_call:
            raise ValueError(
                f"Expected at least one tool call, but got 0 tool calls. Response: {response.message.content!r}"
            )
        return []
    out = []
    for cid, name, kwargs in calls:
        if not isinstance(kwargs, dict):
            kwargs = parse_partial_json(kwargs) if isinstance(kwargs, str) else None
        out.append(ToolSelection(tool_id=cid or "", tool_name=name, tool_kwargs=kwargs or {}))
    return out


def force_single_tool_call(response: ChatResponse) -> ChatResponse:
    """Keep only the first tool call of ``response`` (in place)."""
    message = response.message
    seen = False
    kept = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        kept.append(block)
    message.blocks = kept
    legacy = message.additional_kwargs.get("tool_calls")
    if isinstance(legacy, list) and len(legacy) > 1:
        message.additional_kwargs["tool_calls"] = legacy[:1]
    return response


def single_tool_call_stream(responses: Iterator[ChatResponse]) -> Generator[ChatResponse, None, None]:
    """A streamed tool turn cut to its first call, response by response (llama-index-core
    validates only non-streamed tool responses)."""
    for response in responses:
        yield force_single_tool_call(response)


async def asingle_tool_call_stream(responses: AsyncIterator[ChatResponse]) -> AsyncGenerator[ChatResponse, None]:
    """Async twin of :func:`single_tool_call_stream`."""
    async for response in responses:
        yield force_single_tool_call(response)


class ToolCallingMixin(_MixedInto):
    """The ``FunctionCallingLLM`` hooks of ``ZZZ``: a tool turn's request, one tool call
    unless parallel calls are allowed, and the calls read back as ``ToolSelection``."""

    if TYPE_CHECKING:
        strict: bool | None

        @property
        def profile(self) -> ModelProfile: ...

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: Any = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat kwargs for a tool turn; see :mod:`llamaindex_zzz._tools` for the
        ``parallel_tool_calls`` and ``tool_choice`` rules."""
        return prepare_chat_with_tools(
            self.profile,
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            tool_choice=tool_choice,
            strict=self.strict if strict is None else strict,
            **kwargs,
        )

    def stream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseGen:
        """Stream a tool turn; without ``allow_parallel_tool_calls`` every response carries
        at most the first tool call, as a non-streamed one does."""
        responses = super().stream_chat_with_tools(
            tools, user_msg=user_msg, chat_history=chat_history, verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls, tool_required=tool_required, **kwargs,
        )  # fmt: skip
        return responses if allow_parallel_tool_calls else single_tool_call_stream(responses)

    async def astream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        """Async twin of :meth:`stream_chat_with_tools`."""
        responses = await super().astream_chat_with_tools(
            tools, user_msg=user_msg, chat_history=chat_history, verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls, tool_required=tool_required, **kwargs,
        )  # fmt: skip
        return responses if allow_parallel_tool_calls else asingle_tool_call_stream(responses)

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        return response if allow_parallel_tool_calls else force_single_tool_call(response)

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The response's tool calls; safe on every partial response of a stream."""
        return tool_selections(response, error_on_no_tool_call)
