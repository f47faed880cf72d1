"""Every failure a gateway call can end in, as one typed tree.

Each class is also the matching ``openai`` exception, so code written for the
``openai`` client keeps catching what it caught before::

    ZZZError (openai.OpenAIError)
    ├── GatewayStatusError (openai.APIStatusError)      -- the gateway answered, with an error
    │   ├── AuthenticationError       (openai.AuthenticationError)
    │   ├── PermissionDeniedError     (openai.PermissionDeniedError)
    │   ├── InsufficientBalanceError  (openai.PermissionDeniedError)   never retried
    │   ├── RateLimitError            (openai.RateLimitError)          retried, honours Retry-After
    │   ├── ModelNotFoundError        (openai.NotFoundError)           incl. 503 "no channel"
    │   ├── EndpointNotSupportedError (openai.NotFoundError)           404/405/501 on an optional route (/v1/rerank)
    │   │   └── BatchAPIUnsupportedError  -- no /v1/files, /v1/batches: use `zzz bulk`
    │   ├── InvalidRequestError       (openai.BadRequestError)
    │   │   ├── ContextLengthExceededError
    │   │   └── ContentFilterError
    │   ├── GatewayServerError        (openai.InternalServerError)     retried, may fail over
    │   └── GatewayError              -- an unknown non-zero code: carries code and msg
    ├── GatewayConnectionError (openai.APIConnectionError)  retried, may fail over
    │   ├── GatewayTimeoutError       (openai.APITimeoutError)
    │   └── StreamInterruptedError    -- a stream that ended early; retried only before content
    ├── BudgetExceededError           -- a run's max_cost is spent; raised before the next call is sent
    ├── BatchJobError (openai.APIError)               -- a batch job whose results cannot all be had
    │   ├── BatchValidationError      -- the gateway rejected the input file (``errors`` per line)
    │   ├── BatchExpiredError         -- not finished within its completion window
    │   ├── BatchCancelledError       -- cancelled before it finished
    │   └── BatchPendingError         -- not finished yet (fetch too early, or wait timed out)
    └── (local mistakes, raised before anything is sent)
        ConfigurationError (ValueError), InvalidInputError (ValueError)

An error that arrived with an HTTP error status is also the ``openai`` class for that
status (:func:`with_status_class`): a 503 ``model_not_found`` is a ``ModelNotFoundError``
and an ``openai.InternalServerError``.  Errors that came with HTTP 200 keep their class.

Every gateway exception carries ``code``, ``msg``, ``status_code``, ``request_id``,
``host``, ``retryable``, ``attempts``, ``hosts_tried`` and a redacted ``body_excerpt``.
Which class a response becomes is decided in one place: :mod:`zzz_core.error_map`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import openai

from . import _compat
from ._local_errors import ConfigurationError, InvalidInputError  # noqa: F401 (re-exported: part of the tree)


class ZZZError(openai.OpenAIError):
    """Base of every error raised for a gateway call."""

    category: ClassVar[str] = "gateway_error"
    default_retryable: ClassVar[bool] = False
    advice: ClassVar[str] = ""
    """What the user should do; appended to the message."""

    message: str
    """The full text (``str(err)``), advice and attempts included; openai's ``APIError.message`` too."""
    code: Any
    msg: str | None
    status_code: int | None
    """The HTTP status the error arrived with; ``None`` when there was no answer (connection
    errors, budget, batch jobs).  Status errors narrow it to ``int``."""
    request_id: str | None
    host: str | None
    retryable: bool
    attempts: int
    hosts_tried: tuple[str, ...]
    body_excerpt: str | None
    retry_after: float | None
    partial_content: str
    partial_chunks: list[Any]
    _zzz_named_class: ClassVar[type[ZZZError]]  # set on status twins only (with_status_class)

    def _set_details(
        self,
        *,
        code: Any = None,
        msg: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        host: str | None = None,
        retryable: bool | None = None,
        body_excerpt: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.msg = msg
        self.status_code = status_code
        self.request_id = request_id
        self.host = host
        self.retryable = self.default_retryable if retryable is None else retryable
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after
        self.attempts = 1
        self.hosts_tried = (host,) if host else ()
        self.partial_content = ""
        self.partial_chunks = []

    def record_attempts(self, attempts: int, hosts_tried: tuple[str, ...]) -> None:
        """Note how many sends the retry loop made and where, and say so in the message."""
        self.attempts = attempts
        self.hosts_tried = hosts_tried
        if attempts > 1 or len(hosts_tried) > 1:
            where = ", ".join(hosts_tried)
            self.message = f"{self.message} [after {attempts} attempts; hosts tried: {where}]"
            self.args = (self.message,)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, msg={self.msg!r}, status={self.status_code}, "
            f"host={self.host!r}, retryable={self.retryable}, attempts={self.attempts})"
        )

    def __reduce__(self) -> Any:
        # The openai parents keep request/response objects, which do not pickle and
        # could carry headers; a pickled error keeps only the sanitized details.
        # A status twin (see with_status_class) is pickled as its named class and rebuilt from
        # status_code, so the unpickled error is again both classes.
        state = {k: v for k, v in self.__dict__.items() if k not in ("request", "response")}
        named = named_class(type(self))
        return (_rebuild, (named, self.message, state, named is not type(self)))


