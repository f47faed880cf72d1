"""Each failure shape, end to end: Gateway -> real openai client -> simulator on 127.0.0.1.

Shapes (issue 3): 1 envelope with HTTP 200; 2 envelope with an error status;
3 new-api ``{"error": …}`` objects; 4 non-JSON bodies; 5 errors inside a stream;
6 a stream without ``[DONE]``; 7 connection refused/reset and timeouts.  Each test
asserts the class, the ``openai`` parent, ``retryable``, the attempts the simulator
saw, and that the key appears nowhere.
"""

from __future__ import annotations

import logging
import pickle
import socket

import openai
import pytest

from zzz_core import Gateway, ZZZConfig, build_chat_request
from zzz_core import errors as E
from zzz_testing import CATEGORIES, Fault, GatewaySimulator

KEY = "sk-zkSECRET0123456789SECRET0123456789abcdef0123"

CATEGORY_CLASS = {
    "auth": (E.AuthenticationError, openai.AuthenticationError, False),
    "permission": (E.PermissionDeniedError, openai.PermissionDeniedError, False),
    "balance": (E.InsufficientBalanceError, openai.PermissionDeniedError, False),
    "rate_limit": (E.RateLimitError, openai.RateLimitError, True),
    "model_not_found": (E.ModelNotFoundError, openai.NotFoundError, False),
    "invalid_request": (E.InvalidRequestError, openai.BadRequestError, False),
    "context_length": (E.ContextLengthExceededError, openai.BadRequestError, False),
    "content_filter": (E.ContentFilterError, openai.BadRequestError, False),
    "server_error": (E.GatewayServerError, openai.InternalServerError, True),
    "unknown_code": (E.GatewayError, openai.APIStatusError, False),
}
assert set(CATEGORY_CLASS) == set(CATEGORIES)

MAX_RETRIES = 2


@pytest.fixture(scope="module", params=["zhizengzeng", "newapi"])
def sim(request):
    with GatewaySimulator(request.param) as s:
        yield s


@pytest.fixture
def gw(sim):
    sim.clear_faults()
    sim.clear_requests()
    cfg = ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url, max_retries=MAX_RETRIES, timeout=5)
    gateway = Gateway(cfg)
    # no real sleeping between retries in tests
    import zzz_core.retry as retry

    orig = retry.backoff_delay
    retry.backoff_delay = lambda n, ra=None: 0.0
    yield gateway
    retry.backoff_delay = orig


BODY = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello there"}])


def assert_clean(exc, caplog=None):
    texts = [str(exc), repr(exc), repr(exc.__dict__), str(exc.__cause__), str(exc.__context__)]
    texts.append(repr(pickle.loads(pickle.dumps(exc)).__dict__))
    if caplog is not None:
        texts.append(caplog.text)
    for t in texts:
        assert KEY not in t
    req = getattr(exc, "request", None)
    if req is not None:
        assert "authorization" not in {k.lower() for k in req.headers}


def expected_attempts(retryable):
    return 1 + MAX_RETRIES if retryable else 1


@pytest.mark.parametrize("category", sorted(CATEGORY_CLASS))
@pytest.mark.parametrize("shape", ["envelope_200", "envelope_status", "error_object"])
def test_error_shapes_1_2_3_non_stream(gw, sim, category, shape, caplog):
    cls, parent, retryable = CATEGORY_CLASS[category]
    sim.inject(Fault.error(category, shape=shape), times=None)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(E.ZZZError) as info:
        gw.chat(BODY)
    exc = info.value
    assert E.named_class(type(exc)) is cls, (shape, category, exc)
    assert isinstance(exc, parent)
    status_class = E.openai_class_for_status(exc.status_code)
    assert (status_class is None) is (shape == "envelope_200")  # HTTP 200 envelopes keep their class
    if status_class is not None:
        assert isinstance(exc, status_class)  # and openai's class for the status
    assert exc.retryable is retryable
    assert sim.count("/chat/completions") == expected_attempts(retryable)
    assert exc.attempts == expected_attempts(retryable)
    assert exc.msg and exc.msg in str(exc)
    assert_clean(exc, caplog)


