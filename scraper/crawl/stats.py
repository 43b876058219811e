"""Per-source counters of one crawl run, the one-line summary, and the JSON form of both.

    found         URLs discovered this run and queued (after filters and the age limit)
    fetched       article pages requested that got an answer (200 or 304)
    new           articles of a story not seen before
    updated       a known URL whose text changed
    unchanged     a known URL fetched again with the same text
    duplicate     a copy (exact or near) of another URL's story: linked, not written twice
    not_modified  a conditional GET answered 304
    skipped       not fetched or not kept on purpose (too_old, robots_disallowed, no_content...)
    failed        a page, feed, sitemap or section page that could not be fetched or extracted

The reasons behind ``skipped`` and ``failed`` are kept per source for the JSON report.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

COUNTERS = (
    "found",
    "fetched",
    "new",
    "updated",
    "unchanged",
    "duplicate",
    "not_modified",
    "skipped",
    "failed",
)
STORY_KINDS = frozenset({"new", "updated", "unchanged", "duplicate"})


@dataclass(slots=True)
class SourceStats:
    counts: Counter[str] = field(default_factory=Counter)
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    failed_reasons: Counter[str] = field(default_factory=Counter)

    def add(self, counter: str, amount: int = 1) -> None:
        if counter not in COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        self.counts[counter] += amount

    def skip(self, reason: str, amount: int = 1) -> None:
        self.counts["skipped"] += amount
        self.skipped_reasons[reason] += amount

    def fail(self, code: str) -> None:
        self.counts["failed"] += 1
        self.failed_reasons[code] += 1

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {name: self.counts[name] for name in COUNTERS}
        result["skipped_reasons"] = dict(sorted(self.skipped_reasons.items()))
        result["failed_reasons"] = dict(sorted(self.failed_reasons.items()))
        return result


class CrawlStats:
    """Counters for every configured source, in config order."""

    def __init__(self, sources: Iterable[str]) -> None:
        self._sources = {name: SourceStats() for name in sources}

    def __getitem__(self, source: str) -> SourceStats:
        return self._sources[source]

    @property
    def names(self) -> list[str]:
        return list(self._sources)

    def total(self, counter: str) -> int:
        return sum(stats.counts[counter] for stats in self._sources.values())

    def totals(self) -> SourceStats:
        summed = SourceStats()
        for stats in self._sources.values():
            summed.counts.update(stats.counts)
            summed.skipped_reasons.update(stats.skipped_reasons)
            summed.failed_reasons.update(stats.failed_reasons)
        return summed

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": {name: stats.as_dict() for name, stats in self._sources.items()},
            "totals": self.totals().as_dict(),
        }


def counts_text(counts: Mapping[str, Any]) -> str:
    """``found 3, fetched 2, new 2, ...`` from a counters mapping."""
    return ", ".join(f"{name} {counts.get(name, 0)}" for name in COUNTERS)


def summary_line(report: Mapping[str, Any]) -> str:
    """The one line a run leaves on stderr, from the report's JSON form (CrawlReport.as_dict)."""
    parts = [f"{name}: {counts_text(counts)}" for name, counts in report["sources"].items()]
    parts.append(f"total: {counts_text(report['totals'])}")
    head = f"crawl run {report['run_id']} in {report['duration_seconds']:.1f}s"
    notes = []
    if report.get("stopped_by"):
        cause = report["stopped_by"]
        if report.get("signal") is not None:
            cause = signal.Signals(report["signal"]).name
        notes.append(f"stopped by {cause}, the rest stays queued")
    if report.get("output_dir") is None:
        notes.append("no write.output_dir: articles kept in the state DB only")
    elif report.get("exported_pending"):
        notes.append(f"{report['exported_pending']} article(s) left by an earlier run written")
    tail = f" ({'; '.join(notes)})" if notes else ""
    return f"{head}: " + "; ".join(parts) + tail


@dataclass(frozen=True, slots=True)
class CrawlReport:
    """What one run did; ``as_dict`` is what --stats-json writes and the state's runs table keeps.

    stopped_by: None for a run that finished its work, else "max_pages", "max_time" or "stop"
    (the stop event: SIGTERM/SIGINT from the CLI). signal: the signal number behind "stop".
    """

    run_id: int
    started_at: datetime
    duration: float
    stats: Mapping[str, Any]  # CrawlStats.as_dict()
    stopped_by: str | None
    output_dir: Path | None
    exported_pending: int  # articles an earlier run recorded but did not get to write
    dropped_hosts: Mapping[str, str]  # host -> why it was skipped for the rest of the run
    signal: int | None = None

    @property
    def fetched(self) -> int:
        return int(self.stats["totals"]["fetched"])

    @property
    def failed(self) -> int:
        return int(self.stats["totals"]["failed"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration, 3),
            "stopped_by": self.stopped_by,
            "signal": self.signal,
            "output_dir": None if self.output_dir is None else str(self.output_dir),
            "exported_pending": self.exported_pending,
            "dropped_hosts": dict(self.dropped_hosts),
            **self.stats,
        }

    def summary(self) -> str:
        return summary_line(self.as_dict())
