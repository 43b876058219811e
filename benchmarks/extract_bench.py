"""Our extractor against plain trafilatura, on the same pages, in the same run, on one core.

Usage: python benchmarks/extract_bench.py [DATASET_DIR] [--rounds N] [--out FILE] [--update-floor]

DATASET_DIR defaults to ../shared/bench/scrapinghub next to the repository. Each extractor runs
in its own process, both pinned to the same CPU, so speed is single-core speed and peak memory
(max RSS, which also counts C-level memory such as lexbor's and lxml's) is each one's own. Pages are
decoded before the clock starts: both extractors get the same ``str``. Speed is pages per second
of CPU time (the ratio uses it), so other work on a shared machine does not skew it; wall-clock
pages per second are shown beside it. The extractors take turns for ``--rounds`` passes each
and each one's fastest pass counts. Both are scored with scraper.evaluate (the benchmark's
published metric); the scores are saved as JSON.

Regression gate: ``benchmarks/extract_floor.json`` holds the lowest F1, precision and recall we
accept. The floor is printed under the table, and the script exits with status 1 and a loud
message when one of our scores falls below it. ``--update-floor`` raises the floor to the scores
of this run (rounded down to 3 decimals); it never lowers it.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.evaluate import EvalReport, Sample, load_dataset, score_predictions  # noqa: E402

DEFAULT_DATASET = ROOT.parent / "shared" / "bench" / "scrapinghub"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "extract_bench.json"
FLOOR_FILE = ROOT / "benchmarks" / "extract_floor.json"
FLOOR_METRICS = ("f1", "precision", "recall")
EXTRACTORS = ("scraper", "trafilatura")
_EPSILON = 1e-9  # scores are compared as measured; the floor is already rounded down


def load_floor(path: Path = FLOOR_FILE) -> dict[str, float]:
    """The recorded floor: exactly the FLOOR_METRICS, each a number in [0, 1]."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != set(FLOOR_METRICS):
        raise ValueError(f"{path}: expected exactly the keys {', '.join(FLOOR_METRICS)}")
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{path}: {name} must be a number in [0, 1], not {value!r}")
    return {name: float(data[name]) for name in FLOOR_METRICS}


def below_floor(scores: Mapping[str, float], floor: Mapping[str, float]) -> list[str]:
    """One line per metric whose score fell below the floor (empty: the gate passes)."""
    return [
        f"{name} {scores[name]:.4f} is below the floor {floor[name]:.3f}"
        for name in FLOOR_METRICS
        if scores[name] < floor[name] - _EPSILON
    ]


def raised_floor(scores: Mapping[str, float], floor: Mapping[str, float]) -> dict[str, float]:
    """The floor raised to ``scores`` rounded down to 3 decimals, never lowered."""
    return {
        name: max(floor[name], math.floor(scores[name] * 1000) / 1000) for name in FLOOR_METRICS
    }


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _extractor(name: str) -> Any:
    """A function ``Page -> str`` for ``name``; imported here so each process loads only its own."""
    if name == "trafilatura":
        import trafilatura

        return lambda page: trafilatura.extract(page.html, include_comments=False) or ""
    from scraper.config import ExtractSettings
    from scraper.extract import extract_page

    settings = ExtractSettings()
    return lambda page: extract_page(page, settings).text


# State of a worker process: the decoded pages and its extractor (set by _init).
_WORKER: dict[str, Any] = {}


def _init(name: str, dataset: str) -> None:
    from scraper.fetch import page_from_bytes

    _pin_to_one_core()
    samples = load_dataset(Path(dataset))
    _WORKER["pages"] = [
        (s.page_id, page_from_bytes(s.content, s.url or f"file:{s.page_id}")) for s in samples
    ]
    _WORKER["extract"] = _extractor(name)


def _round() -> dict[str, Any]:
    """In a worker: one pass over every page; texts, errors, CPU and wall seconds, peak RSS."""
    from scraper.errors import ScraperError

    extract = _WORKER["extract"]
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for page_id, page in _WORKER["pages"]:
        try:
            texts[page_id] = extract(page)
        except ScraperError as exc:
            errors[page_id] = exc.code
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"texts": texts, "errors": errors, "cpu": cpu, "wall": wall, "peak_mib": peak_mib}


