"""The CLI's plumbing: settings from flags, inputs to Outcomes, Outcomes to stdout/stderr, and
exit codes. Kept apart from cli.py so that module stays a list of commands."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scraper.config import Settings, load_settings
from scraper.errors import ConfigError, ScraperError
from scraper.models import Article

if TYPE_CHECKING:
    from scraper.pipeline import Outcome

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_ALL_FAILED = 0, 1, 2, 3
EXIT_STORAGE = 74  # EX_IOERR: the output or the state could not be written (a full disk)
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron may simply try again next time
EXIT_SIGNALLED = {signal.SIGTERM: 143, signal.SIGINT: 130}


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def settings_from(config: Path | None, output: Path | None) -> Settings:
    """config.yaml (or defaults), with --output overriding write.output_dir."""
    settings = load_settings(config)
    if output is None:
        return settings
    write = settings.write.model_copy(update={"output_dir": output})
    return settings.model_copy(update={"write": write})


def collect(
    sources: Sequence[str], base_url: str | None, settings: Settings, *, allow_network: bool
) -> list[Outcome]:
    """Outcomes in input order: URLs are fetched; files, folders, WARCs and stdin read locally
    (a WARC or a folder gives one Outcome per page in it)."""
    # Imported here: `crawl` shares this module and must not load the extraction stack.
    from scraper import inputs, pipeline

    expanded = inputs.expand(sources)
    urls = [s for s in expanded if inputs.is_url(s)]
    if urls and not allow_network:
        raise ConfigError(f"{urls[0]}: this command reads local files only")
    for source in expanded:
        if source != "-" and not inputs.is_url(source) and not Path(source).is_file():
            raise ConfigError(f"{source}: not a URL (http/https) and no such file")
    fetched = iter(pipeline.scrape_many(urls, settings))
    outcomes: list[Outcome] = []
    for source in expanded:
        if inputs.is_url(source):
            outcomes.append(next(fetched))
        else:
            outcomes.extend(_local(source, base_url, settings))
    return outcomes


def _local(source: str, base_url: str | None, settings: Settings) -> list[Outcome]:
    from scraper import inputs, pipeline  # not at the top: see collect
    from scraper.pipeline import Outcome

    outcomes: list[Outcome] = []
    try:
        for page in inputs.local_pages(source, base_url, sys.stdin.buffer):
            try:
                article = pipeline.extract_from_page(page, settings)
            except ScraperError as exc:
                exc.url = exc.url or page.url
                outcomes.append(Outcome(page.url, error=exc))
            else:
                outcomes.append(Outcome(page.url, article=article))
    except ConfigError:
        raise
    except ScraperError as exc:
        exc.url = exc.url or source
        outcomes.append(Outcome(source, error=exc))
    return outcomes


def report(outcomes: list[Outcome], fmt: OutputFormat, settings: Settings, explain: bool) -> int:
    """Write or print every article, one error line per failure; returns the exit code."""
    if settings.write.output_dir is not None:
        from scraper.pipeline import write_outcomes  # not at the top: see collect

        outcomes = write_outcomes(outcomes, settings)
    for outcome in outcomes:
        if outcome.article is not None:
            if explain:
                _explain(outcome.source, outcome.article)
            _emit(outcome, fmt)
        elif outcome.error is not None:
            error_line(outcome.error)
    return exit_code(outcomes)


def _emit(outcome: Outcome, fmt: OutputFormat) -> None:
    if outcome.paths:
        for path in outcome.paths:
            typer.echo(str(path))
        return
    assert outcome.article is not None
    typer.echo(render(outcome.article, fmt))


def render(article: Article, fmt: OutputFormat) -> str:
    """The article as printed on stdout in the chosen format."""
    if fmt is OutputFormat.json:
        return json.dumps(article.to_dict(), ensure_ascii=False)
    if fmt is OutputFormat.markdown:
        head = f"# {article.title}\n\n" if article.title else ""
        return f"{head}{article.text}\n"
    head = f"{article.title}\n\n" if article.title else ""
    return f"{head}{article.text}\n"


def _explain(source: str, article: Article) -> None:
    typer.echo(f"explain: {source}: {len(article.dropped)} block(s) dropped", err=True)
    for block in article.dropped:
        snippet = one_line(block.text)
        snippet = snippet if len(snippet) <= 100 else snippet[:97] + "..."
        typer.echo(f"  dropped [{block.rule}] {snippet}", err=True)
    reasons = ", ".join(article.quality_reasons) or "no reasons"
    typer.echo(f"  quality {article.quality:.2f} ({reasons})", err=True)


def error_line(error: BaseException | str) -> None:
    typer.echo(f"error: {one_line(str(error))}", err=True)


def coded(error: ScraperError) -> str:
    """The error led by its code, for failures a script may want to tell apart (storage_full)."""
    return f"{error.code}: {error}"


def one_line(text: str) -> str:
    return " ".join(text.split())


def exit_code(outcomes: Sequence[Outcome]) -> int:
    failed = sum(outcome.error is not None for outcome in outcomes)
    if failed == 0:
        return EXIT_OK
    return EXIT_ALL_FAILED if failed == len(outcomes) else EXIT_SOME_FAILED


def crawl_exit_code(signum: int | None, *, fetched: int, failed: int) -> int:
    if signum is not None:
        return EXIT_SIGNALLED.get(signal.Signals(signum), EXIT_SOME_FAILED)
    if failed == 0:
        return EXIT_OK
    return EXIT_ALL_FAILED if fetched == 0 else EXIT_SOME_FAILED


def write_json(path: Path, value: object) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        temp.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
