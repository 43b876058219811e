"""The command line: parse arguments, load Settings, call the pipeline, map errors to exit codes.

Exit codes: 0 every input gave an article, 1 some failed, 2 usage or config error, 3 all failed.
`crawl` adds: 3 when nothing was fetched and something failed, 75 when another crawl holds the
state's lock, 143 after SIGTERM and 130 after SIGINT (both after a clean stop and a summary).
Errors are one line on stderr naming the input and the reason; never a traceback
(set SCRAPER_DEBUG=1 to see one for an unexpected internal error).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from scraper import pipeline
from scraper.config import Settings, load_settings
from scraper.errors import ConfigError, ScraperError
from scraper.models import Article
from scraper.pipeline import Outcome

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_ALL_FAILED = 0, 1, 2, 3
EXIT_LOCKED = 75  # EX_TEMPFAIL: cron may simply try again next time
EXIT_SIGNALLED = {signal.SIGTERM: 143, signal.SIGINT: 130}
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz", ".xhtml")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


Sources = Annotated[list[str], typer.Argument(help="URLs, HTML files, or - for stdin.")]
Paths = Annotated[list[Path], typer.Argument(help="HTML files (.html, .htm, .html.gz) or dirs.")]
BaseUrl = Annotated[
    str | None, typer.Option("--url", help="The URL a local file or stdin was fetched from.")
]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write files into DIR instead of stdout.")
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Path to config.yaml.")]
ExplainOpt = Annotated[
    bool, typer.Option("--explain", help="Print each dropped block and its rule to stderr.")
]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="scraper: clean article text and metadata from news pages.",
)


@app.command("scrape")
def scrape_command(
    sources: Sources,
    url: BaseUrl = None,
    fmt: FormatOpt = OutputFormat.text,
    output: OutputOpt = None,
    config: ConfigOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Fetch news pages (or read local HTML) and print each article as clean text.

    Example:
        scrape https://example.com/news/story --format json
        scrape saved.html --url https://example.com/news/story
    """
    settings = _settings(config, output)
    outcomes = _collect(sources, url, settings, allow_network=True)
    raise typer.Exit(_report(outcomes, fmt, settings, explain))