@pytest.mark.parametrize("category", sorted(CATEGORY_CLASS))
async def test_error_shapes_async(gw, sim, category):
    cls, parent, retryable = CATEGORY_CLASS[category]
    sim.inject(Fault.error(category, shape="envelope_200"), times=None)
    with pytest.raises(cls) as info:
        await gw.achat(BODY)
    assert isinstance(info.value, parent)
    assert sim.count("/chat/completions") == expected_attempts(retryable)


@pytest.mark.parametrize("fault", [Fault.html(502), Fault.html(504), Fault.empty_body(502)])
def test_shape_4_non_json_bodies(gw, sim, fault):
    sim.inject(fault, times=None)
    with pytest.raises(E.GatewayServerError) as info:
        gw.chat(BODY)
    assert info.value.retryable and isinstance(info.value, openai.InternalServerError)
    assert sim.count("/chat/completions") == 1 + MAX_RETRIES
    assert_clean(info.value)


def test_non_json_is_retried_then_succeeds(gw, sim):
    sim.inject(Fault.html(502), times=1)
    result = gw.chat(BODY)
    assert result.choices[0].content
    assert sim.count("/chat/completions") == 2


@pytest.mark.parametrize("style", ["data_envelope", "data_error_object", "event_error"])
@pytest.mark.parametrize("category", ["balance", "rate_limit", "content_filter"])
def test_shape_5_errors_inside_a_stream(gw, sim, style, category):
    cls, parent, retryable = CATEGORY_CLASS[category]
    sim.inject(Fault.sse_error(category, after_chunks=0, style=style), times=None)
    with pytest.raises(cls) as info:
        list(gw.chat_stream(BODY))
    assert isinstance(info.value, parent)
    # nothing delivered before the error frame: retried exactly like a non-stream call
    assert sim.count("/chat/completions") == expected_attempts(retryable)
    assert_clean(info.value)


def test_error_frame_after_content_is_raised_with_the_partial_text_and_not_retried(gw, sim):
    sim.inject(Fault.sse_error("rate_limit", after_chunks=3, style="data_error_object"), times=None)
    got = []
    with pytest.raises(E.RateLimitError) as info:
        for chunk in gw.chat_stream(BODY):
            got.append(chunk.content)
    assert sim.count("/chat/completions") == 1
    assert info.value.partial_content == "".join(got)
    assert info.value.partial_content


@pytest.mark.parametrize("category", ["balance", "auth", "server_error"])
def test_shape_5_json_error_body_to_a_stream_request(gw, sim, category):
    cls, parent, retryable = CATEGORY_CLASS[category]
    sim.inject(Fault.json_error_to_stream(category), times=None)
    with pytest.raises(cls):
        list(gw.chat_stream(BODY))
    assert sim.count("/chat/completions") == expected_attempts(retryable)


def test_shape_6_stream_without_done(gw, sim):
    sim.inject(Fault.no_done(after_chunks=3), times=None)
    got = []
    with pytest.raises(E.StreamInterruptedError) as info:
        for chunk in gw.chat_stream(BODY):
            got.append(chunk.content)
    exc = info.value
    assert isinstance(exc, openai.APIConnectionError)
    assert not exc.retryable and exc.partial_content == "".join(got) and exc.partial_content
    assert sim.count("/chat/completions") == 1


def test_shape_6_empty_stream_is_retried(gw, sim):
    sim.inject(Fault.no_done(after_chunks=0), times=1)
    text = "".join(c.content for c in gw.chat_stream(BODY))
    assert text
    assert sim.count("/chat/completions") == 2


def test_mid_stream_drop_keeps_partial(gw, sim):
    sim.inject(Fault.mid_stream_drop(after_chunks=3), times=None)
    got = []
    with pytest.raises(E.StreamInterruptedError) as info:
        for chunk in gw.chat_stream(BODY):
            got.append(chunk.content)
    assert info.value.partial_content == "".join(got) != ""
    assert sim.count("/chat/completions") == 1


