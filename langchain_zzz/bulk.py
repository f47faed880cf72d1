"""LangChain types in and out of the bulk runner (``zzz_core.bulk``); conversion only.

::

    from langchain_core.prompts import ChatPromptTemplate
    from langchain_zzz.bulk import prompt_requests, read_messages
    from zzz_core.bulk import run_bulk

    prompt = ChatPromptTemplate.from_messages([("system", "Label the sentiment."), ("human", "{review}")])
    requests = prompt_requests(prompt, ({"review": r} for r in reviews), ids=review_ids, temperature=0)
    report = run_bulk(requests, "labels.jsonl", kind="chat", model="deepseek-chat")   # resumable
    for custom_id, message, error in read_messages("labels.jsonl"):
        ...   # message: an AIMessage (usage_metadata, response_metadata), or None and the error record
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.prompt_values import PromptValue

from zzz_core.bulk.inputs import chat_lines
from zzz_core.bulk.results import iter_outcomes
from zzz_core.decode import parse_chat_response

from ._messages import to_chat_result, to_openai_messages

__all__ = ["message_requests", "prompt_requests", "read_messages"]


def prompt_requests(
    prompt: Any, inputs: Iterable[Mapping[str, Any]], *, ids: Iterable[str] | None = None, **body: Any
) -> Iterator[dict[str, Any]]:
    """One bulk chat request per input of a prompt template (``prompt.invoke(values)``).

    Args:
        prompt: A LangChain prompt (``ChatPromptTemplate``, ``PromptTemplate``, or any runnable
            returning a ``PromptValue``).
        inputs: The template variables, one mapping per request; read lazily.
        ids: The ``custom_id`` of each request (default: a hash of the request, stable across runs).
        **body: Request parameters for every request (``temperature=0``, ``max_tokens=…``).
    """
    return message_requests((_as_messages(prompt.invoke(dict(values))) for values in inputs), ids=ids, **body)


def message_requests(
    conversations: Iterable[Iterable[BaseMessage]], *, ids: Iterable[str] | None = None, **body: Any
) -> Iterator[dict[str, Any]]:
    """One bulk chat request per list of LangChain messages."""
    return chat_lines((to_openai_messages(list(messages)) for messages in conversations), ids=ids, **body)


def _as_messages(value: Any) -> list[BaseMessage]:
    if isinstance(value, PromptValue):
        return value.to_messages()
    if isinstance(value, BaseMessage):
        return [value]
    if isinstance(value, list):
        return value
    raise TypeError(f"the prompt returned {type(value).__name__}, not a PromptValue or messages")


def read_messages(path: str) -> Iterator[tuple[str, AIMessage | None, dict[str, Any] | None]]:
    """``(custom_id, AIMessage, None)`` for each answered item of a bulk chat results file,
    ``(custom_id, None, error_record)`` for each failed one, in file order."""
    for outcome in iter_outcomes(path):
        if outcome.body is None:
            yield outcome.custom_id, None, outcome.error
            continue
        result = parse_chat_response(outcome.body)
        chat = to_chat_result(result, str(outcome.body.get("model") or ""))
        message = chat.generations[0].message
        assert isinstance(message, AIMessage)
        if outcome.request_id:
            message.response_metadata.setdefault("request_id", outcome.request_id)
        yield outcome.custom_id, message, None