def _rebuild(cls: type[ZZZError], message: str, state: dict[str, Any], status_twin: bool = False) -> ZZZError:
    if status_twin:
        cls = with_status_class(cls, state.get("status_code"))
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    err.message = message
    return err


class GatewayStatusError(ZZZError, openai.APIStatusError):
    """The gateway answered with an error: an HTTP error status, a non-zero ``code``
    envelope (even with HTTP 200), an ``error`` object, or an error event inside a stream."""

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        url: str,
        method: str = "POST",
        body: object | None = None,
        headers: Any = None,
        **details: Any,
    ) -> None:
        request = _compat.bare_request(method, url)
        response = _compat.bare_response(status_code, request, headers=headers)
        openai.APIStatusError.__init__(self, message, response=response, body=body)
        self._set_details(status_code=status_code, **details)
        self.status_code = status_code
        if details.get("request_id"):
            self.request_id = details["request_id"]
        if details.get("code") is not None:
            # openai stringifies body["code"]; ours is the gateway's own code.
            self.code = details["code"]


# openai types each status class's status_code as its one status (Literal[401], ...), true of
# what openai raises.  Ours are picked by the gateway's code and msg, not by the HTTP status
# (an AuthenticationError can come in an HTTP 200 envelope, a quota error with 403 or 429),
# so each one declares the plain int it really holds: widening openai's Literal, which is
# what the one targeted ignore per class is for.  (Annotations only; no runtime change.)


class AuthenticationError(GatewayStatusError, openai.AuthenticationError):
    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "authentication"
    advice = (
        "Check the API key: use the key issued by this gateway (not an OpenAI key), set as ZZZ_API_KEY or api_key=."
    )


class PermissionDeniedError(GatewayStatusError, openai.PermissionDeniedError):
    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "permission_denied"
    advice = (
        "This key may not use this model or route; check the key's allowed models and group in the gateway console."
    )


class InsufficientBalanceError(GatewayStatusError, openai.PermissionDeniedError):
    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "insufficient_balance"
    advice = "The account or key has no balance left: top up in the gateway console. Retrying will not help."


class RateLimitError(GatewayStatusError, openai.RateLimitError):
    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "rate_limit"
    default_retryable = True
    advice = "Slow down or lower concurrency; retried automatically up to max_retries."


class ModelNotFoundError(GatewayStatusError, openai.NotFoundError):
    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "model_not_found"
    advice = "Check the model name against `zzz models` (GET /v1/models) and the key's group; retrying will not help."


class EndpointNotSupportedError(GatewayStatusError, openai.NotFoundError):
    """The gateway does not serve this route: a 404, 405 or 501 answer to an optional
    endpoint (``/v1/rerank``; 智增增 documents none).  A 501 is classed here too, since
    what the caller must do is the same: use a gateway that serves the route."""

    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "endpoint_not_supported"
    advice = (
        "This gateway does not serve this endpoint (智增增 documents no /v1/rerank; new-api/4Z-API does): "
        "use gateway='4z' or a relay that serves it. If other calls fail too, check that base_url ends in /v1."
    )


class InvalidRequestError(GatewayStatusError, openai.BadRequestError):
    status_code: int  # type: ignore[assignment]  # any status, not only openai's Literal (see above)

    category = "invalid_request"
    advice = "Fix the request parameters; retrying will not help."


