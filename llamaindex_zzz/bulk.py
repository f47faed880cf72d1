"""LlamaIndex types in and out of the bulk runner (``zzz_core.bulk``); conversion only.

::

    from llama_index.core.llms import ChatMessage
    from llamaindex_zzz.bulk import chat_requests, read_messages
    from zzz_core.bulk import run_bulk

    conversations = [[ChatMessage(role="user", content=q)] for q in questions]
    report = run_bulk(chat_requests(conversations, ids=question_ids), "answers.jsonl", kind="chat", model="qwen-max")
    for custom_id, message, error in read_messages("answers.jsonl"):
        ...   # message: a ChatMessage (assistant), or None and the error record
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from llama_index.core.llms import ChatMessage, ChatResponse

from zzz_core.bulk.inputs import chat_lines
from zzz_core.bulk.results import iter_outcomes
from zzz_core.decode import parse_chat_response

from ._messages import to_openai_messages
from ._responses import chat_response

__all__ = ["chat_requests", "read_messages", "read_responses"]


def chat_requests(
    conversations: Iterable[Sequence[ChatMessage]], *, ids: Iterable[str] | None = None, **body: Any
) -> Iterator[dict[str, Any]]:
    """One bulk chat request per list of ``ChatMessage`` (read lazily).

    Args:
        conversations: The messages of each request.
        ids: The ``custom_id`` of each request (default: a hash of the request, stable across runs).
        **body: Request parameters for every request (``temperature=0``, ``max_tokens=…``).
    """
    return chat_lines((to_openai_messages(list(messages)) for messages in conversations), ids=ids, **body)


def read_responses(path: str) -> Iterator[tuple[str, ChatResponse | None, dict[str, Any] | None]]:
    """``(custom_id, ChatResponse, None)`` per answered item of a bulk chat results file (usage
    in ``raw``/``additional_kwargs`` as ``ZZZ.chat`` gives it), ``(custom_id, None, error)`` per failed one."""
    for outcome in iter_outcomes(path):
        if outcome.body is None:
            yield outcome.custom_id, None, outcome.error
        else:
            yield outcome.custom_id, chat_response(parse_chat_response(outcome.body)), None


def read_messages(path: str) -> Iterator[tuple[str, ChatMessage | None, dict[str, Any] | None]]:
    """Like :func:`read_responses`, with the assistant ``ChatMessage`` of each answer."""
    for custom_id, response, error in read_responses(path):
        yield custom_id, (response.message if response is not None else None), error