async def test_mid_stream_drop_async(gw, sim):
    sim.inject(Fault.mid_stream_drop(after_chunks=2), times=None)
    got = []
    with pytest.raises(E.StreamInterruptedError) as info:
        async for chunk in gw.achat_stream(BODY):
            got.append(chunk.content)
    assert info.value.partial_content == "".join(got) != ""


def test_shape_7_connection_reset(gw, sim):
    sim.inject(Fault.connection_reset(), times=None)
    with pytest.raises(E.GatewayConnectionError) as info:
        gw.chat(BODY)
    assert info.value.retryable and isinstance(info.value, openai.APIConnectionError)
    assert sim.count("/chat/completions") == 1 + MAX_RETRIES
    assert_clean(info.value)


def test_shape_7_read_timeout(sim):
    sim.clear_faults()
    sim.clear_requests()
    sim.inject(Fault.slow_first_byte(1.5), times=None)
    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url, max_retries=0, timeout=0.3))
    with pytest.raises(E.GatewayTimeoutError) as info:
        gw.chat(BODY)
    assert isinstance(info.value, openai.APITimeoutError) and info.value.retryable
    sim.clear_faults()


def test_shape_7_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0, timeout=2))
    with pytest.raises(E.GatewayConnectionError) as info:
        gw.chat(BODY)
    assert "127.0.0.1" in str(info.value)
    assert_clean(info.value)


def test_rate_limit_retry_after_is_honoured_then_succeeds(sim, monkeypatch):
    sim.clear_faults()
    sim.clear_requests()
    sim.inject(Fault.rate_limit(retry_after=0.2), times=1)
    slept = []
    import zzz_core.transport as t

    monkeypatch.setattr(t.time, "sleep", lambda s: slept.append(s))
    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url, max_retries=2))
    assert gw.chat(BODY).choices[0].content
    assert slept == [0.2]
    assert sim.count("/chat/completions") == 2


def test_openai_key_hint(sim):
    sim.clear_faults()
    gw = Gateway(ZZZConfig.resolve(api_key="sk-proj-abcdefghijklmnop", base_url=sim.base_url, max_retries=0))
    with pytest.raises(E.AuthenticationError) as info:
        gw.chat(BODY)
    assert "OpenAI key" in str(info.value)
    assert "sk-proj-abcdefghijklmnop" not in str(info.value)


class TestFailover:
    @pytest.fixture
    def pair(self):
        with GatewaySimulator("zhizengzeng") as primary, GatewaySimulator("zhizengzeng") as mirror:
            yield primary, mirror

    def make(self, primary, mirror, **kw):
        cfg = ZZZConfig.resolve(api_key=KEY, base_url=primary.base_url, mirrors=[mirror.base_url], max_retries=1, **kw)
        return Gateway(cfg)

    def test_primary_down_uses_mirror_and_prefers_it(self, pair, caplog):
        primary, mirror = pair
        gw = self.make(primary, mirror)
        primary.set_down(True)
        caplog.set_level(logging.INFO)
        assert gw.chat(BODY).host == f"127.0.0.1:{mirror.port}"
        assert gw.chat(BODY).host == f"127.0.0.1:{mirror.port}"
        assert mirror.count("/chat/completions") == 2
        assert "sending again" in caplog.text and KEY not in caplog.text

    def test_primary_502_html_fails_over(self, pair):
        primary, mirror = pair
        primary.inject(Fault.html(502), times=None)
        gw = self.make(primary, mirror)
        assert gw.chat(BODY).choices[0].content
        assert primary.count("/chat/completions") == 1 and mirror.count("/chat/completions") == 1

    def test_primary_comes_back_after_cooldown(self, pair):
        primary, mirror = pair
        gw = self.make(primary, mirror, failover_cooldown=0.0)
        primary.set_down(True)
        gw.chat(BODY)
        primary.set_down(False)
        gw.chat(BODY)
        assert primary.count("/chat/completions") == 1

    def test_business_errors_never_fail_over(self, pair):
        primary, mirror = pair
        primary.inject(Fault.error("balance", shape="envelope_200"), times=None)
        gw = self.make(primary, mirror)
        with pytest.raises(E.InsufficientBalanceError):
            gw.chat(BODY)
        assert mirror.count() == 0

    def test_both_down_names_both_hosts(self, pair):
        primary, mirror = pair
        primary.set_down(True)
        mirror.set_down(True)
        gw = self.make(primary, mirror)
        with pytest.raises(E.GatewayConnectionError) as info:
            gw.chat(BODY)
        assert str(primary.port) in str(info.value) and str(mirror.port) in str(info.value)
        assert info.value.attempts == 4  # two hosts, max_retries=1

    async def test_async_failover(self, pair):
        primary, mirror = pair
        primary.set_down(True)
        gw = self.make(primary, mirror)
        result = await gw.achat(BODY)
        assert result.host == f"127.0.0.1:{mirror.port}"


