"""The command line: parse arguments, load Settings, call the pipeline, map errors to exit codes.

Exit codes: 0 every input gave an article, 1 some failed, 2 usage or config error, 3 all failed,
4 robots.txt refused every input that failed (`scrape --ignore-robots` fetches them anyway).
`crawl` adds: 3 when nothing was fetched and something failed, 74 when the output or the state
cannot be written (the line starts with the code, e.g. storage_full), 75 when another crawl holds
the state's lock, 143 after SIGTERM and 130 after SIGINT (both after a clean stop and a summary).
Errors are one line on stderr naming the input and the reason; never a traceback
(set SCRAPER_DEBUG=1 to see one for an unexpected internal error).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from scraper.cli_output import (
    EXIT_ALL_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_STORAGE,
    EXIT_USAGE,
    OutputFormat,
    coded,
    collect,
    crawl_exit_code,
    error_line,
    report,
    settings_from,
    write_json,
)
from scraper.errors import ConfigError, ScraperError, WriteError
from scraper.fetch.robots import RobotsDisallowed

Sources = Annotated[
    list[str], typer.Argument(help="URLs, HTML or WARC files, folders of them, or - for stdin.")
]
Paths = Annotated[
    list[str], typer.Argument(help="HTML files (.html, .htm, .html.gz), WARC files, or folders.")
]
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
IgnoreRobotsOpt = Annotated[
    bool, typer.Option("--ignore-robots", help="Fetch URLs even where robots.txt forbids it.")
]
# Every failed input was refused by robots.txt: nothing is wrong, the site said no.
EXIT_ROBOTS = 4

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
    ignore_robots: IgnoreRobotsOpt = False,
) -> None:
    """Fetch news pages (or read local HTML) and print each article as clean text.

    URLs that robots.txt forbids are refused (exit 4) unless --ignore-robots is given.

    Example:
        scrape https://example.com/news/story --format json
        scrape saved.html --url https://example.com/news/story
    """
    settings = settings_from(config, output)
    if ignore_robots:
        crawl = settings.crawl.model_copy(update={"obey_robots": False})
        settings = settings.model_copy(update={"crawl": crawl})
    outcomes = collect(sources, url, settings, allow_network=True)
    code = report(outcomes, fmt, settings, explain)
    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    if errors and all(isinstance(error, RobotsDisallowed) for error in errors):
        code = EXIT_ROBOTS
    raise typer.Exit(code)


@app.command("extract")
def extract_command(
    paths: Paths,
    url: BaseUrl = None,
    fmt: FormatOpt = OutputFormat.text,
    output: OutputOpt = None,
    config: ConfigOpt = None,
    explain: ExplainOpt = False,
) -> None:
    """Extract articles from stored HTML files or WARC archives without touching the network.

    Re-extracting a crawl's WARC archive applies today's rules to old pages.

    Example:
        scraper extract pages/ --format json --output out/
        scraper extract archive/crawl-000007-20251117T080000Z.warc.gz --format json
    """
    settings = settings_from(config, output)
    outcomes = collect(paths, url, settings, allow_network=False)
    raise typer.Exit(report(outcomes, fmt, settings, explain))


@app.command("eval")
def eval_command(
    dataset: Annotated[
        Path, typer.Argument(help="Folder with html/*.html.gz and ground-truth.json.")
    ],
    worst: Annotated[int, typer.Option(help="How many of the worst pages to list.")] = 10,
    peer: Annotated[
        bool, typer.Option(help="Score plain trafilatura beside ours, from the same run.")
    ] = True,
    config: ConfigOpt = None,
) -> None:
    """Score the extractor on a labelled dataset, beside plain trafilatura.

    Prints F1, precision and recall, pages refused and, where the set labels them, `with`
    snippets missed, `without` snippets leaked and title/authors/date accuracy; a set whose
    pages name their domain is also scored by half (A: tuned on, B: held out).

    Example:
        scraper eval ../shared/bench/wcxb-articles-dev
    """
    from scraper.evaluate import format_worst, load_dataset
    from scraper.peers import PEERS, compare
    from scraper.scorecard import format_scorecards

    if not (dataset / "ground-truth.json").is_file():
        raise ConfigError(f"{dataset}: no ground-truth.json (expected html/*.html.gz beside it)")
    samples = load_dataset(dataset)
    peers = PEERS if peer else PEERS[:1]
    result = compare(samples, settings_from(config, None), peers, name=dataset.name[:18])
    typer.echo(format_scorecards(result.cards))
    if ranked := format_worst(result.ours, worst):
        typer.echo(f"\n{ranked}")


@app.command("learn")
def learn_command(
    sources: Annotated[
        list[str], typer.Argument(help="Article URLs, HTML files (.html, .html.gz) or folders.")
    ],
    host: Annotated[
        str | None,
        typer.Option("--host", help="The site every source belongs to (files with no canonical)."),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Learn each site's template (the blocks it repeats on its pages) from sample articles.

    Example:
        scraper learn https://news.example/a https://news.example/b https://news.example/c
        scraper learn saved/ --host news.example
    """
    from scraper.learn import format_learn_report, learn_from_files

    result = learn_from_files(sources, settings_from(config, None), host=host)
    typer.echo(format_learn_report(result))
    if result.skipped == 0:
        raise typer.Exit(EXIT_OK)
    raise typer.Exit(EXIT_ALL_FAILED if result.skipped == len(result.pages) else EXIT_SOME_FAILED)


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

    settings = settings_from(config, output)
    # What is loaded by now (modules, settings) lives as long as this process: frozen, the
    # garbage collector stops walking it on every full collection, during the run and in the
    # interpreter's teardown after it (that alone took ~0.1 s of CPU after a crawl). Here and
    # not in crawl(), which a longer-lived program may call: it would keep all it holds.
    gc.freeze()
    try:
        report = crawl(settings, max_pages=max_pages, max_time=max_time, progress=for_stderr())
    except CrawlLockedError as exc:
        error_line(exc)
        raise typer.Exit(EXIT_LOCKED) from None
    except WriteError as exc:  # the run stopped: what was saved stays saved, the rest queued
        error_line(coded(exc))
        raise typer.Exit(EXIT_STORAGE) from None
    typer.echo(report.summary(), err=True)
    if stats_json is not None:
        write_json(stats_json, report.as_dict())
    raise typer.Exit(crawl_exit_code(report.signal, fetched=report.fetched, failed=report.failed))


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

    typer.echo(describe_sources(settings_from(config, None), due=due))


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
        error_line(exc)
        sys.exit(EXIT_USAGE)
    except ScraperError as exc:
        error_line(exc)
        sys.exit(EXIT_ALL_FAILED)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("SCRAPER_DEBUG"):
            raise
        error_line(RuntimeError(f"internal error: {type(exc).__name__}: {exc}"))
        sys.exit(EXIT_ALL_FAILED)


def main() -> None:
    """Entry point of `scraper` (and `python -m scraper`)."""
    _run(app)


def scrape_main() -> None:
    """Entry point of `scrape`: the scrape subcommand on its own."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(scrape_command)
    _run(single)
