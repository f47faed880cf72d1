"""The README's demo: zzz_core against the embedded simulator, or the real gateway.

With no ``ZZZ_API_KEY`` set, a simulator is started on 127.0.0.1 and everything
runs against it; with a key, the same steps run against the gateway
(``ZZZ_GATEWAY``/``ZZZ_BASE_URL`` choose which; model names from
``ZZZ_DEMO_CHAT_MODEL`` and ``ZZZ_DEMO_REASONING_MODEL``).
"""

from __future__ import annotations

import contextlib
import os
import sys

from zzz_core import Gateway, InsufficientBalanceError, ZZZError, build_chat_request
from zzz_core.simulator import Fault, GatewaySimulator


def main() -> int:
    live = bool(os.environ.get("ZZZ_API_KEY"))
    chat_model = os.environ.get("ZZZ_DEMO_CHAT_MODEL", "gpt-4o-mini")
    reasoning_model = os.environ.get("ZZZ_DEMO_REASONING_MODEL", "deepseek-reasoner")
    with contextlib.ExitStack() as stack:
        if live:
            gw = Gateway.from_settings()
            print(f"Running against the real gateway {gw.config.base_url} (ZZZ_API_KEY is set).")
            sim = None
        else:
            sim = stack.enter_context(GatewaySimulator("zhizengzeng"))
            gw = Gateway.from_settings(api_key="sk-zk-demo-key", base_url=sim.base_url, gateway="zhizengzeng")
            print(f"Running against the embedded simulator at {sim.base_url} (set ZZZ_API_KEY to use the real gateway).")

        section("1. Models the key can use")
        models = gw.models()
        print(", ".join(m.id for m in models[:12]) + (" …" if len(models) > 12 else ""))

        section(f"2. A chat with {chat_model}")
        body = build_chat_request(chat_model, [{"role": "user", "content": "用一句话介绍一下智增增网关。"}])
        result = gw.chat(body)
        print(result.choices[0].content)
        if result.usage:
            print(f"(tokens: {result.usage.prompt_tokens} in, {result.usage.completion_tokens} out, via {result.host})")

        section(f"3. A stream from {reasoning_model}, reasoning shown apart from the answer")
        stream = gw.chat_stream(build_chat_request(reasoning_model, [{"role": "user", "content": "Why is the sky blue?"}], stream=True))
        shown = None
        for chunk in stream:
            for kind, text in (("thinking", chunk.reasoning), ("answer", chunk.content)):
                if text:
                    if kind != shown:
                        print(f"\n[{kind}] ", end="")
                        shown = kind
                    print(text, end="", flush=True)
        print()

        section("4. A gateway error, caught as a typed exception")
        if sim is not None:
            sim.inject(Fault.error("balance", shape="envelope_200"))
            try:
                gw.chat(body)
            except InsufficientBalanceError as exc:
                print(f"caught {type(exc).__name__} (retryable={exc.retryable}, code={exc.code}, msg={exc.msg!r})")
                print(f"  {exc}")
        else:
            try:
                gw.chat(build_chat_request("no-such-model-zzz", [{"role": "user", "content": "hi"}]))
            except ZZZError as exc:
                print(f"caught {type(exc).__name__}: {exc}")

        section("5. Balance")
        bal = gw.balance()
        print(f"remaining: {bal.remaining:.4f} {bal.currency or ''}".rstrip())
    return 0


def section(title: str) -> None:
    print(f"\n== {title}")


if __name__ == "__main__":
    sys.exit(main())