def test_success_paths(gw, sim):
    r = gw.chat(build_chat_request("deepseek-reasoner", [{"role": "user", "content": "why is the sky blue"}]))
    assert r.choices[0].content and r.choices[0].reasoning and r.usage and r.usage.total_tokens > 0
    stream = gw.chat_stream(build_chat_request("deepseek-reasoner", [{"role": "user", "content": "why"}], stream=True))
    chunks = list(stream)
    assert "".join(c.reasoning for c in chunks) == stream.result().choices[0].reasoning
    assert any(c.usage for c in chunks)
    assert stream.result().host == f"127.0.0.1:{sim.port}"
    assert [m.id for m in gw.models()]
    emb = gw.embed({"model": "text-embedding-3-small", "input": ["a", "b", "c"]}, batch_size=2)
    assert len(emb.vectors) == 3


@pytest.mark.parametrize(
    "dialect,gateway", [("zhizengzeng", "zhizengzeng"), ("newapi", "4z"), ("zhizengzeng", None), ("newapi", None)]
)
def test_balance_for_each_gateway(dialect, gateway):
    with GatewaySimulator(dialect) as s:
        s.balance = 42.5
        kw = {"gateway": gateway} if gateway else {}
        gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=s.base_url, **kw))
        bal = gw.balance()
        assert bal.remaining == pytest.approx(42.5)


def test_stream_of_a_body_built_for_invoke_still_gets_usage(gw, sim):
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}])
    assert "stream" not in body
    chunks = list(gw.chat_stream(body))
    assert any(c.usage for c in chunks)
    no_usage = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}], stream=True, stream_usage=False)
    assert not any(c.usage for c in gw.chat_stream(no_usage))


def test_embeddings_ask_for_base64_and_read_floats_when_ignored():
    for honour in (True, False):
        with GatewaySimulator("newapi", honour_base64=honour) as s:
            gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=s.base_url))
            got = gw.embed({"model": "text-embedding-3-small", "input": ["tea", "coffee"]})
            assert s.requests[-1].body["encoding_format"] == "base64"
            assert len(got.vectors) == 2 and len(got.vectors[0]) == 1536
            assert abs(sum(v * v for v in got.vectors[0]) - 1.0) < 1e-3


def test_embeddings_stop_asking_for_base64_when_the_gateway_rejects_it():
    with GatewaySimulator("newapi") as s:
        gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=s.base_url))
        s.inject(Fault.error("invalid_request", message="unknown parameter: encoding_format"), times=1)
        got = gw.embed({"model": "text-embedding-3-small", "input": ["tea"]})
        assert len(got.vectors) == 1
        assert "encoding_format" not in s.requests[-1].body
        gw.embed({"model": "text-embedding-3-small", "input": ["tea"]})
        assert "encoding_format" not in s.requests[-1].body
