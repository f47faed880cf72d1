"""Agent loops from llama_index.core.agent.workflow: two tool calls, then a final answer."""

from __future__ import annotations

import pytest
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent, ToolCallResult

# llama-index-workflows scans the agent with inspect.getmembers, which touches pydantic's deprecated attributes
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"sunny and 21 degrees in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:30 in {city}"


ASK = "Use get_weather and get_time for Paris."
FINAL = "The result of get_weather is sunny and 21 degrees in Paris. The result of get_time is 10:30 in Paris."


async def run(agent, question=ASK):
    handler = agent.run(question)
    events = [ev async for ev in handler.stream_events()]
    return await handler, events


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_calls_two_tools_and_finishes(chat_bodies, make_llm, streaming):
    agent = FunctionAgent(tools=[get_weather, get_time], llm=make_llm("deepseek-chat"), streaming=streaming)
    result, events = await run(agent)
    calls = [(e.tool_name, e.tool_kwargs, e.tool_output.content) for e in events if isinstance(e, ToolCallResult)]
    assert calls == [
        ("get_weather", {"city": "Paris"}, "sunny and 21 degrees in Paris"),
        ("get_time", {"city": "Paris"}, "10:30 in Paris"),
    ]
    assert str(result) == FINAL
    bodies = chat_bodies()
    assert len(bodies) == 2
    replay = bodies[1]["messages"]
    assert [m["role"] for m in replay] == ["user", "assistant", "tool", "tool"]
    assert [c["id"] for c in replay[1]["tool_calls"]] == [replay[2]["tool_call_id"], replay[3]["tool_call_id"]]
    assert all("parallel_tool_calls" not in b for b in bodies)  # deepseek-chat's profile: not sent
    if streaming:
        assert any(isinstance(e, AgentStream) and e.delta for e in events)


async def test_function_agent_with_a_reasoning_model(chat_bodies, make_llm):
    """deepseek-reasoner: thinking streams as AgentStream.thinking_delta and is replayed on the tool turn."""
    agent = FunctionAgent(tools=[get_weather, get_time], llm=make_llm("deepseek-reasoner"))
    result, events = await run(agent)
    assert str(result) == FINAL
    thinking = "".join(e.thinking_delta or "" for e in events if isinstance(e, AgentStream))
    assert thinking.startswith(f"Let me think step by step about: {ASK}")
    assistant = chat_bodies()[1]["messages"][1]
    assert assistant["reasoning_content"] == f"Let me think step by step about: {ASK}"
    assert len(assistant["tool_calls"]) == 2


async def test_function_agent_sends_parallel_only_to_models_that_take_it(chat_bodies, make_llm):
    agent = FunctionAgent(tools=[get_weather, get_time], llm=make_llm("gpt-4o-mini"))
    result, _ = await run(agent)
    assert str(result) == FINAL
    assert chat_bodies()[0]["parallel_tool_calls"] is True


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent_calls_two_tools_and_finishes(chat_bodies, make_llm, streaming):
    """ReAct: no `tools` field; the tools are listed in the system prompt and called by text steps."""
    agent = ReActAgent(tools=[get_weather, get_time], llm=make_llm("deepseek-chat"), streaming=streaming)
    handler = agent.run(ASK, max_iterations=6)
    events = [ev async for ev in handler.stream_events()]
    result = await handler
    calls = [(e.tool_name, e.tool_kwargs, e.tool_output.content) for e in events if isinstance(e, ToolCallResult)]
    assert calls == [
        ("get_weather", {"city": "Paris"}, "sunny and 21 degrees in Paris"),
        ("get_time", {"city": "Paris"}, "10:30 in Paris"),
    ]
    assert str(result) == FINAL
    bodies = chat_bodies()
    assert len(bodies) == 3 and all("tools" not in b for b in bodies)
    replay = bodies[2]["messages"]
    assert [m["role"] for m in replay] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "> Tool Name: get_weather" in replay[0]["content"]
    assert replay[2]["content"].startswith("Thought: ") and "Action: get_weather" in replay[2]["content"]
    assert replay[3]["content"] == "Observation: sunny and 21 degrees in Paris"
