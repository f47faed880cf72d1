"""Structured output: ``structured_predict`` and its async and streaming twins.

``ZZZ`` (and ``as_structured_llm``, which calls these) asks for a ``json_schema``
response format when the model's profile says
``structured_output_method == "json_schema"`` and ``pydantic_program_mode`` is the
default; otherwise LlamaIndex's own programs run: function calling with the tool
required for function-calling models, text parsing for the rest.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.bridge.pydantic import BaseModel, ValidationError
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode

from zzz_core import json_schema_response_format
from zzz_core.integration import safe_function_name

if TYPE_CHECKING:
    from llama_index.core.llms.function_calling import FunctionCallingLLM

    from zzz_core import ModelProfile

    # For the type checker the mixin is the LLM it is mixed into (ZZZ puts it before
    # FunctionCallingLLM), so super() and the chat methods are checked; at runtime it is a
    # plain class, which declares no pydantic fields.
    _MixedInto = FunctionCallingLLM
else:
    _MixedInto = object

__all__ = ["StructuredOutputMixin", "parse_structured", "schema_kwargs"]

dispatcher = get_dispatcher(__name__)

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def schema_kwargs(
    llm_kwargs: dict[str, Any] | None, output_cls: type[BaseModel], strict: bool | None
) -> dict[str, Any]:
    """``llm_kwargs`` plus ``response_format`` asking for ``output_cls``'s JSON schema.

    A ``tool_choice`` in ``llm_kwargs`` is dropped: no tools are sent on this path.
    """
    kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in ("tool_choice", "tool_required")}
    name = safe_function_name(output_cls.__name__, fallback="response")
    kwargs["response_format"] = json_schema_response_format(output_cls.model_json_schema(), name, strict=strict)
    return kwargs


def parse_structured(response: ChatResponse, output_cls: type[BaseModel]) -> BaseModel:
    """Validate the answer text into ``output_cls`` (a Markdown code fence around it is tolerated).

    Raises:
        ValueError: the model answered no text, or text that does not validate;
            the message names the class and quotes the start of the answer.
    """
    text = response.message.content or ""
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    if not text.strip():
        raise ValueError(f"the model returned no JSON for {output_cls.__name__} (empty answer)")
    try:
        return output_cls.model_validate_json(text)
    except ValidationError as exc:
        raise ValueError(
            f"the model's answer does not validate as {output_cls.__name__}: {exc.errors()[:3]}; "
            f"answer starts {text[:200]!r}"
        ) from exc


class StructuredOutputMixin(_MixedInto):
    """The structured-output overrides of ``ZZZ`` (placed before ``FunctionCallingLLM``)."""

    # It relies on ZZZ/LLM for pydantic_program_mode, strict, profile, metadata, the chat
    # methods and _extend_messages; it declares no annotations at runtime, which pydantic
    # would take for fields.
    if TYPE_CHECKING:
        strict: bool | None

        @property
        def profile(self) -> ModelProfile: ...

    def _uses_json_schema(self) -> bool:
        return (
            self.pydantic_program_mode == PydanticProgramMode.DEFAULT
            and self.profile.structured_output_method == "json_schema"
            and self.metadata.is_chat_model
        )

    def _schema_messages(self, prompt: PromptTemplate, prompt_args: dict[str, Any]) -> list[ChatMessage]:
        return self._extend_messages(prompt.format_messages(llm=self, **prompt_args))

    def _forced_tool_program(self, output_cls: type[BaseModel], prompt: PromptTemplate) -> Any:
        """The function-calling program for streamed structured output, with the tool required.

        LlamaIndex's ``FunctionCallingProgram.stream_call`` drops its ``tool_required``
        (llama-index-core 0.14), so a model left on ``tool_choice="auto"`` may answer in
        text and the stream yields empty objects; ``tool_choice="required"`` is kept.
        """
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT or not self.metadata.is_function_calling_model:
            return None
        from llama_index.core.program.function_program import FunctionCallingProgram

        return FunctionCallingProgram.from_defaults(
            output_cls=output_cls, llm=self, prompt=prompt, tool_choice="required"
        )

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> BaseModel:
        """Through a ``json_schema`` response format where the profile says so, else LlamaIndex's program."""
        if not self._uses_json_schema():
            return super().structured_predict(output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args)
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        kwargs = schema_kwargs(llm_kwargs, output_cls, self.strict)
        result = parse_structured(self.chat(self._schema_messages(prompt, prompt_args), **kwargs), output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> BaseModel:
        if not self._uses_json_schema():
            return await super().astructured_predict(output_cls, prompt, llm_kwargs=llm_kwargs, **prompt_args)
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        kwargs = schema_kwargs(llm_kwargs, output_cls, self.strict)
        response = await self.achat(self._schema_messages(prompt, prompt_args), **kwargs)
        result = parse_structured(response, output_cls)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        if not self._uses_json_schema():
            program = self._forced_tool_program(output_cls, prompt)
            if program is None:
                return super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)
            return program.stream_call(llm_kwargs=llm_kwargs, **prompt_args)
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental

        responses = self.stream_chat(
            self._schema_messages(prompt, prompt_args), **schema_kwargs(llm_kwargs, output_cls, self.strict)
        )

        def gen() -> Generator[Any, None, None]:
            current = None
            for response in responses:
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current

        return gen()

    async def _structured_astream_call(
        self,
        output_cls: type[BaseModel],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        if not self._uses_json_schema():
            program = self._forced_tool_program(output_cls, prompt)
            if program is None:
                return await super()._structured_astream_call(output_cls, prompt, llm_kwargs, **prompt_args)
            return await program.astream_call(llm_kwargs=llm_kwargs, **prompt_args)
        from llama_index.core.program.streaming_utils import process_streaming_content_incremental

        responses = await self.astream_chat(
            self._schema_messages(prompt, prompt_args), **schema_kwargs(llm_kwargs, output_cls, self.strict)
        )

        async def gen() -> AsyncGenerator[Any, None]:
            current = None
            async for response in responses:
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current

        return gen()
