"""Our crawl against trafilatura's own command line, over the same pages, in the same run.

Usage: python benchmarks/crawl_bench.py [DATASET_DIR] [--hosts N] [--parallel N] [--runs N]
(needs the bench extra: pip install -e '.[bench]')

The pages of DATASET_DIR (default ../shared/bench/scrapinghub next to the repository) are served
from N local servers on 127.0.0.2, 127.0.0.3, ... (one host each, with robots.txt, an RSS feed
and a sitemap). Then, one after the other:

- ``scraper crawl`` discovers the articles through each host's feed and sitemap (delay 0,
  robots.txt obeyed) and fetches, extracts and writes them (text + JSON files);
- ``trafilatura -i URLS --parallel N`` fetches and extracts the same article URLs (its per-host
  sleep set to 0 through its own config file, so neither tool waits between requests).

Both run as installed for use: the package's bytecode is compiled first, as pip compiles
trafilatura's when it installs it (an editable install under PYTHONDONTWRITEBYTECODE would
otherwise compile the package again in each process of each run). Each tool runs as a child
process; the table shows wall time, pages per second, CPU time and
peak memory of the whole process tree, sampled every 100 ms: PSS (each shared page split among
the processes sharing it), with the plain RSS sum beside it. The sampler runs on the same
cores as the tools, and its cost grows with the number of processes it reads (listing the
tree and reading each one's smaps took ~3 ms for our five processes), so it samples no more
often than that: at 20 ms it took a sixth of a core from the multi-process tool alone.
"""

from __future__ import annotations

import argparse
import compileall
import configparser
import contextlib
import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import psutil

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = ROOT.parent / "shared" / "bench" / "scrapinghub"
BIN = Path(sys.executable).parent
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Measurement:
    tool: str
    pages: int
    wall: float
    cpu: float
    peak_mib: float  # proportional set size of the process tree
    peak_rss_mib: float  # resident set size, counting pages shared by processes once each
    exit_code: int


class Site:
    """One host's files: its articles, plus robots.txt, a feed and a sitemap listing them."""

    def __init__(self, base: str, pages: list[bytes]) -> None:
        self.base = base
        self.files: dict[str, tuple[str, bytes]] = {}
        self.urls = [f"{base}/a/{n}.html" for n in range(len(pages))]
        for url, body in zip(self.urls, pages, strict=True):
            self.files[url.removeprefix(base)] = ("text/html", body)
        self.files["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n")
        self.files["/feed.xml"] = ("application/rss+xml", self._feed())
        self.files["/sitemap.xml"] = ("application/xml", self._sitemap())

    def _feed(self) -> bytes:
        items = "".join(
            f"<item><title>Story {n}</title><link>{escape(url)}</link>"
            "<pubDate>Mon, 17 Nov 2025 08:00:00 GMT</pubDate></item>"
            for n, url in enumerate(self.urls)
        )
        channel = f"<channel><title>t</title>{items}</channel>"
        return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()

    def _sitemap(self) -> bytes:
        locs = "".join(f"<url><loc>{escape(url)}</loc></url>" for url in self.urls)
        ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
        return f'<?xml version="1.0"?><urlset xmlns="{ns}">{locs}</urlset>'.encode()


