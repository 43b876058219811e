"""The one exception tree of scraper. Every failure a user can see is one of these.

    ScraperError                      anything from scraper; carries .url and a short .code
    ├── ConfigError                   bad config.yaml or command-line values
    ├── FetchError                    the page could not be fetched
    │   ├── TransientFetchError       worth retrying: timeouts, connection errors, 408, 429, 5xx
    │   └── PermanentFetchError       not worth retrying: 4xx, too large, not HTML, redirect loops
    ├── ExtractError                  the page was fetched but yielded no article
    │   └── NoContentError            no article text on the page (section front, empty page)
    └── WriteError                    the article could not be saved

A stage never returns ``None`` to mean failure; it raises one of these.
"""

from __future__ import annotations


class ScraperError(Exception):
    """Root of every error scraper raises on purpose."""

    default_code = "error"

    def __init__(self, message: str, *, url: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.code = code or self.default_code

    def __str__(self) -> str:
        return f"{self.url}: {self.message}" if self.url else self.message


class ConfigError(ScraperError):
    default_code = "config_error"


class FetchError(ScraperError):
    default_code = "fetch_error"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, url=url, code=code)
        self.status = status


class TransientFetchError(FetchError):
    """A failure that may go away if the same request is tried again later."""

    default_code = "transient_fetch_error"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, code=code, status=status)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    default_code = "permanent_fetch_error"


class ExtractError(ScraperError):
    default_code = "extract_error"


class NoContentError(ExtractError):
    default_code = "no_content"


class WriteError(ScraperError):
    default_code = "write_error"
