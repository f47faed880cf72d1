"""Reasoning as ThinkingBlock / thinking_delta, and usage for LlamaIndex's token counting."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

ASK = [ChatMessage(role="user", content="Why is the sky blue?")]
THOUGHT = "Let me think step by step about: Why is the sky blue?"
ANSWER = "This is a simulated answer to: Why is the sky blue?"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "think_tags"])
def test_thinking_block_separate_from_answer(make_llm, field):
    llm = make_llm("deepseek-reasoner", default_headers={"X-ZZZ-Reasoning-Field": field})
    response = llm.chat(ASK)
    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock) and thinking.content == THOUGHT
    assert isinstance(text, TextBlock) and response.message.content == ANSWER
    assert thinking.num_tokens == response.additional_kwargs["reasoning_tokens"] > 0


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "think_tags"])
def test_thinking_delta_while_streaming(make_llm, field):
    llm = make_llm("deepseek-reasoner", default_headers={"X-ZZZ-Reasoning-Field": field})
    responses = list(llm.stream_chat(ASK))
    deltas = [r.additional_kwargs.get("thinking_delta") for r in responses]
    assert "".join(d for d in deltas if d).strip() == THOUGHT
    first_text = next(i for i, r in enumerate(responses) if r.delta)
    assert all(deltas[:first_text])  # the thinking arrives first, as it is produced
    assert "".join(r.delta or "" for r in responses) == ANSWER
    last = responses[-1].message
    assert isinstance(last.blocks[0], ThinkingBlock) and last.blocks[0].content.strip() == THOUGHT
    assert last.content == ANSWER


async def test_async_thinking(make_llm):
    llm = make_llm("deepseek-reasoner")
    assert (await llm.achat(ASK)).message.blocks[0].content == THOUGHT
    gen = await llm.astream_chat(ASK)
    responses = [r async for r in gen]
    assert "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses) == THOUGHT


@pytest.mark.parametrize("stream", [False, True])
def test_token_counting_handler_sees_gateway_usage(sim, make_llm, stream):
    counter = TokenCountingHandler(tokenizer=lambda text: text.split())  # no tiktoken download
    llm = make_llm("deepseek-reasoner", callback_manager=CallbackManager([counter]))
    if stream:
        for _ in llm.stream_chat(ASK):
            pass
    else:
        llm.chat(ASK)
    usage = [r for r in sim.requests if r.path.endswith("/chat/completions")]
    assert len(usage) == 1
    (event,) = counter.llm_token_counts
    response_usage = llm.chat(ASK).raw["usage"]  # the same deterministic answer
    assert event.prompt_token_count == response_usage["prompt_tokens"]
    assert event.completion_token_count == response_usage["completion_tokens"]
    assert response_usage["completion_tokens_details"]["reasoning_tokens"] > 0
    assert response_usage["prompt_tokens_details"]["cached_tokens"] == 0
