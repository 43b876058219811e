"""The retry policy as data: Retry-After parsing and what counts as retryable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch.retry import RetryPolicy, parse_retry_after
from tests.fetch.harness import tiny

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Sun, 22 Nov 2026 12:00:30 GMT", 30.0),
        ("Sun, 22 Nov 2026 11:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_policy_comes_from_settings() -> None:
    policy = RetryPolicy.from_settings(tiny(retries=4, retry_statuses=(429, 503)))

    assert policy.attempts == 5
    assert policy.is_transient_status(503)
    assert not policy.is_transient_status(500)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (TransientFetchError("t", code="timeout"), True),
        (TransientFetchError("t", code="http_status", retry_after=5.0), True),
        (TransientFetchError("t", code="http_status", retry_after=5.1), False),
        (PermanentFetchError("p", code="http_status"), False),
        (FetchError("f"), False),
        (ValueError("bug"), False),
    ],
)
def test_only_transient_errors_within_the_retry_after_cap_are_retried(
    error: BaseException, retried: bool
) -> None:
    assert RetryPolicy.from_settings(tiny(retry_after_max=5.0)).should_retry(error) is retried