class ContextLengthExceededError(InvalidRequestError):
    category = "context_length_exceeded"
    advice = "Shorten the input or choose a model with a larger context window."


class ContentFilterError(InvalidRequestError):
    category = "content_filter"
    advice = (
        "The gateway's moderation rejected the content; rephrase it. Repeated violations can get the account banned."
    )


class GatewayServerError(GatewayStatusError, openai.InternalServerError):
    category = "server_error"
    default_retryable = True
    advice = "The gateway or its upstream failed; retried automatically, and the mirror is tried when configured."


class GatewayError(GatewayStatusError):
    """An error code this library does not know; ``code`` and ``msg`` are the gateway's."""

    category = "gateway_error"
    advice = "Unrecognised gateway error; see msg and code, and report it if it persists."


class GatewayConnectionError(ZZZError, openai.APIConnectionError):
    """The gateway could not be reached, or the connection broke."""

    category = "connection"
    default_retryable = True
    advice = "Check the network and base_url; retried automatically, and the mirror is tried when configured."

    def __init__(self, message: str, *, url: str, method: str = "POST", **details: Any) -> None:
        openai.APIConnectionError.__init__(self, message=message, request=_compat.bare_request(method, url))
        self._set_details(**details)


class GatewayTimeoutError(GatewayConnectionError, openai.APITimeoutError):
    category = "timeout"
    advice = "The gateway did not answer in time; raise timeout= for long generations. Retried automatically."


class StreamInterruptedError(GatewayConnectionError):
    """A stream ended before its finish reason (connection dropped, no ``[DONE]``).

    ``partial_content`` holds the text that did arrive.  It is retried only when
    nothing had been delivered yet: a retry after content would duplicate text.
    """

    category = "stream_interrupted"
    advice = "The stream broke off; the text received so far is in .partial_content."


class BudgetExceededError(ZZZError):
    """The run's cost budget (``max_cost``) is spent: the next call was refused before it was sent.

    Calls already in flight when the budget was crossed completed and were counted,
    so ``spent`` may exceed ``limit``.  Never retried.
    """

    category = "budget_exceeded"
    advice = "Nothing was sent. Raise max_cost, or start a new budget, to make more calls."

    def __init__(self, spent: float, limit: float, currency: str | None) -> None:
        unit = f" {currency}" if currency else ""
        message = f"cost budget exhausted: spent {spent:.6g}{unit} of max_cost {limit:.6g}{unit}. {self.advice}"
        super().__init__(message)
        self.message = message
        self._set_details(msg=message, retryable=False)
        self.spent = spent
        self.limit = limit
        self.currency = currency


class BatchAPIUnsupportedError(EndpointNotSupportedError):
    """The gateway has no OpenAI Batch API: it answered a ``/v1/files`` or ``/v1/batches``
    call with 404 or 501 (new-api: 501 ``api_not_implemented``, 404 ``Invalid URL``)."""

    category = "batch_api_unsupported"
    advice = (
        "This gateway has no Batch API (/v1/files, /v1/batches). Send the same input file as ordinary "
        "requests with `zzz bulk chat|complete|embed INPUT.jsonl -o OUTPUT.jsonl` (zzz_core.bulk), which resumes."
    )


class BatchJobError(ZZZError, openai.APIError):
    """A batch job whose results cannot all be had; ``job`` is the last
    :class:`~zzz_core.bulk.batch.BatchJob` seen, ``batch_id`` and ``status`` its own."""

    category = "batch_job"
    advice = "See `zzz batch status ID`."

    def __init__(self, message: str, *, job: Any = None, url: str = "", host: str | None = None) -> None:
        openai.APIError.__init__(self, message, _compat.bare_request("GET", url), body=None)
        self._set_details(host=host, code=getattr(job, "status", None), msg=message)
        self.job = job
        self.batch_id: str | None = getattr(job, "id", None)
        self.status: str | None = getattr(job, "status", None)


class BatchValidationError(BatchJobError):
    """The gateway rejected the input file; ``errors`` holds its ``errors.data``
    (``{"code", "line", "message", "param"}`` per rejected line).  Nothing was run."""

    category = "batch_validation_failed"
    advice = "Fix the lines named and submit again; nothing was run."

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(getattr(self.job, "errors", ()))


