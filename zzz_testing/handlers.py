"""Pure request -> response logic of the simulated gateway.

:func:`handle` takes a :class:`SimRequest`, the simulator's :class:`SimConfig` and the fault chosen
for this request (if any) and returns a :class:`SimResponse`.  It does no I/O: the socket server and
the in-process transport both adapt it, so they behave the same.  A response body is ``bytes`` (sent
with ``Content-Length``) or an iterable of pieces (sent chunked): ``bytes``, :class:`Sleep` or :data:`DROP`.

Per-request headers: ``X-ZZZ-Fault`` (a fault name), ``X-ZZZ-Reasoning-Field``,
``X-ZZZ-Tool-Delta-Style``, ``X-ZZZ-Stream-Chunks`` (about N content chunks),
``X-ZZZ-Shuffle: 1`` (embedding entries out of order) and ``X-ZZZ-Cached-Tokens: N``
(a prompt-cache hit of N tokens in chat usage).
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import answers, batch_routes, billing, embeddings, pricing, rerank, signatures, streams, tools
from .faults import REQUEST_ID, Fault, default_shape, error_body, html_page
from .prompts import answer_text, json_object, react_answer, react_tools, split_question
from .streams import DROP, Drop, EventStream, Sleep, StreamWriter, dumps

__all__ = ["DROP", "Drop", "MODELS", "SimConfig", "SimRequest", "SimResponse", "Sleep", "handle"]

_UNSET: Any = object()
_ids = itertools.count(1)
_CREATED = 1735689600
MODELS: dict[str, str] = {
    "gpt-4o-mini": "openai", "gpt-4o": "openai", "gpt-4.1": "openai", "gpt-5": "openai", "o3-mini": "openai",
    "o4-mini": "openai", "claude-sonnet-4-5": "anthropic", "gemini-2.5-flash": "google",
    "deepseek-chat": "deepseek", "deepseek-reasoner": "deepseek", "qwen-max": "alibaba",
    "qwen3-coder-plus": "alibaba", "glm-4.6": "zhipu", "kimi-k2": "moonshot",
    "text-embedding-3-small": "openai", "text-embedding-3-large": "openai", "gpt-3.5-turbo-instruct": "openai",
    "bge-reranker-v2-m3": "baai", "jina-reranker-v2-base-multilingual": "jina",
}  # fmt: skip
_ENDPOINTS = {"anthropic": ["openai", "anthropic"], "google": ["openai", "gemini"], "baai": ["jina-rerank"],
              "jina": ["jina-rerank"]}  # fmt: skip


@dataclass(slots=True)
class SimRequest:
    """One HTTP request as the handler sees it (header names lowercased)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: str = ""
    _json: Any = _UNSET

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when empty or not JSON."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.body) if self.body else None
            except ValueError:
                self._json = None
        return self._json


@dataclass(slots=True)
class SimResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | Iterable[Any] = b""
    delay: float = 0.0
    """Seconds to wait before the status line."""
    reset: bool = False
    """Reset the connection instead of answering."""

    @property
    def streaming(self) -> bool:
        return not isinstance(self.body, (bytes, bytearray))


@dataclass(slots=True)
class SimConfig:
    """The simulator's settings, read by :func:`handle` (see ``GatewaySimulator``)."""

    dialect: str = "zhizengzeng"
    api_keys: frozenset[str] | None = None
    reasoning_field: str = "reasoning_content"
    chunk_chars: int = 4
    tool_delta_style: str = "standard"
    keepalive_comments: bool = False
    crlf: bool = False
    honour_base64: bool = True
    envelope_success_extras: bool = True
    zzz_quirks: bool = False
    latency: float = 0.0
    balance: float = 111.8658
    used: float = 8.1342
    pricing: dict[str, Any] | None = None  # new-api's GET /api/pricing body (None: zzz_testing.pricing's)
    status: dict[str, Any] | None = None  # new-api's GET /api/status body (None: zzz_testing.pricing's)
    rerank: bool | None = None
    """Serve ``/v1/rerank``; ``None``: as the dialect does (new-api yes, 智增增 no: a 404)."""
    rerank_max_documents: int | None = None
    batches: Any = field(default_factory=batch_routes.BatchStore)  # files and batch jobs (智增增 only)
    batch_line_fault: Any = None  # SimRequest -> Fault | None for each batch line (the queued faults)

    @property
    def serves_rerank(self) -> bool:
        return self.rerank if self.rerank is not None else self.dialect == "newapi"

    @property
    def envelope(self) -> bool:
        return self.dialect == "zhizengzeng" and self.envelope_success_extras

    @property
    def quirks(self) -> bool:
        """智增增's documented oddities on success bodies: ``"id": ""`` and ``"model": null``."""
        return self.dialect == "zhizengzeng" and self.zzz_quirks


