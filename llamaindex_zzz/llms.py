"""``ZZZ``: a LlamaIndex ``FunctionCallingLLM`` for 智增增 / 4Z-API (new-api) and other relays.

Every byte on the wire is zzz_core's (request building, SSE, tool-call
accumulation, reasoning extraction, errors, the one retry loop); this class
converts LlamaIndex types to and from it::

    from llamaindex_zzz import ZZZ

    llm = ZZZ(model="deepseek-chat")            # key from ZZZ_API_KEY
    print(llm.complete("你好").text)

Errors are zzz_core's typed exceptions, which are also ``openai`` exceptions
(``InsufficientBalanceError`` is an ``openai.PermissionDeniedError``), raised
unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_completion_response_to_chat_response,
    chat_to_completion_decorator,
    completion_response_to_chat_response,
    prompt_to_messages,
    stream_completion_response_to_chat_response,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM

from zzz_core import ModelProfile, ZZZConfig, integration
from zzz_core.lifecycle import ConnectionLifecycle
from zzz_core.pricing import apriced, priced

from . import _responses as R
from ._config import GatewayFields, connect
from ._requests import RequestBodiesMixin
from ._structured import StructuredOutputMixin
from ._tools import ToolCallingMixin
from .cost import check_budget, record_call

if TYPE_CHECKING:
    from llama_index.core.llms.llm import CompletionToPromptType, MessagesToPromptType

__all__ = ["ZZZ"]


class ZZZ(
    ConnectionLifecycle, GatewayFields, RequestBodiesMixin, StructuredOutputMixin, ToolCallingMixin, FunctionCallingLLM
):
    """Chat models behind 智增增 / 4Z-API (and any OpenAI-compatible relay) for LlamaIndex.

    A ``FunctionCallingLLM``: ``chat``/``complete`` and their stream and async forms, tool
    calling for agents, structured output, reasoning.  Any model name the relay serves
    works; what it can do (context window, tools, structured output, reasoning) comes from
    zzz_core's model profiles (``profile``, ``metadata``), correctable with
    ``profile_overrides``.  The settings are resolved once, at construction, into a
    ``ZZZConfig`` and the ``Gateway`` shared by every object built with them.  Install with
    ``pip install "zzz-relay[llamaindex]"``; the class is also
    ``llama_index.llms.zzz.ZZZ``.

    Tool calling: ``parallel_tool_calls`` (which some relays reject) is never sent
    as false, and sent as true only when the caller allows parallel calls and the
    profile says the model makes them; otherwise a non-streamed response is cut
    to its first call.  ``tool_choice`` is sent only when asked for
    (``tool_choice=`` or ``tool_required=True``).  Pass ``parallel_tool_calls=``
    per call or in ``additional_kwargs`` to send it regardless.

    Args:
        model: The model name as the gateway knows it (also the first positional argument).
        temperature, max_tokens: Not sent unless set; ``max_tokens`` goes out as
            ``max_completion_tokens`` to models that want that name.
        reasoning_effort: ``low``/``medium``/``high``...; sent only to models that take it.
        strict: Strict JSON schemas for tools and structured output.
        additional_kwargs: Merged into every request (unknown keys go into the body).
        include_response_headers: Response headers in ``raw["headers"]``.
        api_key, base_url, gateway, mirrors: Default ``$ZZZ_API_KEY``, ``$ZZZ_BASE_URL``,
            ``$ZZZ_GATEWAY``, the preset's mirrors.
        timeout, max_retries: Per request; retries by zzz_core's one retry loop.
        prices: Price overrides for ``additional_kwargs["cost"]``.

    Examples:
        Chat and complete (the test simulator answers "This is a simulated answer to: ..."):

        ```pycon
        >>> from llama_index.core.llms import ChatMessage
        >>> from llamaindex_zzz import ZZZ
        >>> llm = ZZZ(model="deepseek-chat", max_retries=2)
        >>> response = llm.chat([ChatMessage(role="system", content="You are terse."),
        ...                      ChatMessage(role="user", content="Say hello.")])
        >>> response.message.content
        'This is a simulated answer to: Say hello.'
        >>> llm.complete("Say hello.").text
        'This is a simulated answer to: Say hello.'
        ```

        Stream and async (``astream_chat``, ``acomplete``, ...):

        ```pycon
        >>> "".join(r.delta for r in llm.stream_chat([ChatMessage(role="user", content="Say hello.")]))
        'This is a simulated answer to: Say hello.'
        >>> import asyncio
        >>> asyncio.run(llm.acomplete("Say hello.")).text
        'This is a simulated answer to: Say hello.'
        ```

        Tools (also through ``FunctionAgent``):

        ```pycon
        >>> from llama_index.core.tools import FunctionTool
        >>> def get_weather(city: str) -> str:
        ...     '''Today's weather in a city.'''
        ...     return f"sunny in {city}"
        >>> tool = FunctionTool.from_defaults(get_weather)
        >>> response = llm.chat_with_tools([tool], user_msg="What is the weather in Hangzhou?")
        >>> llm.get_tool_calls_from_response(response)
        [ToolSelection(tool_id='call_1', tool_name='get_weather', tool_kwargs={'city': 'Hangzhou'})]
        ```

        Structured output (a ``json_schema`` response format where the profile says so, else
        LlamaIndex's programs: function calling, or text parsing for models without tools):

        ```pycon
        >>> from pydantic import BaseModel
        >>> from llama_index.core.prompts import PromptTemplate
        >>> class City(BaseModel):
        ...     name: str
        ...     population_millions: float
        >>> llm.structured_predict(City, PromptTemplate("{text}"), text="Hangzhou has about 12.5 million people.")
        City(name='Hangzhou', population_millions=12.5)
        ```

        Reasoning: the thinking is a ``ThinkingBlock`` next to the answer's ``TextBlock``
        (streamed: ``additional_kwargs["thinking_delta"]``):

        ```pycon
        >>> thinker = ZZZ(model="deepseek-reasoner")
        >>> [b.block_type for b in thinker.chat([ChatMessage(role="user", content="What is 2+2?")]).message.blocks]
        ['thinking', 'text']
        ```

        Usage and cost, per response in ``additional_kwargs`` (and ``request_id`` there and in
        ``raw`` when the gateway sends one), and for a block of calls in ``zzz_cost()``:

        ```pycon
        >>> response = llm.chat([ChatMessage(role="user", content="Say hello.")])
        >>> sorted(response.additional_kwargs)
        ['cached_tokens', 'completion_tokens', 'cost', 'prompt_tokens', 'total_tokens']
        >>> from llamaindex_zzz import zzz_cost
        >>> with zzz_cost(max_cost=1.0) as run:   # a query, an agent run or an ingestion
        ...     _ = llm.complete("Say hello.")
        >>> run.calls, run.currency
        (1, 'CNY')
        ```

        Errors: each is zzz_core's class and the ``openai`` class for its status
        (docs/errors.md lists them):

        ```pycon
        >>> import openai
        >>> try:
        ...     ZZZ(model="deepseek-chat", api_key="sk-proj-an-openai-key").complete("hi")
        ... except openai.AuthenticationError as exc:
        ...     print(type(exc).__name__, exc.status_code, exc.code, exc.retryable)
        AuthenticationError 401 1002 False
        ```
    """

    model_config = ConfigDict(populate_by_name=True)

    model: str = Field(description="The model name as the gateway knows it, e.g. deepseek-chat, gpt-4o-mini.")
    temperature: float | None = Field(
        default=None, description="Sampling temperature; None leaves the model's default."
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="Output cap (sent as max_completion_tokens where needed)."
    )
    reasoning_effort: str | None = Field(default=None, description="minimal/low/medium/high for models that take it.")
    thinking: bool | int | dict[str, Any] | None = Field(
        default=None,
        description="Thinking on (True, or a budget of tokens) or off (False), sent the way the model's family "
        "takes it (docs/reasoning.md); None leaves the model's default.",
    )
    strict: bool | None = Field(
        default=None, description="Strict JSON schemas for tools and structured output; None leaves the flag out."
    )
    include_response_headers: bool = Field(
        default=False,
        description="Put the response headers in raw['headers']; the gateway's request id is always in "
        "raw['request_id'] and additional_kwargs['request_id'] when it sent one.",
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Merged into every request; unknown keys and extra_body go into the body."
    )
    disabled_params: dict[str, Any] | None = Field(
        default=None,
        description="Parameters never to send: {'parallel_tool_calls': None}; {'temperature': [0.7]} only those "
        "values. One the gateway rejects is also learned after one failed call (zzz_core.negotiation).",
    )
    context_window: int | None = Field(default=None, gt=0, description="Override the profile's context window.")
    num_output: int | None = Field(default=None, gt=0, description="Override the tokens reserved for the answer.")
    is_chat_model: bool | None = Field(default=None, description="Override: False sends to /v1/completions.")
    is_function_calling_model: bool | None = Field(default=None, description="Override the profile's tool calling.")
    profile_overrides: dict[str, Any] | None = Field(
        default=None, description="ModelProfile fields replacing the table's, e.g. {'json_schema': True}."
    )

    _config: ZZZConfig = PrivateAttr()
    _gateway: Any = PrivateAttr()  # zzz_core.Gateway, imported at construction
    _profiles: integration.ProfileCache = PrivateAttr(default_factory=integration.ProfileCache)

    if TYPE_CHECKING:
        # LLM declares these Optional, but its validators replace None with the defaults:
        # on an instance they are always set.
        messages_to_prompt: MessagesToPromptType
        completion_to_prompt: CompletionToPromptType

    def __init__(self, model: str | None = None, /, **kwargs: Any) -> None:
        if model is not None:
            kwargs["model"] = model
        kwargs = integration.rename_deprecated_fields(kwargs, type(self).__name__)
        super().__init__(**kwargs)
        self._zzz_setup()

    def _zzz_setup(self) -> None:
        if not self.model.strip():
            raise ValueError("model must be a non-empty model name, e.g. 'deepseek-chat'")
        self._profiles = integration.ProfileCache()  # anew after unpickling, which drops private state
        self.profile  # noqa: B018 - an unknown override field fails here, not on a call
        self._config, self._gateway = connect(self)

    @classmethod
    def class_name(cls) -> str:
        return "zzz_llm"

    # ------------------------------------------------------------------ metadata
    @property
    def profile(self) -> ModelProfile:
        """zzz_core's profile of this model, with ``profile_overrides`` applied."""
        return self._profiles.get(self.model, self.profile_overrides)

    @property
    def metadata(self) -> LLMMetadata:
        """From the profile; the ``context_window``/``num_output``/``is_*`` fields win when set.

        ``num_output`` defaults to ``max_tokens`` when set, else to the profile's output
        cap limited to half the context window: LlamaIndex reserves ``num_output`` of the
        window on every prompt, and a model whose cap equals its window would leave no
        room for retrieved context.
        """
        p = self.profile
        window = self.context_window or p.context_window
        num_output = self.num_output or self.max_tokens or min(p.max_output_tokens, window // 2) or 256
        is_chat = p.chat if self.is_chat_model is None else self.is_chat_model
        tools = (
            (is_chat and p.tool_calling) if self.is_function_calling_model is None else self.is_function_calling_model
        )
        return LLMMetadata(
            context_window=window,
            num_output=num_output,
            is_chat_model=is_chat,
            is_function_calling_model=tools,
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    # ------------------------------------------------------------------- cost
    def _counted(self, result: Any, body: dict[str, Any]) -> Any:
        """Price ``result`` (``result.cost``) and report the call to any open ``zzz_cost()`` block."""
        priced(result, body["model"], gateway=self._gateway, prices=self.prices)
        record_call(body["model"], "llm", result.usage, result.cost)
        return result

    async def _acounted(self, result: Any, body: dict[str, Any]) -> Any:
        await apriced(result, body["model"], gateway=self._gateway, prices=self.prices)
        record_call(body["model"], "llm", result.usage, result.cost)
        return result

    # ------------------------------------------------------------------- sync
    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if not self.metadata.is_chat_model:
            return completion_response_to_chat_response(self._complete(self.messages_to_prompt(messages), **kwargs))
        body = self._chat_body(messages, False, kwargs)
        check_budget()
        result = self._counted(self._gateway.chat(body), body)
        return R.chat_response(result, self.include_response_headers)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        if not self.metadata.is_chat_model:
            return stream_completion_response_to_chat_response(
                self._stream_complete(self.messages_to_prompt(messages), **kwargs)
            )
        body = self._chat_body(messages, True, kwargs)
        check_budget()
        stream = self._gateway.chat_stream(body)

        def gen() -> ChatResponseGen:
            state = R.ChatStreamState(stream, self.include_response_headers)
            last = None
            try:
                for chunk in stream:
                    response = state.feed(chunk)
                    if response is not None:
                        yield (last := response)
                result = self._counted(stream.result(), body)
                final = state.finish(result)
                if final is not None:
                    yield final
                else:
                    R.cost_on(last, result)
            finally:
                stream.close()

        return gen()

    def _complete(self, prompt: str, **kwargs: Any) -> CompletionResponse:
        body = self._completion_body(prompt, False, kwargs)
        check_budget()
        result = self._counted(self._gateway.complete(body), body)
        return R.completion_response(result, self.include_response_headers)

    def _stream_complete(self, prompt: str, **kwargs: Any) -> CompletionResponseGen:
        body = self._completion_body(prompt, True, kwargs)
        check_budget()
        stream = self._gateway.complete_stream(body)

        def gen() -> CompletionResponseGen:
            state = R.CompletionStreamState(stream, self.include_response_headers)
            last = None
            try:
                for chunk in stream:
                    response = state.feed(chunk)
                    if response is not None:
                        yield (last := response)
                R.cost_on(last, self._counted(stream.result(), body))
            finally:
                stream.close()

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self.metadata.is_chat_model:
            return chat_to_completion_decorator(self._chat)(prompt, **kwargs)
        return self._complete(prompt if formatted else self.completion_to_prompt(prompt), **kwargs)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        if self.metadata.is_chat_model:
            return R.completions_from_chat(self._stream_chat(prompt_to_messages(prompt), **kwargs))
        return self._stream_complete(prompt if formatted else self.completion_to_prompt(prompt), **kwargs)

    # ------------------------------------------------------------------ async
    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        if not self.metadata.is_chat_model:
            response = await self._acomplete(self.messages_to_prompt(messages), **kwargs)
            return completion_response_to_chat_response(response)
        body = self._chat_body(messages, False, kwargs)
        check_budget()
        result = await self._acounted(await self._gateway.achat(body), body)
        return R.chat_response(result, self.include_response_headers)

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        if not self.metadata.is_chat_model:
            completions = await self._astream_complete(self.messages_to_prompt(messages), **kwargs)
            return astream_completion_response_to_chat_response(completions)
        body = self._chat_body(messages, True, kwargs)
        check_budget()
        stream = self._gateway.achat_stream(body)

        async def gen() -> ChatResponseAsyncGen:
            state = R.ChatStreamState(stream, self.include_response_headers)
            last = None
            try:
                async for chunk in stream:
                    response = state.feed(chunk)
                    if response is not None:
                        yield (last := response)
                result = await self._acounted(stream.result(), body)
                final = state.finish(result)
                if final is not None:
                    yield final
                else:
                    R.cost_on(last, result)
            finally:
                await stream.aclose()

        return gen()

    async def _acomplete(self, prompt: str, **kwargs: Any) -> CompletionResponse:
        body = self._completion_body(prompt, False, kwargs)
        check_budget()
        result = await self._acounted(await self._gateway.acomplete(body), body)
        return R.completion_response(result, self.include_response_headers)

    async def _astream_complete(self, prompt: str, **kwargs: Any) -> CompletionResponseAsyncGen:
        body = self._completion_body(prompt, True, kwargs)
        check_budget()
        stream = self._gateway.acomplete_stream(body)

        async def gen() -> CompletionResponseAsyncGen:
            state = R.CompletionStreamState(stream, self.include_response_headers)
            last = None
            try:
                async for chunk in stream:
                    response = state.feed(chunk)
                    if response is not None:
                        yield (last := response)
                R.cost_on(last, await self._acounted(stream.result(), body))
            finally:
                await stream.aclose()

        return gen()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if self.metadata.is_chat_model:
            return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)
        return await self._acomplete(prompt if formatted else self.completion_to_prompt(prompt), **kwargs)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        if self.metadata.is_chat_model:
            return R.acompletions_from_chat(await self._astream_chat(prompt_to_messages(prompt), **kwargs))
        return await self._astream_complete(prompt if formatted else self.completion_to_prompt(prompt), **kwargs)
