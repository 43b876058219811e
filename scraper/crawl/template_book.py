"""The run's view of learned site templates: every page of a host is cleaned with what has been
learned about it, and every article extracted teaches it more, so each crawl of a site makes
the next one cleaner (the store is ``extract.templates_path``, shared with ``scraper learn``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

from scraper.extract.templates import SiteTemplate, TemplateStore, host_key

# A host's template is read again after this many newly learned pages; until a host has a
# template at all it is read after every page, so it starts to apply as soon as it exists.
REFRESH_EVERY = 10


class TemplateBook:
    def __init__(self, store: TemplateStore) -> None:
        self._store = store
        self._templates: dict[str, SiteTemplate | None] = {}
        self._learned_since: Counter[str] = Counter()

    def template(self, url: str) -> SiteTemplate | None:
        """The template of ``url``'s site, or None while nothing has been learned for it."""
        host = _host(url)
        if not host:
            return None
        if host not in self._templates:
            self._templates[host] = self._read(host)
        return self._templates[host]

    def learn(self, url: str, page: str, signatures: Iterable[str]) -> None:
        """Count the blocks of one extracted article (``page`` is its canonical URL)."""
        host = _host(url)
        if not host or not self._store.learn(host, page, signatures):
            return
        self._learned_since[host] += 1
        if self._templates.get(host) is None or self._learned_since[host] >= REFRESH_EVERY:
            self._templates[host] = self._read(host)
            self._learned_since[host] = 0

    def _read(self, host: str) -> SiteTemplate | None:
        template = self._store.template(host)
        return template if template.signatures else None


def _host(url: str) -> str:
    return host_key(urlsplit(url).hostname or "")