class _Invalid(Exception):
    """A request the gateway rejects with 400 invalid_request."""


# --------------------------------------------------------------------- plumbing
def _stamped(cfg: SimConfig, *hdrs: tuple[str, str]) -> list[tuple[str, str]]:  # new-api stamps every response
    return [*hdrs, ("X-Oneapi-Request-Id", REQUEST_ID)] if cfg.dialect == "newapi" else list(hdrs)  # wire-facts-2 §8


def _json(status: int, obj: Any, cfg: SimConfig, headers: list[tuple[str, str]] | None = None) -> SimResponse:
    hdrs = _stamped(cfg, ("Content-Type", "application/json; charset=utf-8"))
    return SimResponse(status, hdrs + (headers or []), dumps(obj).encode())


def _ok(cfg: SimConfig, obj: dict[str, Any]) -> SimResponse:
    return _json(200, {"code": 0, "msg": "ok", **obj} if cfg.envelope else obj, cfg)


def _quirked(cfg: SimConfig, obj: dict[str, Any]) -> dict[str, Any]:
    """A completion/embedding body with 智增增's quirks applied when they are on (gateway-facts §1.2)."""
    if cfg.quirks:
        if "id" in obj:
            obj["id"] = ""
        obj["model"] = None
    return obj


def _error(cfg: SimConfig, category: str, shape: str | None = None, *, status: int | None = None,
           message: str | None = None, model: str | None = None) -> SimResponse:  # fmt: skip
    code, body = error_body(cfg.dialect, category, shape, message=message, model=model, status=status)
    return _json(code, body, cfg)


