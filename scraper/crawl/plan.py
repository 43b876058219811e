"""What a crawl would visit, per source, without fetching anything (``scraper sources``)."""

from __future__ import annotations

from collections.abc import Sequence

from scraper.config import Settings, SourceSettings
from scraper.crawl.state import CrawlState


def describe_sources(settings: Settings, *, due: int = 10) -> str:
    """Each source's configuration and, when the state file exists, its URL counts by status
    and its first ``due`` due URLs. Reads the state; never writes it or the network."""
    crawl = settings.crawl
    lines = [
        f"state: {crawl.state_path}"
        + ("" if crawl.state_path.exists() else " (none yet: nothing crawled)"),
        f"output: {settings.write.output_dir or '(none: articles kept in the state only)'}",
        f"budget per run: max_pages {crawl.max_pages or 'unlimited'}, "
        f"max_time {crawl.max_time or 'unlimited'}",
    ]
    if not settings.sources:
        lines.append("no sources configured")
        return "\n".join(lines)
    state = CrawlState.open(crawl.state_path) if crawl.state_path.exists() else None
    try:
        for source in settings.sources:
            lines.append("")
            lines.extend(_describe(source, settings, state, due))
    finally:
        if state is not None:
            state.close()
    return "\n".join(lines)


def _describe(
    source: SourceSettings, settings: Settings, state: CrawlState | None, due: int
) -> list[str]:
    max_age = source.max_age_days or settings.crawl.max_age_days
    lines = [
        f"{source.name}: max_pages {source.max_pages}, max_age_days {max_age or 'none'}",
        *_listed("start_urls", source.start_urls),
        *_listed("feeds", source.feeds),
        *_listed("sitemaps", source.sitemaps),
        *_listed("sections", source.sections),
        *_listed("allow", source.allow),
        *_listed("deny", source.deny),
    ]
    if state is None:
        return lines
    counts = state.counts(source.name)
    lines.append("  urls: " + ", ".join(f"{status} {n}" for status, n in counts.items()))
    items = state.due(source.name, due)
    lines.append(f"  due next ({len(items)} shown):" if items else "  due next: nothing")
    lines.extend(
        f"    {item.url}" + (" (changed)" if item.status == "changed" else "") for item in items
    )
    return lines


def _listed(label: str, values: Sequence[str]) -> list[str]:
    if not values:
        return []
    return [f"  {label}:", *(f"    {value}" for value in values)]
