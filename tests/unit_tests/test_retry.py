"""The one retry policy: decisions only (the loop is tested against the simulator)."""

from __future__ import annotations

import pytest

from zzz_core import errors as E
from zzz_core.retry import Attempts, HostHealth, backoff_delay, is_retryable, should_fail_over

P, M = "https://primary.example/v1", "https://mirror.example/v1"


def status_err(cls, **kw):
    return cls("x", status_code=kw.pop("status", 400), url=P, host="primary.example", **kw)


def test_retryable_categories():
    assert is_retryable(status_err(E.RateLimitError, status=429))
    assert is_retryable(status_err(E.GatewayServerError, status=502))
    assert is_retryable(E.GatewayConnectionError("x", url=P))
    assert is_retryable(E.GatewayTimeoutError("x", url=P))
    for cls in (
        E.InsufficientBalanceError,
        E.AuthenticationError,
        E.PermissionDeniedError,
        E.InvalidRequestError,
        E.ContextLengthExceededError,
        E.ContentFilterError,
        E.ModelNotFoundError,
        E.GatewayError,
    ):
        assert not is_retryable(status_err(cls))
    assert not is_retryable(ValueError("x"))


def test_failover_only_for_host_failures():
    assert should_fail_over(E.GatewayConnectionError("x", url=P))
    assert should_fail_over(status_err(E.GatewayServerError, status=502))
    assert not should_fail_over(status_err(E.RateLimitError, status=429))
    assert not should_fail_over(status_err(E.InsufficientBalanceError))
    assert not should_fail_over(E.StreamInterruptedError("x", url=P))


def test_backoff_honours_retry_after_and_grows():
    assert backoff_delay(1, retry_after=2.5) == 2.5
    assert 0.3 < backoff_delay(1) <= 0.5
    assert backoff_delay(3) > backoff_delay(1)
    assert backoff_delay(30) <= 8.0


def test_non_retryable_is_raised_after_one_attempt():
    a = Attempts(HostHealth((P, M), 60), max_retries=3)
    a.first()
    err = status_err(E.InsufficientBalanceError)
    with pytest.raises(E.InsufficientBalanceError) as info:
        a.next(err)
    assert info.value.attempts == 1


def test_retryable_raised_after_max_retries_with_count():
    a = Attempts(HostHealth((P,), 60), max_retries=2)
    a.first()
    a.next(status_err(E.RateLimitError, status=429))
    a.next(status_err(E.RateLimitError, status=429))
    with pytest.raises(E.RateLimitError) as info:
        a.next(status_err(E.RateLimitError, status=429))
    assert info.value.attempts == 3
    assert "after 3 attempts" in str(info.value)


def test_failover_goes_to_the_mirror_at_once_and_is_remembered():
    health = HostHealth((P, M), cooldown=60)
    a = Attempts(health, max_retries=0)
    assert a.first() == P
    d = a.next(E.GatewayConnectionError("refused", url=P, host="primary.example"))
    assert d.host == M and d.delay == 0
    a.succeeded(M)
    assert health.order() == [M, P]  # the healthy host is preferred during the cool-down
    b = Attempts(health, max_retries=0)
    assert b.first() == M


def test_both_hosts_down_names_both():
    a = Attempts(HostHealth((P, M), 60), max_retries=0)
    a.first()
    a.next(E.GatewayConnectionError("refused", url=P, host="primary.example"))
    with pytest.raises(E.GatewayConnectionError) as info:
        a.next(E.GatewayConnectionError("refused", url=M, host="mirror.example"))
    assert "primary.example" in str(info.value) and "mirror.example" in str(info.value)
    assert info.value.hosts_tried == ("primary.example", "mirror.example")


def test_cooldown_expires(monkeypatch):
    import zzz_core.retry as r

    now = [1000.0]
    monkeypatch.setattr(r.time, "monotonic", lambda: now[0])
    health = HostHealth((P, M), cooldown=5)
    health.mark_failed(P)
    assert health.order() == [M, P]
    now[0] += 6
    assert health.order() == [P, M]


def test_rate_limit_patience_is_a_time_budget_for_rate_limits_only(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("zzz_core.retry.time.monotonic", lambda: now[0])
    a = Attempts(HostHealth((P,), 60), max_retries=1, rate_limit_patience=30.0)
    a.first()
    for _ in range(20):  # far past max_retries: a rate limit within the patience is sent again
        now[0] += 1.0
        assert a.next(status_err(E.RateLimitError, status=429)).host == P
    with pytest.raises(E.GatewayServerError):  # other failures still count against max_retries
        a.next(status_err(E.GatewayServerError, status=500))
    b = Attempts(HostHealth((P,), 60), max_retries=1, rate_limit_patience=30.0)
    b.first()
    now[0] += 31.0  # the patience is measured from the first send
    b.next(status_err(E.RateLimitError, status=429))  # the count budget still allows one
    with pytest.raises(E.RateLimitError) as info:
        b.next(status_err(E.RateLimitError, status=429))
    assert info.value.attempts == 2
