"""Our extractor against plain trafilatura: quality, refusals, metadata and speed, from one run.

Usage: python benchmarks/extract_bench.py [--bench DIR] [--rounds N] [--out FILE] [--update-floor]

Reads the labelled sets under DIR (default ../shared/bench): scrapinghub, and the WCXB dev
articles scored whole and by half (``Sample.half``: half A is what the block scorer was trained
and rules were tuned on, half B is held out). For each set and extractor it prints F1,
precision and recall (the benchmark's shingle metric), pages refused, the share of ``with``
snippets missed and of ``without`` snippets leaked, title/authors/date accuracy, and speed.

Speed: each extractor runs in its own process, both pinned to the same CPU, on the same decoded
``str`` pages; they take turns for ``--rounds`` passes and each one's fastest pass (CPU time)
counts. Trafilatura is timed as ``trafilatura.extract(html)`` (text only, its fastest use);
ours always reads metadata too. Trafilatura's metadata, for the accuracy columns, comes from
an untimed pass of ``bare_extraction(with_metadata=True)``. Then a 10 MB page and a 100 KB
author value (``stress_pages``) show that extraction stays linear in its input.

Regression gate: ``benchmarks/extract_floor.json`` holds, per set, the lowest F1, precision and
recall we accept. The script exits with status 1 and a loud message when a score falls below
it; ``--update-floor`` raises the floor to this run's scores (never lowers it).
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from scraper.evaluate import Sample, load_dataset  # noqa: E402
from scraper.scorecard import Extraction, Scorecard, format_scorecards, scorecard  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "bench"
DATASETS = ("scrapinghub", "wcxb-articles-dev")
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "extract_bench.json"
FLOOR_FILE = ROOT / "benchmarks" / "extract_floor.json"
FLOOR_METRICS = ("f1", "precision", "recall")
EXTRACTORS = ("scraper", "trafilatura")
_EPSILON = 1e-9  # scores are compared as measured; the floor is already rounded down


def load_floor(path: Path = FLOOR_FILE) -> dict[str, dict[str, float]]:
    """The recorded floor: per set, exactly the FLOOR_METRICS, each a number in [0, 1]."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected an object of sets")
    floor: dict[str, dict[str, float]] = {}
    for name, metrics in data.items():
        if not isinstance(metrics, dict) or set(metrics) != set(FLOOR_METRICS):
            raise ValueError(f"{path}: {name}: expected exactly {', '.join(FLOOR_METRICS)}")
        for metric, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{path}: {name} {metric} must be a number in [0, 1]: {value!r}")
        floor[name] = {metric: float(metrics[metric]) for metric in FLOOR_METRICS}
    return floor


