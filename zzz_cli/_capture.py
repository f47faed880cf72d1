"""``zzz capture -o FILE``: a fixed probe set sent once each to the live gateway, written sanitized.

Each probe is sent once (``max_retries=0``, no retry loop, no parameter negotiation) through the
official ``openai`` client's raw-response path, so that failures are recorded as the gateway sent
them: status, the headers of interest and the body (or a stream's ``data:`` payloads).  Before
anything is written the key (whole, in part, or masked like ``sk-zk…abcd``), account ids and
e-mail addresses are removed and long bodies trimmed.  ``GatewaySimulator(replay=FILE)``
(:mod:`zzz_testing.replay`) serves the file back; ``docs/capture.md`` documents the format.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._output import Printer

__all__ = ["BAD_KEY", "HEADERS_KEPT", "Sanitizer", "add_capture_parser", "cmd_capture", "probes"]

BAD_KEY = "sk-zzz-capture-deliberately-invalid-key-0000"
"""What the bad-key probe sends: no gateway issued it, so it may be written as is."""

HEADERS_KEPT = ("content-type", "retry-after", "retry-after-ms", "x-oneapi-request-id", "x-request-id",
                "request-id", "x-new-api-version", "x-zzz-request-id")  # fmt: skip
HEADER_PREFIXES_KEPT = ("x-ratelimit-",)
ACCOUNT_FIELDS = frozenset({"user_id", "userid", "user", "username", "display_name", "email", "account",
                            "account_id", "accountid", "organization", "org_id", "organization_id", "owner_id",
                            "token_id", "token_name", "uid", "phone", "openid", "wx_id", "github_id"})  # fmt: skip
MAX_STRING = 400
MAX_LIST = 24
MAX_NUMBERS = 8  # an embedding vector: its first numbers show the shape
MAX_EVENTS = 60  # a stream: the first 50 events and the last 10 ([DONE] and usage included)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MASKED = re.compile(r"([\w-]{2,16})(?:…|\.{3}|\*{2,})([\w-]{2,16})")
_RAW_STREAM = {"X-Stainless-Raw-Response": "stream"}


def probes(model: str, embedding_model: str, balance_requests: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    """The fixed probe set: ``{"name", "request": {"method", "path", "body"[, "auth"]}}``."""
    hi = [{"role": "user", "content": "Reply with the single word OK."}]
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    schema = {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": {
        "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"],
        "additionalProperties": False}}}  # fmt: skip
    chat = {"model": model, "messages": hi, "max_tokens": 16}
    weather = [{"role": "user", "content": "What is the weather in Paris? Use the tool."}]

    def post(name: str, path: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"name": name, "request": {"method": "POST", "path": path, "body": body, **extra}}

    out = [
        post("chat", "/chat/completions", chat),
        post("stream", "/chat/completions", {**chat, "stream": True, "stream_options": {"include_usage": True}}),
        post(
            "tool_call", "/chat/completions", {"model": model, "messages": weather, "tools": [tool], "max_tokens": 64}
        ),  # fmt: skip
        post("structured_output", "/chat/completions", {**chat, "max_tokens": 64, "response_format": schema}),
        post("embedding", "/embeddings", {"model": embedding_model, "input": "hello", "encoding_format": "float"}),
        {"name": "models", "request": {"method": "GET", "path": "/models", "body": None}},
    ]
    for i, (method, path) in enumerate(balance_requests):
        name = "balance" if i == 0 else f"balance_{i + 1}"
        out.append({"name": name, "request": {"method": method, "path": path,
                                              "body": {} if method == "POST" else None}})  # fmt: skip
    from zzz_testing.replay import UNSUPPORTED_PARAMETER

    out += [
        post("unknown_model", "/chat/completions", {**chat, "model": "zzz-capture-no-such-model"}),
        post("bad_key", "/chat/completions", chat, auth="invalid"),
        post("oversized_max_tokens", "/chat/completions", {**chat, "max_tokens": 10_000_000}),
        post("unsupported_parameter", "/chat/completions", {**chat, UNSUPPORTED_PARAMETER: True}),
        post("empty_messages", "/chat/completions", {"model": model, "messages": [], "max_tokens": 16}),
    ]
    return out


class Sanitizer:
    """Removes the key in every form, account ids and e-mail addresses; trims long values."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = [s for s in secrets if s and len(s) >= 8]
        self.trimmed: list[str] = []
        """What was cut from lists since the last probe (``run_probe`` moves it into the entry)."""
        pieces: set[str] = set()
        for s in self.secrets:
            # every run of 8+ characters of the key: the key itself, without "sk-", or cut short
            pieces.update(s[i:j] for i in range(len(s)) for j in range(i + 8, len(s) + 1))
        longest_first = sorted(pieces, key=len, reverse=True)
        self._pieces = re.compile("|".join(map(re.escape, longest_first))) if pieces else None

    def text(self, value: str) -> str:
        if self._pieces is not None:
            value = self._pieces.sub("<redacted-key>", value)
        value = _MASKED.sub(self._masked, value)
        value = _EMAIL.sub("<redacted-email>", value)
        if len(value) > MAX_STRING:
            value = value[:MAX_STRING] + f"…[{len(value) - MAX_STRING} characters trimmed]"
        return value

    def _masked(self, m: re.Match[str]) -> str:
        """``sk-zk…abcd``: the key's first characters, an ellipsis, its last ones."""
        left, right = m.group(1), m.group(2)
        for s in self.secrets:
            if s.endswith(right) and any(s.startswith(left[i:]) for i in range(len(left) - 2)):
                return "<redacted-key>"
        return m.group(0)

    def value(self, value: Any, name: str = "") -> Any:
        if name.lower() in ACCOUNT_FIELDS and value not in (None, "", 0):
            return "<redacted-account>"
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            limit = MAX_NUMBERS if value and all(isinstance(v, (int, float)) for v in value) else MAX_LIST
            if len(value) > limit:  # noted beside the answer, not in it: the list must still decode
                self.trimmed.append(f"{name or 'a list'}: {len(value) - limit} of {len(value)} items trimmed")
            return [self.value(v) for v in value[:limit]]
        return value

    def headers(self, headers: Any) -> dict[str, str]:
        out = {}
        for k, v in headers.items():
            k = k.lower()
            if k in HEADERS_KEPT or k.startswith(HEADER_PREFIXES_KEPT):
                out[k] = self.text(str(v))
        return out

    def events(self, payloads: list[str]) -> list[str]:
        kept = payloads if len(payloads) <= MAX_EVENTS else payloads[:50] + payloads[-10:]
        out = []
        for data in kept:
            try:
                out.append(json.dumps(self.value(json.loads(data)), ensure_ascii=False))
            except ValueError:
                out.append(self.text(data))
        return out