def _handler(files: dict[str, tuple[str, bytes]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            content_type, body = files.get(self.path.split("?")[0], ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def start_sites(dataset: Path, hosts: int) -> tuple[list[Site], list[ThreadingHTTPServer]]:
    """``hosts`` servers on 127.0.0.2, 127.0.0.3, ..., the dataset's pages dealt out among them."""
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((dataset / "html").glob("*.html.gz"))]
    sites, servers = [], []
    for index in range(hosts):
        address = f"127.0.0.{index + 2}"
        files: dict[str, tuple[str, bytes]] = {}
        server = ThreadingHTTPServer((address, 0), _handler(files))
        server.daemon_threads = True
        site = Site(f"http://{address}:{server.server_address[1]}", pages[index::hosts])
        files.update(site.files)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sites.append(site)
        servers.append(server)
    return sites, servers


def measure(tool: str, command: list[str], count_pages: Callable[[], int]) -> Measurement:
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    cpu_seen: dict[int, float] = {}
    done = threading.Event()
    sampler = threading.Thread(target=_sample, args=(child.pid, peak, cpu_seen, done), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode not in (0, 1):
        print(f"{tool} exited {child.returncode}:\n{errors[-2000:]}", file=sys.stderr)
    # wait4 counts the child and the children it reaped; worker processes started through a
    # forkserver are not its children, so the sampled total of the whole tree is taken too.
    cpu = max(usage.ru_utime + usage.ru_stime, sum(cpu_seen.values()))
    pss, rss = peak[0] / 2**20, peak[1] / 2**20
    return Measurement(tool, count_pages(), wall, cpu, pss, rss, child.returncode)


def _sample(pid: int, peak: list[int], cpu_seen: dict[int, float], done: threading.Event) -> None:
    """Peak PSS and RSS of the tree under ``pid``, and the last CPU time seen of each of its
    processes. PSS splits each shared page among the processes sharing it, so worker
    processes forked from one parent are not counted as if each held its own copy of the
    code they share; RSS is shown beside it for comparison."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not done.is_set():
        pss = rss = 0
        try:
            for process in [root, *root.children(recursive=True)]:
                memory = process.memory_full_info()
                pss, rss = pss + memory.pss, rss + memory.rss
                times = process.cpu_times()
                cpu_seen[process.pid] = times.user + times.system
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            pass
        peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
        done.wait(SAMPLE_SECONDS)


def our_crawl(sites: list[Site], work: Path, parallel: int) -> Measurement:
    config = {
        "fetch": {"retries": 0, "allow_private_addresses": True},  # sites on 127.0.0.1
        # Everything the crawl keeps goes in the run's own directory: a templates store left in
        # the working directory would be read by every later extraction run from there.
        "extract": {"templates_path": str(work / "state" / "templates.sqlite")},
        "crawl": {
            "state_path": str(work / "state" / "crawl.sqlite"),
            "delay": 0.0,
            "delay_jitter": 0.0,
            "concurrency": parallel,
            "extract_workers": min(parallel, os.cpu_count() or 1),
            "max_pages": 100_000,
        },
        "write": {"output_dir": str(work / "ours"), "formats": ["text", "json"]},
        "sources": [
            {
                "name": f"host{n}",
                "feeds": [f"{site.base}/feed.xml"],
                "sitemaps": [f"{site.base}/sitemap.xml"],
                "max_pages": 100_000,
            }
            for n, site in enumerate(sites)
        ],
    }
    path = work / "crawl.json"  # JSON is YAML, so the crawl reads it as its config.yaml
    path.write_text(json.dumps(config))
    command = [str(BIN / "python"), "-m", "scraper", "crawl", "--config", str(path)]
    return measure("scraper crawl", command, lambda: _extracted(work / "state" / "crawl.sqlite"))


def _extracted(state: Path) -> int:
    """Articles the crawl extracted and recorded. Counting its output files instead would
    undercount: a page that is a copy of another host's story is recorded but written once."""
    if not state.exists():  # the crawl failed before it made its state; measure() says why
        return 0
    with contextlib.closing(sqlite3.connect(state)) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def trafilatura_cli(sites: list[Site], work: Path, parallel: int) -> Measurement:
    urls = work / "urls.txt"
    urls.write_text("\n".join(url for site in sites for url in site.urls) + "\n")
    config = configparser.ConfigParser()
    import trafilatura

    config.read(Path(trafilatura.__file__).parent / "settings.cfg")
    config["DEFAULT"]["SLEEP_TIME"] = "0"
    # Its guard against private addresses would refuse our loopback servers outright.
    config["DEFAULT"]["SSRF_PROTECTION"] = "off"
    settings = work / "trafilatura.cfg"
    with settings.open("w") as handle:
        config.write(handle)
    out = work / "trafilatura"
    command = [str(BIN / "trafilatura"), "-i", str(urls), "-o", str(out),
               "--parallel", str(parallel), "--config-file", str(settings)]  # fmt: skip
    return measure("trafilatura CLI", command, lambda: len(list(out.rglob("*.txt"))))


def table(rows: list[Measurement], total: int) -> str:
    lines = [
        f"{'tool':<16} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'ratio':>6} {'CPU s':>6} "
        f"{'peak MiB':>9} {'(RSS sum)':>10}",
        "-" * 75,
    ]
    base = rows[-1].pages / rows[-1].wall if rows[-1].wall else 0.0
    for row in rows:
        speed = row.pages / row.wall if row.wall else 0.0
        ratio = speed / base if base else 0.0
        lines.append(
            f"{row.tool:<16} {row.pages:>6} {row.wall:7.2f} {speed:8.1f} {ratio:5.2f}x "
            f"{row.cpu:6.2f} {row.peak_mib:9.1f} {row.peak_rss_mib:10.1f}"
        )
    lines.append(f"\n{total} article URLs served; pages = articles each tool extracted;")
    lines.append("CPU s = user + system time of the tool's whole process tree;")
    lines.append("peak MiB = proportional set size of the tool's process tree (shared pages split)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--hosts", type=int, default=6)
    parser.add_argument("--parallel", type=int, default=6)
    parser.add_argument("--runs", type=int, default=1, help="runs per tool; the fastest is shown")
    args = parser.parse_args()
    if not (args.dataset / "html").is_dir():
        print(f"no dataset at {args.dataset} (expected html/*.html.gz)", file=sys.stderr)
        return 2
    compileall.compile_dir(ROOT / "scraper", quiet=1)  # see the module docstring
    sites, servers = start_sites(args.dataset, args.hosts)
    total = sum(len(site.urls) for site in sites)
    best: dict[str, Measurement] = {}
    for _ in range(args.runs):  # the tools take turns, each run from a fresh directory
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
            work = Path(tmp)
            for row in (our_crawl(sites, work, args.parallel),
                        trafilatura_cli(sites, work, args.parallel)):  # fmt: skip
                if row.tool not in best or row.wall < best[row.tool].wall:
                    best[row.tool] = row
    rows = list(best.values())
    for server in servers:
        server.shutdown()
    print(f"{total} pages on {args.hosts} local hosts, parallelism {args.parallel}, "
          f"best of {args.runs} run(s) per tool\n")  # fmt: skip
    print(table(rows, total))
    return 0 if all(row.exit_code in (0, 1) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
