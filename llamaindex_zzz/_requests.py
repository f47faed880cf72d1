"""Request bodies of ``ZZZ``: its fields and the per-call kwargs -> zzz_core's request builders.

``additional_kwargs`` and per-call kwargs are split into the builder's parameters and
``extra_body`` (unknown keys go into the body); the fields (``temperature``,
``max_tokens``, ``reasoning_effort``, ``thinking``) come first and per-call values win;
``disabled_params`` are taken out last (``zzz_core.negotiation.without_disabled``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage

from zzz_core import build_chat_request, build_completion_request, integration
from zzz_core.negotiation import without_disabled

from . import _messages as M

if TYPE_CHECKING:
    from zzz_core import ModelProfile

__all__ = ["RequestBodiesMixin"]


class RequestBodiesMixin:
    """The request-building methods of ``ZZZ`` (a plain class: pydantic sees no fields here)."""

    # ZZZ declares these fields; annotations only for the type checker, none at runtime,
    # where pydantic would take them for fields.
    if TYPE_CHECKING:
        model: str
        temperature: float | None
        max_tokens: int | None
        reasoning_effort: str | None
        thinking: bool | int | dict[str, Any] | None
        additional_kwargs: dict[str, Any]
        disabled_params: dict[str, Any] | None

        @property
        def profile(self) -> ModelProfile: ...

    def _split_kwargs(self, kwargs: dict[str, Any], known: frozenset[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(parameters of the request builder, extra_body) from additional_kwargs + per-call kwargs."""
        params: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for source in (self.additional_kwargs, kwargs):
            for key, value in source.items():
                if key == "extra_body":
                    extra.update(value or {})
                elif key in known:
                    params[key] = value
                elif key != "stream":
                    extra[key] = value
        return params, extra

    def _chat_body(self, messages: Sequence[ChatMessage], stream: bool, kwargs: dict[str, Any]) -> dict[str, Any]:
        params, extra = self._split_kwargs(kwargs, integration.CHAT_CALL_PARAMS)
        base = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning_effort": self.reasoning_effort,
            "thinking": self.thinking,
        }
        body = build_chat_request(
            self.model,
            M.to_openai_messages(M.check_messages(messages)),
            profile=self.profile,
            stream=stream,
            **{**base, **params},
            extra_body=extra or None,
        )
        return without_disabled(body, self.disabled_params)

    def bulk_request(self, kind: str, item: Any) -> dict[str, Any]:
        """The request body for one row of a bulk job (``zzz_core.bulk.ray.ChatRows`` /
        ``CompletionRows``): a string or a list of message dicts for ``"chat"``, the prompt for
        ``"completions"``; this model's fields apply."""
        if kind == "completions":
            return self._completion_body(str(item), False, {})
        if kind != "chat":
            raise ValueError(f"ZZZ makes chat or completions requests, not {kind!r}")
        rows = [{"role": "user", "content": item}] if isinstance(item, str) else item
        return self._chat_body([ChatMessage(**row) for row in rows], False, {})

    def _completion_body(self, prompt: str, stream: bool, kwargs: dict[str, Any]) -> dict[str, Any]:
        params, extra = self._split_kwargs(kwargs, integration.COMPLETION_CALL_PARAMS)
        base = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        body = build_completion_request(
            self.model, prompt, profile=self.profile, stream=stream, **{**base, **params}, extra_body=extra or None
        )
        return without_disabled(body, self.disabled_params)