def _body(raw: bytes, sanitizer: Sanitizer) -> Any:
    text = raw.decode("utf-8", "replace")
    try:
        return sanitizer.value(json.loads(text))
    except ValueError:
        return sanitizer.text(text)


def run_probe(client: Any, probe: dict[str, Any], sanitizer: Sanitizer) -> dict[str, Any]:
    """Send one probe once; its sanitized entry (``error`` when no answer came)."""
    import openai

    from zzz_core import _compat

    req = probe["request"]
    if req.get("auth") == "invalid":
        client = client.with_options(api_key=BAD_KEY)
    entry: dict[str, Any] = {"name": probe["name"], "request": sanitizer.value(req)}
    try:
        if req["method"] == "GET":
            response = client.get(req["path"], cast_to=_compat.Response, options={"headers": _RAW_STREAM})
        else:
            response = client.post(req["path"], cast_to=_compat.Response, body=req["body"],
                                   options={"headers": _RAW_STREAM})  # fmt: skip
    except openai.APIStatusError as exc:
        response = exc.response
    except openai.APIConnectionError as exc:
        entry["status"] = None
        entry["error"] = sanitizer.text(f"{type(exc).__name__}: {exc.__cause__ or exc}")
        return entry
    sanitizer.trimmed.clear()
    entry["status"] = response.status_code
    entry["headers"] = sanitizer.headers(response.headers)
    try:
        if "text/event-stream" in response.headers.get("content-type", ""):
            lines = [line for line in response.iter_lines() if line.startswith("data:")]
            entry["sse"] = sanitizer.events([line[5:].strip() for line in lines])
        else:
            entry["body"] = _body(response.read(), sanitizer)
    finally:
        response.close()
    if sanitizer.trimmed:
        entry["trimmed"] = sorted(set(sanitizer.trimmed))
    return entry


