"""The retry policy: which failures are retried, how long to wait, and the one loop that does it.

Only TransientFetchError is retried. The wait is exponential backoff with jitter, or the server's
Retry-After when it asks for longer. A Retry-After beyond ``retry_after_max`` is not slept on: the
error is raised at once with ``retry_after`` set, so the caller can defer the host instead of
parking a worker for hours.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from scraper.config import FetchSettings
from scraper.errors import TransientFetchError

# A name that does not resolve (network.py) is looked up at most this often per fetch.
DNS_ERROR = "dns_error"
DNS_ATTEMPTS = 2

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int
    backoff_initial: float
    backoff_max: float
    retry_after_max: float
    retry_statuses: frozenset[int]

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> RetryPolicy:
        return cls(
            attempts=settings.retries + 1,
            backoff_initial=settings.backoff_initial,
            backoff_max=settings.backoff_max,
            retry_after_max=settings.retry_after_max,
            retry_statuses=frozenset(settings.retry_statuses),
        )

    def is_transient_status(self, status: int) -> bool:
        return status in self.retry_statuses

    def should_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, TransientFetchError):
            return False
        return exc.retry_after is None or exc.retry_after <= self.retry_after_max


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    # ASCII only: "²" and "١٢" are isdigit() too, and float() refuses the first (fuzzing).
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Wait:
    """Backoff with jitter, stretched to the server's Retry-After when that is longer."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential(
            multiplier=policy.backoff_initial, max=policy.backoff_max
        ) + wait_random(0, policy.backoff_initial)

    def __call__(self, state: RetryCallState) -> float:
        backoff = float(self._backoff(state))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientFetchError) and exc.retry_after is not None:
            return max(exc.retry_after, backoff)
        return backoff


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("attempt %d failed (%s); retrying in %.2fs", state.attempt_number, exc, wait)


class _Stop:
    """Attempts run out, or a name failed to resolve DNS_ATTEMPTS times: a third lookup of a
    name that does not exist only adds a wait. The error stays transient (a crawl asks again
    next run). One instance per fetch, since it counts that fetch's failed lookups."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._out_of_attempts = stop_after_attempt(policy.attempts)
        self._dns_failures = 0

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientFetchError) and exc.code == DNS_ERROR:
            self._dns_failures += 1
        return self._out_of_attempts(state) or self._dns_failures >= DNS_ATTEMPTS


async def with_retries(policy: RetryPolicy, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run ``attempt`` until it succeeds, raises a non-retryable error, or attempts run out.
    The last error is raised as itself (never wrapped in tenacity's RetryError)."""
    retrying = AsyncRetrying(
        stop=_Stop(policy),
        wait=_Wait(policy),
        retry=retry_if_exception(policy.should_retry),
        before_sleep=_log_retry,
        reraise=True,
    )
    async for try_ in retrying:
        with try_:
            result = await attempt()
    return result
