"""Site templates: the blocks a site repeats on its pages, learned per host and kept in SQLite.

Every article a site serves carries the same chrome (a promo box, a notice pasted under each
story, a "latest stories" list whose headlines change). ``signatures`` turns the blocks of a page
into short hashes; this store counts, per host, on how many distinct pages each signature was
seen. A signature is template chrome when it was seen on at least ``min_pages`` pages and on at
least ``min_share`` of the host's pages since it first appeared, so a template that arrives with
a redesign is learned without waiting for the old pages to be outnumbered. A share measured over
fewer than ``window`` pages is measured over ``window`` instead (or all the host's pages, if
fewer): a story republished at a few URLs in a row is not a template.

One writer at a time is enough (SQLite in WAL mode serialises writers and lets readers in);
every ``learn`` is one transaction. Signatures that fall far below the share are swept now and
then, so a host's rows stay bounded however many pages it has.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scraper.closing import Closing
from scraper.errors import ConfigError, WriteError

__all__ = ["SiteTemplate", "TemplateStore", "host_key"]

# Bump when ``signatures`` computes different hashes for the same page: old counts are dropped.
SIGNATURE_SCHEME = 1
_SWEEP_EVERY = 50  # pages of a host between sweeps
_SWEEP_AGE = 50  # a signature is swept only once the host has this many pages after its first

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, pages INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pages (
    host TEXT NOT NULL, page TEXT NOT NULL, PRIMARY KEY (host, page)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
    host TEXT NOT NULL, signature TEXT NOT NULL,
    pages INTEGER NOT NULL,  -- distinct pages of the host it was seen on
    first INTEGER NOT NULL,  -- the host's page count when it was first seen
    PRIMARY KEY (host, signature)) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class SiteTemplate:
    """The template chrome of one host: signatures of blocks to drop from its pages."""

    host: str
    signatures: frozenset[str] = frozenset()
    pages: int = 0  # how many pages it was learned from

    @property
    def rule(self) -> str:
        """The rule name ``--explain`` shows next to a block this template dropped."""
        return f"template:{self.host}"


def host_key(host: str) -> str:
    """One spelling per site: lower case, no port, no trailing dot, no leading ``www.``."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal keeps its colons
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".").removeprefix("www.")


class TemplateStore(Closing):
    """Per-host block counts in SQLite (WAL). ``TemplateStore(path)`` creates the file."""

    def __init__(
        self,
        path: Path | str,
        *,
        min_pages: int = 3,
        min_share: float = 0.5,
        window: int = 20,
    ) -> None:
        self.path = Path(path)
        self.min_pages, self.min_share, self.window = min_pages, min_share, window
        with _errors(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                self._set_up()
            except BaseException:
                self._conn.close()
                raise

    def learn(self, host: str, page: str, signatures: Iterable[str]) -> bool:
        """Count ``signatures`` (from ``Article.signatures``) as seen on ``page`` (its URL) of
        ``host``. A page already learned counts once: returns False and changes nothing."""
        host = host_key(host)
        page_id = hashlib.blake2b(page.encode("utf-8"), digest_size=12).hexdigest()
        with _errors(self.path), self._transaction() as conn:
            added = conn.execute(
                "INSERT INTO pages VALUES (?, ?) ON CONFLICT DO NOTHING", (host, page_id)
            ).rowcount
            if not added:
                return False
            (count,) = conn.execute(
                "INSERT INTO hosts VALUES (?, 1) ON CONFLICT (host) DO UPDATE "
                "SET pages = pages + 1 RETURNING pages",
                (host,),
            ).fetchone()
            conn.executemany(
                "INSERT INTO blocks VALUES (?, ?, 1, ?) ON CONFLICT (host, signature) "
                "DO UPDATE SET pages = pages + 1",
                ((host, signature, count) for signature in set(signatures)),
            )
            if count % _SWEEP_EVERY == 0:
                self._sweep(conn, host, count)
        return True

    def template(self, host: str) -> SiteTemplate:
        """What has been learned about ``host`` (an empty template when nothing has)."""
        host = host_key(host)
        with _errors(self.path):
            row = self._conn.execute("SELECT pages FROM hosts WHERE host = ?", (host,)).fetchone()
            count = row[0] if row else 0
            found = self._conn.execute(
                "SELECT signature FROM blocks WHERE host = ? AND pages >= ? "
                "AND pages >= ? * max(? - first + 1, ?)",
                (host, self.min_pages, self.min_share, count, min(count, self.window)),
            ).fetchall()
        return SiteTemplate(host, frozenset(signature for (signature,) in found), count)

    def hosts(self) -> dict[str, int]:
        """Every host learned, with how many pages it was learned from."""
        with _errors(self.path):
            return dict(self._conn.execute("SELECT host, pages FROM hosts ORDER BY host"))

    def forget(self, host: str) -> None:
        """Drop all that was learned about ``host`` (after a redesign, or a bad sample)."""
        host = host_key(host)
        with _errors(self.path), self._transaction() as conn:
            for table in ("hosts", "pages", "blocks"):
                conn.execute(f"DELETE FROM {table} WHERE host = ?", (host,))

    def close(self) -> None:
        self._conn.close()

    def _set_up(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a crash loses no more
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > SIGNATURE_SCHEME:
            raise ConfigError(f"{self.path}: written by a newer scraper (scheme {version})")
        with self._transaction():
            if version < SIGNATURE_SCHEME:
                # counts of another signature scheme would never match again: start over
                for table in ("hosts", "pages", "blocks"):
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SIGNATURE_SCHEME}")

    def _sweep(self, conn: sqlite3.Connection, host: str, count: int) -> None:
        """Forget signatures well below the share that have had ample pages to reach it."""
        conn.execute(
            "DELETE FROM blocks WHERE host = ? AND first <= ? AND pages < ? * (? - first + 1)",
            (host, count - _SWEEP_AGE, self.min_share / 2, count),
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")


@contextmanager
def _errors(path: Path) -> Iterator[None]:
    """sqlite3 and OS errors as ScraperErrors that name the file."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise ConfigError(f"{path}: not a template store ({exc})") from exc
        raise WriteError(f"{path}: template store: {exc}") from exc
    except OSError as exc:
        raise WriteError(f"{path}: template store: {exc.strerror or exc}") from exc