def capture(config: Any, model: str, embedding_model: str) -> dict[str, Any]:
    """Run every probe against ``config``'s primary host; the sanitized capture document."""
    from zzz_core.clients import ClientPool
    from zzz_core.presets import balance_apis_for
    from zzz_testing.replay import CAPTURE_VERSION

    key = config.api_key.get_secret_value()
    sanitizer = Sanitizer([key])
    balance = balance_apis_for(config.balance_api)[0].requests
    pool = ClientPool(config)  # every client it builds has max_retries=0: each probe is sent once
    try:
        entries = [run_probe(pool.sync_client, p, sanitizer) for p in probes(model, embedding_model, balance)]
    finally:
        pool.sync_client.close()
    return {
        "version": CAPTURE_VERSION,
        "gateway": config.gateway,
        "dialect": config.dialect,
        "host": sanitizer.text(urlsplit(config.base_url).netloc),
        "captured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "zzz_relay": _version(),
        "probes": entries,
    }


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("zzz-relay")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


def cmd_capture(args: argparse.Namespace, printer: Printer) -> int:
    from ._commands import open_gateway

    with open_gateway(args, printer) as gw:
        doc = capture(gw.config, args.model, args.embedding_model)
    if all(e.get("status") is None for e in doc["probes"]):
        first = doc["probes"][0].get("error")
        printer.err(f"zzz capture: no probe got an answer ({first}); nothing was written. "
                    "Check --base-url / $ZZZ_BASE_URL with `zzz doctor`.")  # fmt: skip
        return 1
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    key = gw.config.api_key.get_secret_value()
    if key in text:  # the sanitizer's promise, checked once more on the bytes written
        raise RuntimeError("the capture still holds the key; nothing was written (please report this)")
    Path(args.output).write_text(text, encoding="utf-8")
    for e in doc["probes"]:
        printer.line(f"{e['name']:<22} {e.get('status') or e.get('error')}")
    printer.err(f"zzz: wrote {len(doc['probes'])} probes to {args.output}; read it before you share it "
                "(see docs/capture.md)")  # fmt: skip
    return 0


def add_capture_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    from ._commands import default_model

    p = sub.add_parser("capture", parents=[common], formatter_class=argparse.HelpFormatter,
                       help="record the gateway's answers to a fixed probe set, sanitized, for replay",
                       description="Send a short fixed probe set to the gateway, each once: a chat, a stream, a "
                                   "tool call, a structured output, an embedding, the models list, the balance, "
                                   "and deliberate failures (unknown model, bad key, oversized max_tokens, an "
                                   "unsupported parameter, an empty message list). Writes the answers as JSON with "
                                   "the key, account ids and e-mail addresses removed and long bodies trimmed. "
                                   "GatewaySimulator(replay=FILE) replays it; docs/capture.md says how to "
                                   "contribute one.")  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the capture (JSON)")
    p.add_argument("-m", "--model", default=default_model(), help="the chat model to probe (default %(default)s)")
    p.add_argument("--embedding-model", default="text-embedding-3-small", metavar="MODEL",
                   help="the embedding model to probe (default %(default)s)")  # fmt: skip
    p.set_defaults(handler=cmd_capture)