def _run_all(dataset: str, rounds: int) -> dict[str, dict[str, Any]]:
    """Alternate rounds between the extractors (one worker each, same core), so a change in
    machine load hits both alike; keep each one's fastest round."""
    context = multiprocessing.get_context("spawn")
    pools = {name: context.Pool(1, _init, (name, dataset)) for name in EXTRACTORS}
    best: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(rounds):
            for name, pool in pools.items():
                result = pool.apply(_round)
                if name not in best or result["cpu"] < best[name]["cpu"]:
                    best[name] = result
                best[name]["wall"] = min(best[name]["wall"], result["wall"])
    finally:
        for pool in pools.values():
            pool.terminate()
    return best


def _table(reports: dict[str, EvalReport], runs: dict[str, dict[str, Any]]) -> str:
    base = reports["trafilatura"].pages_per_second
    head = f"{'extractor':<12} {'F1':>6} {'prec':>6} {'recall':>6} {'acc':>6} "
    head += f"{'pages/s':>8} {'ratio':>6} {'wall p/s':>9} {'peak MiB':>9}"
    rows = [head, "-" * len(head)]
    for name, r in reports.items():
        ratio = r.pages_per_second / base if base else 0.0
        wall = len(r.pages) / runs[name]["wall"] if runs[name]["wall"] else 0.0
        rows.append(
            f"{name:<12} {r.f1:6.3f} {r.precision:6.3f} {r.recall:6.3f} {r.accuracy:6.3f} "
            f"{r.pages_per_second:8.1f} {ratio:5.2f}x {wall:9.1f} {runs[name]['peak_mib']:9.1f}"
        )
    return "\n".join(rows)


def _save(path: Path, samples: list[Sample], reports: dict[str, EvalReport]) -> None:
    data = {
        name: {
            "f1": r.f1,
            "precision": r.precision,
            "recall": r.recall,
            "accuracy": r.accuracy,
            "pages_per_second": r.pages_per_second,
            "pages": {
                p.page_id: {"f1": p.f1, "precision": p.precision, "recall": p.recall}
                for p in r.pages
            },
        }
        for name, r in reports.items()
    }
    data["_dataset"] = {"pages": len(samples)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("dataset", nargs="?", default=str(DEFAULT_DATASET))
    parser.add_argument("--rounds", type=int, default=3, help="passes over the pages; best kept")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where to save the scores (JSON)")
    parser.add_argument(
        "--update-floor", action="store_true", help="raise the floor to this run's scores"
    )
    args = parser.parse_args()

    samples = load_dataset(Path(args.dataset))
    runs = _run_all(args.dataset, max(args.rounds, 1))
    reports = {
        name: score_predictions(samples, r["texts"], errors=r["errors"], seconds=r["cpu"])
        for name, r in runs.items()
    }
    print(f"{len(samples)} pages from {args.dataset}, one core, best of {args.rounds} round(s)")
    print("pages/s and ratio: CPU time; wall p/s: elapsed time\n")
    print(_table(reports, runs))
    _save(Path(args.out), samples, reports)
    print(f"\nscores saved to {args.out}")
    ours = reports["scraper"]
    sys.exit(_gate({"f1": ours.f1, "precision": ours.precision, "recall": ours.recall}, args))


def _gate(scores: dict[str, float], args: argparse.Namespace) -> int:
    """Print the floor beside our scores; 1 (and a loud message) if a score fell below it."""
    floor = load_floor()
    print(
        f"\n{'floor':<12} {floor['f1']:6.3f} {floor['precision']:6.3f} {floor['recall']:6.3f}"
        f"   ({FLOOR_FILE.name})"
    )
    failures = below_floor(scores, floor)
    if failures:
        banner = "!" * 72
        lines = [banner, "EXTRACTION QUALITY REGRESSION: scraper scores below the recorded floor"]
        lines += [f"  {line}" for line in failures]
        lines += ["Fix the regression; the floor is never lowered to let it through.", banner]
        print("\n".join(lines), file=sys.stderr)
        return 1
    if args.update_floor:
        raised = raised_floor(scores, floor)
        FLOOR_FILE.write_text(json.dumps(raised, indent=1) + "\n", encoding="utf-8")
        print(f"floor raised to {raised}" if raised != floor else "floor unchanged")
    return 0


if __name__ == "__main__":
    main()
