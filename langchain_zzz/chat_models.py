"""``ChatZZZ``: LangChain's chat model interface over zzz_core's gateway calls.

Every byte on the wire is zzz_core's: this class turns LangChain messages into
message dicts (``_messages``), asks ``zzz_core.build_chat_request`` for the body
(the model profile decides ``max_tokens`` vs ``max_completion_tokens``, dropped
parameters, reasoning replay), sends it through the shared ``Gateway`` (the one
retry loop, mirror failover, typed errors) and turns the decoded result back into
LangChain messages.  Errors leave re-typed with their LangChain parent
(``langchain_zzz.errors``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage, convert_to_messages
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import ConfigDict, Field, PrivateAttr

from zzz_core import ModelProfile as ZZZProfile
from zzz_core import build_chat_request, get_profile, normalize_tool_choice
from zzz_core.integration import CHAT_CALL_PARAMS, ProfileCache
from zzz_core.negotiation import without_disabled
from zzz_core.pricing import apriced, priced

from . import _error_boundary
from ._messages import StreamConverter, to_chat_result, to_openai_messages
from ._settings import GatewaySettings, ModelIdentity
from ._tokens import estimate_messages, estimate_tokens

__all__ = ["ChatZZZ"]


#: Sampling and output fields of ChatZZZ, sent through build_chat_request (None = not sent).
_FIELD_PARAMS = (
    "temperature", "top_p", "max_tokens", "n", "seed", "presence_penalty", "frequency_penalty",
    "logit_bias", "logprobs", "top_logprobs", "reasoning_effort", "thinking", "response_format",
)  # fmt: skip
_CONSUMED = ("stream", "ls_structured_output_format", "structured_output_format")


class ChatZZZ(ModelIdentity, GatewaySettings, BaseChatModel):
    """Chat models behind 智增增 / 4Z-API (and any OpenAI-compatible relay).

    Any model name the relay serves works; what the model can do (context window,
    tools, structured output, reasoning, which parameters it takes) comes from
    zzz_core's model profiles (``zzz_profile``, ``profile``), correctable with
    ``profile_overrides``.  Guides: README.md, docs/configuration.md, docs/reasoning.md,
    docs/tools-and-structured-output.md, docs/errors.md, docs/cost.md.  Unknown keyword
    arguments move to ``model_kwargs`` (with a warning) and are sent as they are; one that
    looks like a misspelt parameter (``temprature``) is an error naming the parameter meant.

    Setup:
        Install the LangChain extra and set the key the gateway issued:

        ```bash
        pip install "zzz-relay[langchain]"
        export ZZZ_API_KEY="sk-zk-..."    # 4Z-API: also ZZZ_GATEWAY=4z; any relay: ZZZ_BASE_URL
        ```

    Key init args — completion params:
        model: The model name as the gateway knows it (alias ``model_name``).
        temperature, top_p, seed, stop, n: As in OpenAI's API; not sent unless set.
        max_tokens: Output cap, sent as ``max_completion_tokens`` to models that want that name.
        reasoning_effort: ``low``/``medium``/``high``...; sent only to models that take it.
        extra_body: Body fields merged last (e.g. a relay's own switches).

    Key init args — client params:
        api_key, base_url, gateway, mirrors: Default ``$ZZZ_API_KEY``, ``$ZZZ_BASE_URL``,
            ``$ZZZ_GATEWAY``, the preset's mirrors.
        timeout, max_retries: Per request; retries by zzz_core's one retry loop.
        include_response_headers: Response headers in ``response_metadata["headers"]``.
        prices: Price overrides for ``response_metadata["cost"]``.

    Instantiate:
        ```python
        from langchain_zzz import ChatZZZ

        llm = ChatZZZ(model="gpt-4o-mini", temperature=0, max_retries=2)
        ```

    Invoke (the simulator used to test these examples answers "This is a simulated answer to: ..."):
        ```pycon
        >>> msg = llm.invoke([("system", "You are terse."), ("human", "Say hello.")])
        >>> msg.content
        'This is a simulated answer to: Say hello.'
        ```

    Stream (usage arrives on the last chunk; ``stream_usage=True`` by default):
        ```pycon
        >>> full = None
        >>> for chunk in llm.stream("Say hello."):
        ...     full = chunk if full is None else full + chunk
        >>> full.text, full.usage_metadata["total_tokens"]
        ('This is a simulated answer to: Say hello.', 13)
        ```

    Async (``ainvoke``, ``astream``, ``abatch``; the same retries and errors):
        ```pycon
        >>> import asyncio
        >>> asyncio.run(llm.ainvoke("Say hello.")).content
        'This is a simulated answer to: Say hello.'
        ```

    Tool calling (``bind_tools`` takes LangChain tools, functions, pydantic classes or
    OpenAI tool dicts; streamed tool-call deltas without ``index`` or with a repeated ``id`` still merge):
        ```pycon
        >>> from langchain_core.tools import tool
        >>> @tool
        ... def get_weather(city: str) -> str:
        ...     '''Today's weather in a city.'''
        ...     return f"sunny in {city}"
        >>> llm.bind_tools([get_weather]).invoke("What is the weather in Hangzhou?").tool_calls
        [{'name': 'get_weather', 'args': {'city': 'Hangzhou'}, 'id': 'call_1', 'type': 'tool_call'}]
        ```

    Structured output (by default the method the model's profile says works through relays:
    ``json_schema`` for OpenAI models, ``function_calling`` for most others; or ``method=``):
        ```pycon
        >>> from pydantic import BaseModel
        >>> class City(BaseModel):
        ...     name: str
        ...     population_millions: float
        >>> llm.with_structured_output(City).invoke("Hangzhou has about 12.5 million people.")
        City(name='Hangzhou', population_millions=12.5)
        ```

    Reasoning (``reasoning_content``, ``reasoning`` or ``<think>`` text is kept apart from
    the answer, and sent back on tool-call turns to the models that require it):
        ```pycon
        >>> thinker = ChatZZZ(model="deepseek-reasoner")
        >>> [block["type"] for block in thinker.invoke("What is 2+2?").content_blocks]
        ['reasoning', 'text']
        ```

    Token usage, cost and request id:
        ```pycon
        >>> msg.usage_metadata
        {'input_tokens': ..., 'output_tokens': 10, 'total_tokens': ..., 'input_token_details': {'cache_read': 0}}
        >>> sorted(msg.response_metadata["cost"])
        ['amount', 'currency', 'source']
        >>> from langchain_zzz import zzz_cost
        >>> with zzz_cost(max_cost=1.0) as cb:   # every call in the block; BudgetExceededError once spent
        ...     _ = llm.invoke("Say hello.")
        >>> cb.calls, cb.currency
        (1, 'USD')
        ```

        ``response_metadata`` also holds ``model_name``, ``finish_reason``, ``gateway_host``
        and ``request_id`` (the gateway's request id, when it sends one: give it to its support).

    Errors (each is zzz_core's class, the ``openai`` class for its status and the matching
    ``langchain_core.exceptions.Model*Error``; docs/errors.md lists them):
        ```pycon
        >>> from langchain_core.exceptions import ModelAuthenticationError
        >>> try:
        ...     ChatZZZ(model="gpt-4o-mini", api_key="sk-proj-an-openai-key").invoke("hi")
        ... except ModelAuthenticationError as exc:
        ...     print(type(exc).__name__, exc.status_code, exc.retryable)
        AuthenticationError 401 False
        ```
    """

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )

    model: str = Field(alias="model_name")
    """The model name as the gateway knows it (``gpt-4o-mini``, ``deepseek-reasoner``, ``glm-4.6``, ...)."""
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """Output cap; sent as ``max_completion_tokens`` to models that want that name."""
    top_p: float | None = None
    n: int | None = None
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[int | str, float] | None = None
    logprobs: bool | None = None
    """Return token log-probabilities in ``response_metadata["logprobs"]``."""
    top_logprobs: int | None = None
    reasoning_effort: str | None = None
    """``minimal``/``low``/``medium``/``high`` (``none``/``xhigh`` where the model has them); sent
    only to models that take it."""
    thinking: bool | int | dict[str, Any] | None = None
    """Switch thinking on (``True``, or a budget of tokens) or off (``False``), sent the way the model's
    family takes it (Qwen ``enable_thinking``, GLM/DeepSeek/Kimi ``thinking.type``, new-api's
    ``-thinking``/``-nothinking`` suffix; docs/reasoning.md). ``None`` leaves the model's default."""
    response_format: dict[str, Any] | None = None
    streaming: bool = False
    """Stream internally even for ``invoke``."""
    stream_usage: bool = True
    """Ask for the usage chunk when streaming (ChatOpenAI turns this off for custom base URLs)."""
    include_response_headers: bool = False
    """Put the response's headers (lower-cased, no cookies) in ``response_metadata["headers"]``.
    The gateway's request id is always in ``response_metadata["request_id"]`` when it sent one."""
    disabled_params: dict[str, Any] | None = None
    """Parameters never to send (ChatOpenAI's setting): ``{"parallel_tool_calls": None}`` never sends it,
    ``{"temperature": [0.7]}`` leaves out only those values. A parameter the gateway rejects is also learned
    by itself after one failed call (``zzz_core.negotiation``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Body fields sent as they are (unknown constructor arguments land here)."""
    extra_body: dict[str, Any] | None = None
    """Body fields merged last, overriding anything (e.g. ``{"thinking": {"type": "enabled"}}``)."""
    profile_overrides: dict[str, Any] | None = None
    """Corrections to zzz_core's model profile, e.g. ``{"context_window": 65536, "vision": True}``."""

    _profiles: ProfileCache = PrivateAttr(default_factory=ProfileCache)

    # -- construction ---------------------------------------------------------

    def _zzz_setup(self) -> None:
        if self.n is not None and self.n < 1:
            raise ValueError(f"n must be at least 1; got {self.n}")
        if self.streaming and self.n is not None and self.n > 1:
            raise ValueError("n > 1 cannot be streamed; set streaming=False")
        self._profiles = ProfileCache()  # anew after unpickling, which drops private state
        self.zzz_profile  # noqa: B018 - an unknown override field fails here, not on a call
        self._connect()

    @property
    def zzz_profile(self) -> ZZZProfile:
        """zzz_core's profile of ``model`` (with ``profile_overrides`` applied)."""
        return self._profiles.get(self.model, self.profile_overrides)

    def _resolve_model_profile(self) -> ModelProfile | None:
        p = self.zzz_profile
        profile = ModelProfile(
            max_input_tokens=p.context_window,
            max_output_tokens=p.max_output_tokens,
            text_inputs=True,
            text_outputs=True,
            image_inputs=p.vision,
            image_url_inputs=p.vision,
            reasoning_output=p.reasoning,
            tool_calling=p.tool_calling,
            tool_choice=p.tool_choice,
            tool_call_streaming=p.tool_calling,
            structured_output=p.json_schema,
            temperature="temperature" not in p.unsupported_params,
        )
        if p.reasoning_effort and p.reasoning_efforts:
            profile["reasoning_effort_levels"] = list(p.reasoning_efforts)
        return profile

    # -- identity, tracing, serialization -------------------------------------

    @property
    def _llm_type(self) -> str:
        return "zzz-chat"

    _field_params: ClassVar[tuple[str, ...]] = _FIELD_PARAMS
    _ls_model_type: ClassVar[Literal["chat", "llm"]] = "chat"
    _lc_namespace: ClassVar[tuple[str, ...]] = ("langchain_zzz", "chat_models")

    # -- requests -------------------------------------------------------------

    def bulk_request(self, kind: str, item: Any) -> dict[str, Any]:
        """The request body for one row of a bulk job (``zzz_core.bulk.ray.ChatRows``): ``item`` is
        a string (one user message) or a list of message dicts; this model's fields apply."""
        if kind != "chat":
            raise ValueError(f"ChatZZZ makes chat requests, not {kind!r} (use ZZZ for completions)")
        messages = convert_to_messages([("human", item)] if isinstance(item, str) else item)
        return self._request(messages, None, stream=False)[0]

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, *, stream: bool, **kwargs: Any
    ) -> tuple[dict[str, Any], str]:
        """The request body for these messages and call arguments, and the model it is for."""
        for key in _CONSUMED:
            kwargs.pop(key, None)
        model = kwargs.pop("model", None) or self.model
        if "max_completion_tokens" in kwargs:
            kwargs.setdefault("max_tokens", kwargs.pop("max_completion_tokens"))
        stream_usage = kwargs.pop("stream_usage", self.stream_usage)
        params = {name: getattr(self, name) for name in _FIELD_PARAMS}
        params.update({name: kwargs.pop(name) for name in CHAT_CALL_PARAMS if name in kwargs})
        params["stop"] = stop if stop is not None else self.stop
        extra = {**self.model_kwargs, **(self.extra_body or {}), **(kwargs.pop("extra_body", None) or {}), **kwargs}
        if stream and (params.get("n") or 1) > 1:
            raise ValueError("n > 1 cannot be streamed; call invoke() without streaming")
        # profile_overrides describe the configured model; a per-call model gets its own profile.
        profile = self.zzz_profile if model == self.model else get_profile(model)
        body = build_chat_request(
            model, to_openai_messages(messages), profile=profile, stream=stream, stream_usage=stream_usage,
            extra_body=extra or None, **params,
        )  # fmt: skip
        return without_disabled(body, self.disabled_params), model

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body, model = self._request(messages, stop, stream=False, **kwargs)
        result = _error_boundary.call(self._gateway.chat, body)
        priced(result, model, gateway=self._gateway, prices=self.prices)
        return to_chat_result(result, model, self.include_response_headers)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body, model = self._request(messages, stop, stream=False, **kwargs)
        result = await _error_boundary.acall(self._gateway.achat, body)
        await apriced(result, model, gateway=self._gateway, prices=self.prices)
        return to_chat_result(result, model, self.include_response_headers)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        body, model = self._request(messages, stop, stream=True, **kwargs)
        converter = StreamConverter(model, self.include_response_headers)
        stream = self._gateway.chat_stream(body)
        try:
            for chunk in _error_boundary.translated(iter(stream)):
                generation = converter.chunk(chunk)
                if generation is not None:
                    yield generation
            yield converter.last(priced(stream.result(), model, gateway=self._gateway, prices=self.prices))
        finally:
            stream.close()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        body, model = self._request(messages, stop, stream=True, **kwargs)
        converter = StreamConverter(model, self.include_response_headers)
        stream = self._gateway.achat_stream(body)
        try:
            async for chunk in _error_boundary.atranslated(stream.__aiter__()):
                generation = converter.chunk(chunk)
                if generation is not None:
                    yield generation
            result = await apriced(stream.result(), model, gateway=self._gateway, prices=self.prices)
            yield converter.last(result)
        finally:
            await stream.aclose()

    # -- tools and structured output ------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, functions, pydantic models, TypedDicts, tool dicts).

        Args:
            tools: The tools the model may call.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (call some
                tool), a tool's name (call that one), or an OpenAI ``tool_choice`` dict.
            parallel_tool_calls: Sent only when set (some models answer 400 to it).
            strict: OpenAI strict mode for the tools' schemas.
            **kwargs: Further call arguments to bind.

        Raises:
            zzz_core.InvalidInputError: (a ``ValueError``) a tool name the API cannot
                take, or a ``tool_choice`` naming no bound tool.
        """
        from ._tools import format_tool  # output parsers and schema helpers: loaded by the first user

        formatted = [format_tool(t, strict) for t in tools]
        choice = normalize_tool_choice(tool_choice, formatted)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable returning ``schema``-shaped output (a pydantic instance or a dict).

        Args:
            schema: A pydantic class (v1 or v2), a TypedDict or a JSON schema dict.
            method: ``function_calling`` (a forced tool call), ``json_schema``
                (``response_format`` Structured Outputs) or ``json_mode`` (JSON object
                mode; say the keys in the prompt).  Default: what the model's profile
                says works through the relays (``json_schema`` for OpenAI models,
                ``function_calling`` for most others).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising
                when the answer does not parse.
            strict: OpenAI strict mode (not with ``json_mode``).
            **kwargs: Further call arguments to bind.
        """
        from ._tools import structured_output

        return structured_output(
            self, schema, method=method or self.zzz_profile.structured_output_method,
            include_raw=include_raw, strict=strict, **kwargs,
        )  # fmt: skip

    # -- token estimates ------------------------------------------------------

    def get_num_tokens(self, text: str) -> int:
        """Estimated tokens of ``text``, offline (see ``langchain_zzz._tokens``)."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return estimate_tokens(text)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """Estimated prompt tokens of ``messages`` (and ``tools``), offline."""
        return estimate_messages(messages, tools)
