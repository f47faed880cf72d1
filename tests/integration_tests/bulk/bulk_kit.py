"""Helpers of the bulk runner's tests: input files whose items the simulator's log can name."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

KEY = "sk-zkBULK0123456789abcdefBULK0123456789abcdef"


def write_input(path: Path, n: int, *, kind: str = "chat", start: int = 0, model: str | None = None) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            if kind == "chat":
                line = {"custom_id": f"q{i}", "messages": [{"role": "user", "content": f"item {i}"}]}
            elif kind == "embeddings":
                line = {"custom_id": f"q{i}", "input": f"item {i}"}
            else:
                line = {"custom_id": f"q{i}", "prompt": f"item {i}"}
            if model:
                line["model"] = model
            fh.write(json.dumps(line) + "\n")
    return path


def item_of(request) -> str | None:
    """The custom_id (``q<i>``) a recorded request was sent for."""
    body = request.body if isinstance(request.body, dict) else {}
    text = None
    if body.get("messages"):
        text = body["messages"][-1].get("content")
    elif "prompt" in body:
        text = body["prompt"]
    elif "input" in body:
        text = body["input"] if isinstance(body["input"], str) else body["input"][0]
    if isinstance(text, str) and text.startswith("item "):
        return "q" + text[5:]
    return None


def answered(sim) -> Counter[str]:
    """How many times the simulator answered each item successfully."""
    return Counter(item_of(r) for r in sim.requests if r.ok)


def sent(sim) -> Counter[str]:
    return Counter(item_of(r) for r in sim.requests if item_of(r))


def recorded(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