@app.command("extract")
def extract_command(
    paths: Paths,
    url: BaseUrl = None,
    fmt: FormatOpt = OutputFormat.text,
    output: OutputOpt = None,
    config: ConfigOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Extract articles from stored HTML files without touching the network.

    Example:
        scraper extract pages/ --format json --output out/
    """
    settings = _settings(config, output)
    files = [str(path) for path in _expand(paths)]
    outcomes = _collect(files, url, settings, allow_network=False)
    raise typer.Exit(_report(outcomes, fmt, settings, explain))


@app.command("eval")
def eval_command(
    dataset: Annotated[
        Path, typer.Argument(help="Folder with html/*.html.gz and ground-truth.json.")
    ],
    worst: Annotated[int, typer.Option(help="How many of the worst pages to list.")] = 10,
    config: ConfigOpt = None,
) -> None:
    """Score the extractor against a labelled dataset (F1, precision, recall, accuracy).

    Example:
        scraper eval ../shared/bench/scrapinghub
    """
    from scraper.evaluate import format_report, run_eval

    if not (dataset / "ground-truth.json").is_file():
        raise ConfigError(f"{dataset}: no ground-truth.json (expected html/*.html.gz beside it)")
    report = run_eval(dataset, _settings(config, None))
    typer.echo(format_report(report, worst=worst))


@app.command("crawl")
def crawl_command(
    config: ConfigOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write articles into DIR.")
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", min=1, help="Pages to fetch at most this run.")
    ] = None,
    max_time: Annotated[
        float | None,
        typer.Option("--max-time", min=0.001, help="Seconds before the run checkpoints."),
    ] = None,
    stats_json: Annotated[
        Path | None, typer.Option("--stats-json", help="Also write the run's summary as JSON.")
    ] = None,
) -> None:
    """Crawl every configured source once: new and changed articles, politely, resumably.

    Safe to run from cron: an overlapping run exits 75 at once, and SIGTERM stops the run
    cleanly (exit 143). One summary line goes to stderr.

    Example:
        scraper crawl --config /etc/scraper/config.yaml
        scraper crawl --config config.yaml --max-time 800 --stats-json run.json
    """
    from scraper.crawl.lock import CrawlLockedError
    from scraper.crawl.progress import for_stderr
    from scraper.crawl.runner import crawl

    settings = _settings(config, output)
    try:
        report = crawl(settings, max_pages=max_pages, max_time=max_time, progress=for_stderr())
    except CrawlLockedError as exc:
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        raise typer.Exit(EXIT_LOCKED) from None
    typer.echo(report.summary(), err=True)
    if stats_json is not None:
        _write_json(stats_json, report.as_dict())
    raise typer.Exit(_crawl_exit_code(report.signal, fetched=report.fetched, failed=report.failed))


@app.command("sources")
def sources_command(
    config: ConfigOpt = None,
    due: Annotated[int, typer.Option("--due", min=0, help="Due URLs to list per source.")] = 10,
) -> None:
    """Show what a crawl would visit, per source, without fetching anything.

    Example:
        scraper sources --config /etc/scraper/config.yaml --due 20
    """
    from scraper.crawl.plan import describe_sources

    typer.echo(describe_sources(_settings(config, None), due=due))


def _crawl_exit_code(signum: int | None, *, fetched: int, failed: int) -> int:
    if signum is not None:
        return EXIT_SIGNALLED.get(signal.Signals(signum), EXIT_SOME_FAILED)
    if failed == 0:
        return EXIT_OK
    return EXIT_ALL_FAILED if fetched == 0 else EXIT_SOME_FAILED


def _write_json(path: Path, value: object) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        temp.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _settings(config: Path | None, output: Path | None) -> Settings:
    settings = load_settings(config)
    if output is None:
        return settings
    write = settings.write.model_copy(update={"output_dir": output})
    return settings.model_copy(update={"write": write})


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.name.endswith(HTML_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or directory")
    return files


def _collect(
    sources: Sequence[str], base_url: str | None, settings: Settings, *, allow_network: bool
) -> list[Outcome]:
    """One Outcome per source, in input order: URLs are fetched, files and stdin read locally."""
    urls = [s for s in sources if _is_url(s)]
    if urls and not allow_network:
        raise ConfigError(f"{urls[0]}: this command reads local files only")
    local = {s: _extract_local(s, base_url, settings) for s in sources if not _is_url(s)}
    fetched = dict(zip(urls, pipeline.scrape_many(urls, settings), strict=True))
    return [local[s] if s in local else fetched[s] for s in sources]


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _extract_local(source: str, base_url: str | None, settings: Settings) -> Outcome:
    if source == "-":
        if base_url is None:
            raise ConfigError("reading stdin needs --url URL (the page's address)")
        content = sys.stdin.buffer.read()
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"{source}: not a URL (http/https) and no such file")
        content = _read_html_file(path)
    page_url = base_url or Path(source).resolve().as_uri()
    try:
        return Outcome(source, article=pipeline.extract_bytes(content, page_url, settings))
    except ScraperError as exc:
        exc.url = exc.url or source
        return Outcome(source, error=exc)


def _read_html_file(path: Path) -> bytes:
    import gzip

    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _report(outcomes: list[Outcome], fmt: OutputFormat, settings: Settings, explain: bool) -> int:
    if settings.write.output_dir is not None:
        outcomes = pipeline.write_outcomes(outcomes, settings)
    for outcome in outcomes:
        if outcome.article is not None:
            if explain:
                _explain(outcome.source, outcome.article)
            _emit(outcome, fmt)
        elif outcome.error is not None:
            typer.echo(f"error: {_one_line(str(outcome.error))}", err=True)
    return _exit_code(outcomes)


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
        snippet = _one_line(block.text)
        snippet = snippet if len(snippet) <= 100 else snippet[:97] + "..."
        typer.echo(f"  dropped [{block.rule}] {snippet}", err=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _exit_code(outcomes: Sequence[Outcome]) -> int:
    failed = sum(outcome.error is not None for outcome in outcomes)
    if failed == 0:
        return EXIT_OK
    return EXIT_ALL_FAILED if failed == len(outcomes) else EXIT_SOME_FAILED


def _configure_logging() -> None:
    level = os.environ.get("SCRAPER_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(logging.getLogger().level, logging.ERROR))


def _run(command: typer.Typer) -> None:
    """Run a typer app, turning every escaped error into one line and an exit code."""
    _configure_logging()
    try:
        command()
    except ConfigError as exc:
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    except ScraperError as exc:
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        sys.exit(EXIT_ALL_FAILED)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("SCRAPER_DEBUG"):
            raise
        typer.echo(f"error: internal error: {type(exc).__name__}: {_one_line(str(exc))}", err=True)
        sys.exit(EXIT_ALL_FAILED)


def main() -> None:
    """Entry point of `scraper` (and `python -m scraper`)."""
    _run(app)


def scrape_main() -> None:
    """Entry point of `scrape`: the scrape subcommand on its own."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(scrape_command)
    _run(single)