class BatchExpiredError(BatchJobError):
    category = "batch_expired"
    advice = (
        "The gateway did not finish within the completion window. `zzz batch fetch ID -o OUT.jsonl` saves the "
        "lines that finished (the others are recorded as batch_expired); send those again, or use `zzz bulk`."
    )


class BatchCancelledError(BatchJobError):
    category = "batch_cancelled"
    advice = "`zzz batch fetch ID -o OUT.jsonl` saves the lines that finished before the cancellation."


class BatchPendingError(BatchJobError):
    category = "batch_pending"
    default_retryable = True
    advice = "The batch has not finished; `zzz batch wait ID` waits for it, then fetch."


# -- openai's class for the HTTP status -------------------------------------------------

#: The class ``openai`` raises for each HTTP status (openai's ``_make_status_error``); 5xx is
#: ``InternalServerError``, any other status only ``APIStatusError``.
OPENAI_STATUS_CLASSES: dict[int, type[openai.APIStatusError]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}

_STATUS_TWINS: dict[tuple[type[ZZZError], type[openai.APIStatusError]], type[ZZZError]] = {}


def openai_class_for_status(status: int | None) -> type[openai.APIStatusError] | None:
    """The class ``openai`` itself raises for an HTTP error ``status``; ``None`` below 400."""
    if status is None or status < 400:
        return None
    if status >= 500:
        return openai.InternalServerError
    return OPENAI_STATUS_CLASSES.get(status, openai.APIStatusError)


def with_status_class(cls: type[ZZZError], status: int | None) -> type[ZZZError]:
    """``cls``, made also the ``openai`` class for ``status`` when it is not already.

    The class of an error says what went wrong; the HTTP status says what ``openai`` code
    catches.  Relays disagree about statuses (new-api answers ``model_not_found`` with 503,
    a quota error with 403 or 429), so an error that arrived with an HTTP status is both:
    a 503 ``model_not_found`` is a ``ModelNotFoundError`` *and* an
    ``openai.InternalServerError``, and a tenacity rule written for ``openai`` still
    matches.  The twin has ``cls``'s name and module, is built once per pair, and is not
    a public class (``type(err)`` is it; ``named_class(type(err))`` is ``cls``).  Errors
    that came with HTTP 200 (envelopes, stream frames) keep ``cls``.
    """
    wanted = openai_class_for_status(status)
    if wanted is None or issubclass(cls, wanted):
        return cls
    twin = _STATUS_TWINS.get((cls, wanted))
    if twin is None:
        attrs = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__}
        twin = _STATUS_TWINS.setdefault((cls, wanted), type(cls.__name__, (cls, wanted), attrs))
        twin._zzz_named_class = cls
    return twin


def named_class(cls: type[ZZZError]) -> type[ZZZError]:
    """The public class behind a status twin (``cls`` itself otherwise)."""
    return cls.__dict__.get("_zzz_named_class", cls)


#: The bases that only group the tree; they are never raised themselves.
_GROUPING_BASES: tuple[type[ZZZError], ...] = (ZZZError, GatewayStatusError)


def gateway_errors() -> tuple[type[ZZZError], ...]:
    """Every gateway error class of this module, parents before children, in definition order.

    Read from the class tree rather than kept by hand, so that adding a class to this
    module is enough for the docs and for the skins' twins (LangChain's) to include it.
    A class counts when it is a public name of this module; the skins' own subclasses
    (``langchain_zzz.errors``) therefore do not.
    """
    module = globals()
    found: list[type[ZZZError]] = []

    def walk(cls: type[ZZZError]) -> None:
        for sub in cls.__subclasses__():
            if module.get(sub.__name__) is sub and sub not in found:
                if sub not in _GROUPING_BASES:
                    found.append(sub)
                walk(sub)

    walk(ZZZError)
    return tuple(found)


#: Every gateway error class, for tables and docs (:func:`gateway_errors` at import time).
GATEWAY_ERRORS: tuple[type[ZZZError], ...] = gateway_errors()

__all__ = [
    "GATEWAY_ERRORS",
    "ConfigurationError",
    "GatewayStatusError",
    "InvalidInputError",
    "ZZZError",
    "gateway_errors",
    "named_class",
    "openai_class_for_status",
    "with_status_class",
    *(cls.__name__ for cls in GATEWAY_ERRORS),
]