def _sse(cfg: SimConfig, body: Iterable[Any]) -> SimResponse:
    return SimResponse(200, _stamped(cfg, ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")), body)


def _writer(cfg: SimConfig, obj: str, model: str) -> StreamWriter:
    base: dict[str, Any] = {"code": 0, "msg": ""} if cfg.envelope else {}
    base.update(id=f"{obj[:4]}-sim{next(_ids)}", object=obj, created=int(time.time()), model=model)
    if obj.startswith("chat"):
        base["system_fingerprint"] = "fp_zzzsim"
        base["id"] = "chatcmpl" + base["id"][4:]
    _quirked(cfg, base)
    return StreamWriter(base, crlf=cfg.crlf, keepalive=cfg.keepalive_comments)


def _usage(prompt: int, completion: int, reasoning: int | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Invalid(f"参数错误：{key} 必须是非负整数")
    return value


def _bulk(req: SimRequest) -> int | None:
    raw = req.headers.get("x-zzz-stream-chunks")
    return max(1, int(raw)) if raw and raw.isdigit() else None


# ------------------------------------------------------------------------- auth
def _auth(req: SimRequest, cfg: SimConfig) -> SimResponse | None:
    header = req.headers.get("authorization", "")
    key = header[7:].strip() if header[:7].lower() == "bearer " else ""
    newapi = cfg.dialect == "newapi"
    if not key:
        return _error(cfg, "auth", message="未提供令牌" if newapi else "API key 无效：未提供 API key")
    if cfg.api_keys is not None:
        return None if key in cfg.api_keys else _error(cfg, "auth")
    if key.startswith("sk-proj-"):
        msg = "无效的令牌" if newapi else "API key 无效：sk-proj- 开头的是 OpenAI 官方 key，请使用网关的 key"
        return _error(cfg, "auth", message=msg)
    if key.startswith("zp-"):
        msg = "个人版 key（zp- 开头）不能用于代码调用，请使用 API key (personal keys cannot be used from code)"
        return _error(cfg, "auth", status=403, message=msg)
    return None


# ------------------------------------------------------------------------- chat
def _validate_chat(body: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(body, dict):
        raise _Invalid("请求体必须是 JSON 对象")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _Invalid("参数错误：model 不能为空")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Invalid("参数错误：messages 必须是数组")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise _Invalid("参数错误：messages 的每一项必须是带 role 的对象")
    return model, messages


def _chat(req: SimRequest, cfg: SimConfig) -> SimResponse:
    body = req.json()
    model, messages = _validate_chat(body)
    if refused := tools.bad_function_name(body.get("tools")) or signatures.check_history(model, messages):
        raise _Invalid(refused)  # OpenAI's check of the function names, then the signatures' history
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    question = answers.message_text(messages[last_user].get("content")) if last_user >= 0 else ""
    names: dict[str, str] = {}
    for m in messages:
        for tc in m.get("tool_calls") or []:
            if isinstance(tc, dict):
                names[str(tc.get("id"))] = str((tc.get("function") or {}).get("name", ""))
    results = [
        (names.get(str(m.get("tool_call_id")), m.get("name") or "the tool"), answers.message_text(m.get("content")))
        for m in messages[last_user + 1 :]
        if m["role"] in ("tool", "function")
    ]
    listed = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    react = None if listed else react_tools(messages)
    calls = tools.choose_tools(
        listed, body.get("tool_choice", "auto"), body.get("parallel_tool_calls") is not False,
        question, {name for name, _ in results},
    )  # fmt: skip
    n = _int(body, "n", 1) or 1
    max_tokens = _int(body, "max_completion_tokens") or _int(body, "max_tokens")
    details = signatures.sends_details(model)
    reasoning = f"Let me think step by step about: {question}" if answers.is_reasoning_model(model) or details else None
    rfield = req.headers.get("x-zzz-reasoning-field") or cfg.reasoning_field
    base_id = sum(len(m.get("tool_calls") or []) for m in messages)
    choices: list[dict[str, Any]] = []
    if calls:
        tc = [
            {"id": f"call_{base_id + k + 1}", "name": tools.tool_name(t),
             "arguments": answers.dumps(tools.tool_call_arguments(t, question))}
            for k, t in enumerate(calls)
        ]  # fmt: skip
        signatures.sign_first_call(model, tc)
        choices = [{"index": i, "content": None, "reasoning": reasoning, "tool_calls": tc,
                    "finish_reason": "tool_calls"} for i in range(n)]  # fmt: skip
    else:
        context = [answers.message_text(m.get("content")) for i, m in enumerate(messages) if i != last_user]
        if react:
            text = react_answer(messages, react)
        elif results:
            text = " ".join(answers.result_sentence(name, content) for name, content in results)
        else:
            text, context = answer_text(question, context)
        fmt = body.get("response_format") if isinstance(body.get("response_format"), dict) else {}
        structured = fmt.get("type") in ("json_object", "json_schema")
        if fmt.get("type") == "json_object":
            text = answers.dumps(json_object(question, context, text))
        elif fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
            text = answers.dumps(answers.synthesize(schema, question))
        for i in range(n):
            variant = text if i == 0 or structured else f"{text} (choice {i + 1})"
            content, finish = answers.finish_text(variant, answers.stops(body.get("stop")), max_tokens)
            choices.append({"index": i, "content": content, "reasoning": reasoning, "finish_reason": finish})
    prompt_tokens = max(1, sum(answers.count_tokens(answers.message_text(m.get("content"))) for m in messages))
    bulk = _bulk(req) if body.get("stream") is True else None
    completion = 0
    for ch in choices:
        content = ch["content"] or ""
        if bulk:
            per_word = answers.count_tokens(content) / max(1, len(content.split()))
            completion += round(per_word * bulk)
        else:
            completion += answers.count_tokens(content)
        completion += answers.count_tokens(ch["reasoning"] or "")
        completion += sum(answers.count_tokens(c["arguments"]) for c in ch.get("tool_calls") or [])
    r_tokens = sum(answers.count_tokens(ch["reasoning"] or "") for ch in choices) if reasoning else None
    usage = _usage(prompt_tokens, completion, r_tokens)
    if (cached := req.headers.get("x-zzz-cached-tokens", "")).isdigit():  # a prompt-cache hit, on demand
        usage["prompt_tokens_details"]["cached_tokens"] = min(int(cached), prompt_tokens)
    top = _int(body, "top_logprobs", 0) or 0
    want_lp = body.get("logprobs") is True

    if body.get("stream") is True:
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        w = _writer(cfg, "chat.completion.chunk", model)
        style = req.headers.get("x-zzz-tool-delta-style") or cfg.tool_delta_style
        lp = (lambda t: {"content": answers.logprob_units(t, top)}) if want_lp else None
        events = streams.chat_events(
            w, choices, chunk_chars=cfg.chunk_chars, reasoning_field=rfield, tool_delta_style=style,
            usage=usage if include else None, bulk_chunks=bulk, logprobs=lp, details=details,
            blocks=signatures.sends_thinking_blocks(model),
        )  # fmt: skip
        return _sse(cfg, EventStream(events, w))

    out = []
    for ch in choices:
        msg: dict[str, Any] = {"role": "assistant", "content": ch["content"]}
        if ch["reasoning"]:
            if rfield == "think_tags":
                msg["content"] = f"<think>\n{ch['reasoning']}\n</think>\n{ch['content'] or ''}"
            else:
                for key in ("reasoning_content", "reasoning") if rfield == "both" else (rfield,):
                    msg[key] = ch["reasoning"]
            msg.update(signatures.signed_reasoning(model, ch["reasoning"]))
        if ch.get("tool_calls"):
            msg["tool_calls"] = [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]},
                 **({"extra_content": c["extra"]} if c.get("extra") else {})}
                for c in ch["tool_calls"]
            ]  # fmt: skip
        msg["refusal"] = None
        lp_obj = {"content": answers.logprob_units(ch["content"] or "", top)} if want_lp else None
        out.append({"index": ch["index"], "message": msg, "logprobs": lp_obj, "finish_reason": ch["finish_reason"]})
    return _ok(cfg, _quirked(cfg, {
        "id": f"chatcmpl-sim{next(_ids)}", "object": "chat.completion", "created": int(time.time()),
        "model": model, "choices": out, "usage": usage, "system_fingerprint": "fp_zzzsim",
    }))  # fmt: skip


# ------------------------------------------------------------------ completions
def _completions(req: SimRequest, cfg: SimConfig) -> SimResponse:
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise _Invalid("参数错误：model 不能为空")
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise _Invalid("参数错误：prompt 必须是字符串或字符串数组")
    n = _int(body, "n", 1) or 1
    best_of = _int(body, "best_of")
    if best_of is not None and best_of < n:
        raise _Invalid("best_of must be greater than or equal to n")
    max_tokens, stops = _int(body, "max_tokens"), answers.stops(body.get("stop"))
    lp_n = _int(body, "logprobs")
    choices = []
    for p_i, p in enumerate(prompts):
        lines = [x for x in p.strip().splitlines() if x.strip()] or [""]
        asked, context = (p, []) if split_question(p) else (lines[-1], lines[:-1])
        answer = " " + answer_text(asked, context)[0]
        for j in range(n):
            text, finish = answers.finish_text(answer if j == 0 else f"{answer} (choice {j + 1})", stops, max_tokens)
            text = p + text if body.get("echo") else text
            choice: dict[str, Any] = {"text": text, "index": p_i * n + j, "logprobs": None, "finish_reason": finish}
            if lp_n is not None:
                choice["logprobs"] = answers.completion_logprobs(text, lp_n)
            choices.append(choice)
    usage = _usage(max(1, sum(answers.count_tokens(p) for p in prompts)),
                   sum(answers.count_tokens(c["text"]) for c in choices))  # fmt: skip
    model = body["model"]
    if body.get("stream") is True:
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        w = _writer(cfg, "text_completion", model)
        lp = (lambda text, offset: answers.completion_logprobs(text, lp_n, offset)) if lp_n is not None else None
        events = streams.completion_events(w, choices, chunk_chars=cfg.chunk_chars, usage=usage if include else None,
                                           bulk_chunks=_bulk(req), logprobs=lp)  # fmt: skip
        return _sse(cfg, EventStream(events, w))
    return _ok(cfg, _quirked(cfg, {"id": f"cmpl-sim{next(_ids)}", "object": "text_completion",
                                   "created": int(time.time()), "model": model, "choices": choices,
                                   "usage": usage}))  # fmt: skip


# ------------------------------------------------------------------- embeddings
def _embeddings(req: SimRequest, cfg: SimConfig) -> SimResponse:
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise _Invalid("参数错误：model 不能为空")
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs or not all(isinstance(x, str) for x in inputs):
        raise _Invalid("参数错误：input 必须是字符串或字符串数组（不支持 token 数组）")
    if any(not x for x in inputs):
        raise _Invalid("参数错误：input 不能为空字符串")
    model = body["model"]
    dims = _int(body, "dimensions") or embeddings.default_dimensions(model)
    b64 = body.get("encoding_format") == "base64" and cfg.honour_base64
    data = []
    for i, text in enumerate(inputs):
        vec = embeddings.embed(text, dims)
        data.append({"object": "embedding", "index": i,
                     "embedding": embeddings.encode_base64(vec) if b64 else vec})  # fmt: skip
    if req.headers.get("x-zzz-shuffle") == "1" and len(data) > 1:
        random.Random(len(data)).shuffle(data)
        if [d["index"] for d in data] == list(range(len(data))):
            data.reverse()
    tokens = max(1, sum(answers.count_tokens(x) for x in inputs))
    return _ok(cfg, _quirked(cfg, {"object": "list", "data": data, "model": model,
                                   "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))  # fmt: skip


# ----------------------------------------------------------------------- rerank
def _rerank(req: SimRequest, cfg: SimConfig) -> SimResponse:  # RerankRejected: a 400, as _Invalid
    return _ok(cfg, rerank.rerank_answer(req.json(), cfg.rerank_max_documents))


# ----------------------------------------------------------------------- models
def _model_entry(cfg: SimConfig, model_id: str) -> dict[str, Any]:
    owner = MODELS[model_id]
    entry: dict[str, Any] = {"id": model_id, "object": "model", "created": _CREATED, "owned_by": owner}
    if cfg.dialect == "newapi":
        entry["supported_endpoint_types"] = _ENDPOINTS.get(owner, ["openai"])
    return entry


def _models(req: SimRequest, cfg: SimConfig) -> SimResponse:
    model_id = req.path.split("/models", 1)[1].strip("/")
    if not model_id:
        return _ok(cfg, {"object": "list", "data": [_model_entry(cfg, m) for m in MODELS]})
    if model_id in MODELS:
        return _ok(cfg, _model_entry(cfg, model_id))
    err = {"message": f"The model '{model_id}' does not exist", "type": "invalid_request_error",
           "param": "model", "code": "model_not_found"}  # fmt: skip
    return _json(200, {"error": err}, cfg)


_ROUTES = {
    ("POST", "/v1/chat/completions"): _chat,
    ("POST", "/v1/completions"): _completions,
    ("POST", "/v1/embeddings"): _embeddings,
    ("POST", "/v1/rerank"): _rerank,
    ("GET", "/v1/models"): _models,
}


def route(req: SimRequest, cfg: SimConfig) -> tuple[Any, bool]:
    """The route function for a request (None when unknown) and whether it is billing."""
    path = req.path.rstrip("/") or "/"
    fn = _ROUTES.get((req.method, path))
    if fn is _rerank and not cfg.serves_rerank:
        return None, False  # 智增增 documents no rerank: the route does not exist there
    if fn is None and req.method == "GET" and path.startswith("/v1/models/"):
        fn = _models
    if fn is None and batch_routes.serves(req.method, path, cfg.dialect):
        return (lambda r, c: batch_routes.respond(r, c, handle, ok=_ok, error=_json, response=SimResponse)), False
    if fn is not None:
        return fn, False
    bare = path[3:] if path.startswith("/v1/") else path
    published = pricing.ROUTES.get(cfg.dialect, {}).get((req.method, bare))
    if published is not None:  # new-api's public pricing: read from the simulator's settings
        return (lambda r, c: _json(200, published(c), c)), True
    body = billing.ROUTES.get(cfg.dialect, {}).get((req.method, bare))
    return ((lambda r, c: _json(200, body(c.balance, c.used), c)), True) if body is not None else (None, False)


# ----------------------------------------------------------------------- entry
def handle(req: SimRequest, cfg: SimConfig | None = None, fault: Fault | None = None) -> SimResponse:
    """Answer one request as the gateway would, with ``fault`` applied when given."""
    cfg = cfg or SimConfig()
    if fault is None and (name := req.headers.get("x-zzz-fault")):
        try:
            fault = Fault.parse(name)
        except ValueError as exc:
            return _error(cfg, "invalid_request", status=400, message=f"X-ZZZ-Fault: {exc}")
    fn, billing = route(req, cfg)
    if fn is None:
        err = {"message": f"Invalid URL ({req.method} {req.path})", "type": "invalid_request_error", "code": ""}
        return _json(404, {"error": err}, cfg)
    body = req.json()
    streaming = isinstance(body, dict) and body.get("stream") is True
    if fault is not None and fault.stream_only and not streaming:
        fault = None
    resp = _apply_fault(fault, req, cfg, billing, body) if fault is not None else None
    if resp is None:
        resp = _auth(req, cfg)
    if resp is None:
        try:
            resp = fn(req, cfg)
        except (_Invalid, rerank.RerankRejected) as exc:
            resp = _error(cfg, "invalid_request", message=str(exc))
        if fault is not None and fault.kind == "slow_first_byte":
            resp.delay += fault.seconds
        elif fault is not None and fault.kind == "mangled_embeddings" and isinstance(resp.body, bytes):
            resp.body = embeddings.mangled_answer(resp.body, fault.style or "short")
        elif fault is not None and isinstance(resp.body, EventStream):
            resp.body = streams.apply_stream_fault(resp.body.tagged, fault, resp.body.writer, cfg.dialect)
    if cfg.latency:
        resp.delay += cfg.latency
    return resp


def _apply_fault(fault: Fault, req: SimRequest, cfg: SimConfig, billing: bool, body: Any) -> SimResponse | None:
    """The response replacing the normal one, or None when the fault alters it instead."""
    kind = fault.kind
    model = body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else None
    if kind in ("error", "json_error_to_stream"):
        category = fault.category or "server_error"
        shape = fault.shape if kind == "error" else None
        status, err = error_body(cfg.dialect, category, shape, message=fault.message, model=model, status=fault.status)
        if billing and cfg.dialect == "newapi" and (shape or default_shape(cfg.dialect)) == "error_object":
            status = 200 if fault.status is None else status
        extra = [("Retry-After", f"{fault.retry_after:g}")] if fault.retry_after is not None else []
        return _json(status, err, cfg, extra)
    if kind == "html":
        status = fault.status or 502
        return SimResponse(status, [("Content-Type", "text/html")], html_page(status).encode())
    if kind == "empty_body":
        return SimResponse(fault.status or 502, [("Content-Type", "text/plain")], b"")
    if kind == "connection_reset":
        return SimResponse(0, [], b"", reset=True)
    return None
