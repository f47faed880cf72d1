"""``ZZZ``: LangChain's text-completion LLM over the gateway's ``/v1/completions``.

For the completion-only models relays still serve (``gpt-3.5-turbo-instruct``,
``davinci-002``) and for chat models whose relay also maps the legacy endpoint.
Prompts are sent ``batch_size`` at a time in one request each; the gateway
answers ``n`` choices per prompt, which come back grouped per prompt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import ConfigDict, Field, PrivateAttr

from zzz_core import CompletionChunk, CompletionResult, build_completion_request, get_profile
from zzz_core.integration import COMPLETION_CALL_PARAMS, ProfileCache
from zzz_core.negotiation import without_disabled
from zzz_core.pricing import apriced, priced

from . import _error_boundary
from ._settings import GatewaySettings, ModelIdentity
from ._tokens import estimate_tokens

__all__ = ["ZZZ"]


_FIELD_PARAMS = (
    "max_tokens",
    "temperature",
    "top_p",
    "n",
    "suffix",
    "echo",
    "best_of",
    "logprobs",
    "seed",
    "logit_bias",
)


class ZZZ(ModelIdentity, GatewaySettings, BaseLLM):
    """Text completions (``/v1/completions``) through 智增增 / 4Z-API, for instruct models.

    Prompt in, text out, for the models that still serve the legacy completions
    endpoint (``gpt-3.5-turbo-instruct``, ``davinci-002``, ...).  For chat, tools,
    structured output and reasoning use :class:`~langchain_zzz.ChatZZZ`.  The class is
    loaded on first use of ``langchain_zzz.ZZZ``.

    Setup:
        ```bash
        pip install "zzz-relay[langchain]"
        export ZZZ_API_KEY="sk-zk-..."
        ```

    Key init args:
        model: The model name as the gateway knows it (alias ``model_name``).
        max_tokens: Output cap, default 256 (the endpoint's own default is 16); None leaves it out.
        temperature, top_p, stop, seed, n, best_of, suffix, echo, logprobs: As in OpenAI's API.
        batch_size: Prompts per request in ``generate``/``batch`` (default 20).
        include_response_headers: The last response's headers in ``llm_output["headers"]``.
        api_key, base_url, gateway, mirrors, timeout, max_retries, prices: As for ``ChatZZZ``.

    Instantiate and invoke (the test simulator answers "This is a simulated answer to: ..."):
        ```pycon
        >>> from langchain_zzz import ZZZ
        >>> llm = ZZZ(model="gpt-3.5-turbo-instruct", max_tokens=64)
        >>> llm.invoke("Say this is a test")
        ' This is a simulated answer to: Say this is a test'
        >>> llm.invoke("Say this is a test", stop=["simulated"])
        ' This is a '
        ```

    Stream and async:
        ```pycon
        >>> "".join(llm.stream("Say this is a test"))
        ' This is a simulated answer to: Say this is a test'
        >>> import asyncio
        >>> asyncio.run(llm.ainvoke("Say this is a test"))
        ' This is a simulated answer to: Say this is a test'
        ```

    Usage, cost and request id (per ``generate`` call, in ``llm_output``; ``finish_reason``
    per generation):
        ```pycon
        >>> result = llm.generate(["Say this is a test"])
        >>> result.llm_output["token_usage"]
        {'prompt_tokens': 6, 'completion_tokens': 14, 'total_tokens': 20}
        >>> result.llm_output["cost"]["currency"], result.generations[0][0].generation_info["finish_reason"]
        ('USD', 'stop')
        ```

        ``llm_output["request_id"]`` is the gateway's request id when it sends one;
        ``langchain_zzz.zzz_cost()`` counts these calls too.

    Errors: the same classes as ``ChatZZZ`` (zzz_core's, ``openai``'s and LangChain's), e.g.
    ``langchain_zzz.errors.InsufficientBalanceError`` for 智增增's ``{"code": 1001}``;
    retryable ones are retried by zzz_core's one retry loop (``max_retries``).
    """

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )

    model: str = Field(alias="model_name")
    max_tokens: int | None = 256
    """Output cap (the endpoint's own default is 16 tokens); None leaves it to the gateway."""
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    """Completions per prompt."""
    best_of: int | None = None
    """Generate this many server-side and return the best ``n``."""
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    suffix: str | None = None
    """Text that comes after the completion (insertion)."""
    echo: bool | None = None
    """Return the prompt before the completion."""
    logprobs: int | None = None
    """Log-probabilities of this many most likely tokens, in ``generation_info["logprobs"]``."""
    seed: int | None = None
    logit_bias: dict[int | str, float] | None = None
    streaming: bool = False
    stream_usage: bool = True
    include_response_headers: bool = False
    """Put the last response's headers in ``llm_output["headers"]`` (streamed: the last chunk's
    ``generation_info``); the gateway's ``request_id`` is always there when it sent one."""
    batch_size: int = 20
    """Prompts per request."""
    disabled_params: dict[str, Any] | None = None
    """Parameters never to send (ChatOpenAI's setting): ``{"parallel_tool_calls": None}`` never sends it,
    ``{"temperature": [0.7]}`` leaves out only those values. A parameter the gateway rejects is also learned
    by itself after one failed call (``zzz_core.negotiation``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    extra_body: dict[str, Any] | None = None

    _profiles: ProfileCache = PrivateAttr(default_factory=ProfileCache)

    def _zzz_setup(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {self.batch_size}")
        self._profiles = ProfileCache()  # anew after unpickling, which drops private state
        self._connect()

    @property
    def _llm_type(self) -> str:
        return "zzz-completions"

    _field_params: ClassVar[tuple[str, ...]] = _FIELD_PARAMS
    _ls_model_type: ClassVar[Literal["chat", "llm"]] = "llm"
    _lc_namespace: ClassVar[tuple[str, ...]] = ("langchain_zzz", "llms")

    def get_num_tokens(self, text: str) -> int:
        """Estimated tokens of ``text``, offline (see ``langchain_zzz._tokens``)."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return estimate_tokens(text)

    # -- requests -------------------------------------------------------------

    def bulk_request(self, kind: str, item: Any) -> dict[str, Any]:
        """The request body for one row of a bulk job (``zzz_core.bulk.ray.CompletionRows``):
        ``item`` is the prompt; this model's fields apply."""
        if kind != "completions":
            raise ValueError(f"ZZZ makes completions requests, not {kind!r} (use ChatZZZ for chat)")
        return self._request(str(item), None, stream=False)[0]

    def _request(
        self, prompt: str | list[str], stop: list[str] | None, *, stream: bool, **kwargs: Any
    ) -> tuple[dict[str, Any], str]:
        kwargs.pop("stream", None)
        model = kwargs.pop("model", None) or self.model
        stream_usage = kwargs.pop("stream_usage", self.stream_usage)
        params = {name: getattr(self, name) for name in _FIELD_PARAMS}
        params.update({name: kwargs.pop(name) for name in COMPLETION_CALL_PARAMS if name in kwargs})
        params["stop"] = stop if stop is not None else self.stop
        extra = {**self.model_kwargs, **(self.extra_body or {}), **(kwargs.pop("extra_body", None) or {}), **kwargs}
        profile = self._profiles.get(self.model) if model == self.model else get_profile(model)
        body = build_completion_request(
            model, prompt, profile=profile, stream=stream, stream_usage=stream_usage, extra_body=extra or None,
            **params,
        )  # fmt: skip
        return without_disabled(body, self.disabled_params), model

    def _batches(self, prompts: list[str]) -> Iterator[list[str]]:
        for start in range(0, len(prompts), self.batch_size):
            yield prompts[start : start + self.batch_size]

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming or kwargs.get("stream"):
            chunks = [self._merge(list(self._stream(p, stop, run_manager, **kwargs))) for p in prompts]
            return _streamed_result(chunks, kwargs.get("model") or self.model)
        results = []
        for batch in self._batches(prompts):
            body, model = self._request(batch, stop, stream=False, **kwargs)
            result = _error_boundary.call(self._gateway.complete, body)
            results.append((len(batch), priced(result, model, gateway=self._gateway, prices=self.prices)))
        return _llm_result(results, kwargs.get("model") or self.model, self.include_response_headers)

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming or kwargs.get("stream"):
            chunks = []
            for prompt in prompts:
                chunks.append(self._merge([c async for c in self._astream(prompt, stop, run_manager, **kwargs)]))
            return _streamed_result(chunks, kwargs.get("model") or self.model)
        results = []
        for batch in self._batches(prompts):
            body, model = self._request(batch, stop, stream=False, **kwargs)
            result = await _error_boundary.acall(self._gateway.acomplete, body)
            results.append((len(batch), await apriced(result, model, gateway=self._gateway, prices=self.prices)))
        return _llm_result(results, kwargs.get("model") or self.model, self.include_response_headers)

    @staticmethod
    def _merge(chunks: list[GenerationChunk]) -> GenerationChunk:
        merged = chunks[0]
        for chunk in chunks[1:]:
            merged += chunk
        return merged

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        body, model = self._request(prompt, stop, stream=True, **kwargs)
        if (body.get("n") or 1) > 1 or (body.get("best_of") or 1) > 1:
            raise ValueError("n > 1 and best_of > 1 cannot be streamed")
        stream = self._gateway.complete_stream(body)
        try:
            for c in _error_boundary.translated(iter(stream)):
                chunk = _chunk(c)
                if chunk is not None:
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk, verbose=self.verbose)
                    yield chunk
            result = priced(stream.result(), model, gateway=self._gateway, prices=self.prices)
            yield _last_chunk(result, model, self.include_response_headers)
        finally:
            stream.close()

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        body, model = self._request(prompt, stop, stream=True, **kwargs)
        if (body.get("n") or 1) > 1 or (body.get("best_of") or 1) > 1:
            raise ValueError("n > 1 and best_of > 1 cannot be streamed")
        stream = self._gateway.acomplete_stream(body)
        try:
            async for c in _error_boundary.atranslated(stream.__aiter__()):
                chunk = _chunk(c)
                if chunk is not None:
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk, verbose=self.verbose)
                    yield chunk
            result = await apriced(stream.result(), model, gateway=self._gateway, prices=self.prices)
            yield _last_chunk(result, model, self.include_response_headers)
        finally:
            await stream.aclose()


def _token_usage(results: list[CompletionResult]) -> dict[str, int]:
    usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    for r in results:
        if r.usage is not None:
            usage["prompt_tokens"] += r.usage.prompt_tokens
            usage["completion_tokens"] += r.usage.completion_tokens
            usage["total_tokens"] += r.usage.total_tokens
    return usage


def _info(finish_reason: str | None, logprobs: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"finish_reason": finish_reason}
    if logprobs is not None:
        info["logprobs"] = logprobs
    return info


def _llm_result(results: list[tuple[int, CompletionResult]], model: str, include_headers: bool) -> LLMResult:
    generations: list[list[Generation]] = []
    for count, result in results:
        choices = sorted(result.choices, key=lambda c: c.index)
        per_prompt = max(1, len(choices) // count) if count else 1
        for i in range(count):
            group = choices[i * per_prompt : (i + 1) * per_prompt]
            generations.append(
                [Generation(text=c.text, generation_info=_info(c.finish_reason, c.logprobs)) for c in group]
            )
    last = results[-1][1] if results else None
    llm_output: dict[str, Any] = {
        "token_usage": _token_usage([r for _, r in results]),
        "model_name": (last.model if last else None) or model,
        "id": last.id if last else None,
        "gateway_host": last.host if last else None,
        "request_id": last.request_id if last else None,
    }
    if include_headers:
        llm_output["headers"] = dict(last.headers) if last else {}
    cost = _summed_cost([r.cost for _, r in results])
    if cost is not None:
        llm_output["cost"] = cost
    return LLMResult(generations=generations, llm_output=llm_output)


def _summed_cost(costs: list[Any]) -> dict[str, Any] | None:
    """One request's cost, or several summed: ``None`` unless every part is priced in one currency."""
    if not costs or any(c is None for c in costs) or len({c.currency for c in costs}) != 1:
        return None
    first = costs[0].as_metadata()
    return {**first, "amount": sum(c.amount for c in costs)}


def _chunk(c: CompletionChunk) -> GenerationChunk | None:
    if c.index != 0 or not (c.text or c.logprobs):
        return None
    return GenerationChunk(text=c.text, generation_info={"logprobs": c.logprobs} if c.logprobs else None)


def _last_chunk(result: CompletionResult, model: str, include_headers: bool) -> GenerationChunk:
    choice = result.choices[0] if result.choices else None
    info: dict[str, Any] = {
        "finish_reason": choice.finish_reason if choice else None,
        "model_name": result.model or model,
        "token_usage": _token_usage([result]),
    }
    if result.request_id:
        info["request_id"] = result.request_id
    if include_headers:
        info["headers"] = dict(result.headers)
    if result.cost is not None:
        info["cost"] = result.cost
    return GenerationChunk(text="", generation_info=info)


def _streamed_result(chunks: list[GenerationChunk], model: str) -> LLMResult:
    usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    generations = []
    costs: list[Any] = []
    for chunk in chunks:
        info = dict(chunk.generation_info or {})
        for key, value in (info.pop("token_usage", None) or {}).items():
            usage[key] += value
        info.pop("model_name", None)
        costs.append(info.pop("cost", None))
        generations.append([Generation(text=chunk.text, generation_info=info)])
    llm_output: dict[str, Any] = {"token_usage": usage, "model_name": model}
    cost = _summed_cost(costs)
    if cost is not None:
        llm_output["cost"] = cost
    return LLMResult(generations=generations, llm_output=llm_output)