def below_floor(
    scores: Mapping[str, Mapping[str, float]], floor: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """One line per set and metric whose score fell below the floor (empty: the gate passes).
    A set the floor names but this run did not measure is not judged."""
    return [
        f"{name} {metric} {scores[name][metric]:.4f} is below the floor {limit:.3f}"
        for name, metrics in floor.items()
        if name in scores
        for metric, limit in metrics.items()
        if scores[name][metric] < limit - _EPSILON
    ]


def raised_floor(
    scores: Mapping[str, Mapping[str, float]], floor: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """The floor raised to ``scores`` rounded down to 3 decimals, never lowered."""
    return {
        name: {
            metric: max(limit, math.floor(scores[name][metric] * 1000) / 1000)
            if name in scores
            else limit
            for metric, limit in metrics.items()
        }
        for name, metrics in floor.items()
    }


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


# State of a worker process: its decoded pages and extractors (set by _init).
_WORKER: dict[str, Any] = {}


def _init(name: str, dataset: str) -> None:
    from scraper.peers import extractor, page_of, text_only

    _pin_to_one_core()
    _WORKER["pages"] = [(s.page_id, page_of(s)) for s in load_dataset(Path(dataset))]
    _WORKER["timed"] = extractor(name) if name == "scraper" else text_only(name)
    _WORKER["full"] = extractor(name)


def _round() -> dict[str, Any]:
    """In a worker: one timed pass over every page; results, CPU and wall seconds, peak RSS."""
    from scraper.peers import run

    cpu, wall = time.process_time(), time.perf_counter()
    results, _ = run(_WORKER["timed"], _WORKER["pages"])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"results": results, "cpu": cpu, "wall": wall, "peak_mib": peak_mib}


def _full_pass() -> dict[str, Extraction]:
    """In a worker: an untimed pass with metadata, for the accuracy columns."""
    from scraper.peers import run

    return run(_WORKER["full"], _WORKER["pages"])[0]


def run_dataset(dataset: Path, rounds: int) -> dict[str, dict[str, Any]]:
    """Alternate timed rounds between the extractors; keep each one's fastest. Trafilatura's
    results get their metadata from one more, untimed pass."""
    context = multiprocessing.get_context("spawn")
    pools = {name: context.Pool(1, _init, (name, str(dataset))) for name in EXTRACTORS}
    best: dict[str, dict[str, Any]] = {}
    try:
        for _ in range(rounds):
            for name, pool in pools.items():
                result = pool.apply(_round)
                if name not in best or result["cpu"] < best[name]["cpu"]:
                    wall = (
                        min(result["wall"], best[name]["wall"]) if name in best else result["wall"]
                    )
                    best[name] = result | {"wall": wall}
        best["trafilatura"]["results"] = pools["trafilatura"].apply(_full_pass)
    finally:
        for pool in pools.values():
            pool.terminate()
    return best


def cards_for(name: str, samples: list[Sample], runs: dict[str, dict[str, Any]]) -> list[Scorecard]:
    groups: list[tuple[str, list[Sample]]] = [(name, samples)]
    if any(s.labels.get("domain") for s in samples):
        groups += [(f"{name} {h}", [s for s in samples if s.half == h]) for h in ("A", "B")]
    cards = []
    for group, subset in groups:
        for extractor in EXTRACTORS:
            run = runs[extractor]
            seconds = run["cpu"] * len(subset) / len(samples) if group == name else None
            cards.append(scorecard(group, extractor, subset, run["results"], seconds=seconds))
    return cards


def _speed_rows(runs_by_set: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    rows = [
        f"{'set':<20} {'extractor':<12} {'pages/s':>8} {'ratio':>6} {'wall p/s':>9} {'peak MiB':>9}"
    ]
    for name, runs in runs_by_set.items():
        pages = len(runs["scraper"]["results"])
        base = pages / runs["trafilatura"]["cpu"]
        for extractor in EXTRACTORS:
            run = runs[extractor]
            speed = pages / run["cpu"]
            rows.append(
                f"{name:<20} {extractor:<12} {speed:8.1f} {speed / base:5.2f}x "
                f"{pages / run['wall']:9.1f} {run['peak_mib']:9.1f}"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes; the best is kept")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="scores saved as JSON")
    parser.add_argument("--update-floor", action="store_true", help="raise the floor to this run")
    args = parser.parse_args()

    cards: list[Scorecard] = []
    runs_by_set: dict[str, dict[str, dict[str, Any]]] = {}
    for name in DATASETS:
        if not (args.bench / name / "ground-truth.json").is_file():
            print(f"{name}: not found under {args.bench}, skipped")
            continue
        samples = load_dataset(args.bench / name)
        runs_by_set[name] = run_dataset(args.bench / name, max(args.rounds, 1))
        cards += cards_for(name, samples, runs_by_set[name])
    print(f"one core, best of {args.rounds} round(s); pages/s is CPU time\n")
    print(format_scorecards(cards))
    print("\nspeed (trafilatura timed on its text alone; ours with all metadata)")
    print("\n".join(_speed_rows(runs_by_set)))
    from stress_pages import stress_rows

    print("\nlinear time (one core, CPU seconds)")
    print("\n".join(stress_rows()))
    _save(args.out, cards)
    print(f"\nscores saved to {args.out}")
    ours = {c.dataset: _metrics(c) for c in cards if c.extractor == "scraper"}
    sys.exit(_gate(ours, update=args.update_floor))


def _metrics(card: Scorecard) -> dict[str, float]:
    return {"f1": card.f1, "precision": card.precision, "recall": card.recall}


def _save(path: Path, cards: list[Scorecard]) -> None:
    from dataclasses import asdict

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(c) for c in cards], indent=1) + "\n", encoding="utf-8")


def _gate(scores: dict[str, dict[str, float]], *, update: bool) -> int:
    """Print the floor; 1 (and a loud message) if a score fell below it."""
    floor = load_floor()
    for name, metrics in floor.items():
        values = " ".join(f"{metrics[m]:.3f}" for m in FLOOR_METRICS)
        print(f"floor {name:<22} F1/P/R {values}   ({FLOOR_FILE.name})")
    failures = below_floor(scores, floor)
    if failures:
        banner = "!" * 72
        lines = [banner, "EXTRACTION QUALITY REGRESSION: scraper scores below the recorded floor"]
        lines += [f"  {line}" for line in failures]
        lines += ["Fix the regression; the floor is never lowered to let it through.", banner]
        print("\n".join(lines), file=sys.stderr)
        return 1
    if update:
        raised = raised_floor(scores, floor)
        FLOOR_FILE.write_text(json.dumps(raised, indent=1) + "\n", encoding="utf-8")
        print(f"floor raised to {raised}" if raised != floor else "floor unchanged")
    return 0


if __name__ == "__main__":
    main()
