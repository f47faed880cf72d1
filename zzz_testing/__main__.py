"""``python -m zzz_testing --port 8000 --dialect newapi``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from .faults import DIALECTS
from .server import GatewaySimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zzz_testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    parser.add_argument("--dialect", choices=DIALECTS, default="zhizengzeng")
    parser.add_argument("--api-key", action="append", dest="api_keys", help="accept only this key (repeatable)")
    parser.add_argument(
        "--reasoning-field",
        default="reasoning_content",
        choices=("reasoning_content", "reasoning", "both", "think_tags"),
    )
    parser.add_argument(
        "--tool-delta-style", default="standard", choices=("standard", "no_index", "repeat_id", "whole")
    )
    parser.add_argument("--chunk-chars", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every response")
    parser.add_argument("--keepalive-comments", action="store_true")
    parser.add_argument("--crlf", action="store_true")
    parser.add_argument(
        "--zzz-quirks", action="store_true", help='zhizengzeng: success bodies with id "" and model null'
    )
    parser.add_argument("--replay", metavar="FILE", help="answer with a `zzz capture` file's recorded answers")
    args = parser.parse_args(argv)
    sim = GatewaySimulator(
        args.dialect, host=args.host, port=args.port, api_keys=args.api_keys,
        reasoning_field=args.reasoning_field, tool_delta_style=args.tool_delta_style,
        chunk_chars=args.chunk_chars, latency=args.latency, keepalive_comments=args.keepalive_comments,
        crlf=args.crlf, zzz_quirks=args.zzz_quirks, record_requests=False, replay=args.replay,
    )  # fmt: skip
    with sim:
        print(sim.base_url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
