"""The fault table: one row per reliability case (../shared/design/reliability.md, A-F).

Usage: python benchmarks/faults.py [-k EXPR]
(needs the test extra: pip install -e '.[test]')

Runs the fault suite (tests/faults) in a child pytest, which records every case it covers
(tests/faults/conftest.py), then prints the cases in order: the fault, what a trusted crawler
does, what ours did, its peak memory and time, and whether the test passed. Cases the suite
does not cover are listed at the end; the exit code is 1 if any case failed or is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = range(1, 41)
SECTIONS = {1: "A transport, size, time", 10: "B redirects, credentials, SSRF",
            17: "C robots.txt and politeness", 25: "D content, encodings, extraction",
            31: "E feeds and sitemaps", 36: "F storage and process"}  # fmt: skip


def run_suite(extra: list[str]) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        report = Path(tmp) / "faults.jsonl"
        env = {**os.environ, "SCRAPER_FAULT_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   str(ROOT / "tests" / "faults"), *extra]  # fmt: skip
        subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)
        if not report.exists():
            return []
        return [json.loads(line) for line in report.read_text().splitlines() if line]


def table(rows: list[dict[str, object]]) -> str:
    lines = []
    for row in sorted(rows, key=lambda row: (int(str(row["case"])), str(row["test"]))):
        case = int(str(row["case"]))
        if case in SECTIONS:
            lines.append(f"\n{SECTIONS[case]}")
        head = f"{case:>3}  {str(row['fault'])[:36]:<36} {float(str(row['peak_mib'])):7.0f} MiB"
        head += f" {float(str(row['seconds'])):6.2f} s  {row['outcome']}"
        lines.append(head)
        for label in ("expected", "observed"):
            wrapped = textwrap.wrap(str(row[label]), 88) or [""]
            lines.append(f"       {label}: {wrapped[0]}")
            lines.extend(f"                 {more}" for more in wrapped[1:])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-k", dest="keyword", help="run only the tests pytest -k selects")
    args = parser.parse_args()
    rows = run_suite(["-k", args.keyword] if args.keyword else [])
    if not rows:
        print("the fault suite recorded no cases", file=sys.stderr)
        return 1
    print("  #  fault                                   peak     time  result")
    print(table(rows))
    covered = {int(str(row["case"])) for row in rows}
    failed = sorted({int(str(row["case"])) for row in rows if row["outcome"] != "passed"})
    missing = [case for case in CASES if case not in covered]
    peak = max(float(str(row["peak_mib"])) for row in rows)
    print(f"\n{len(covered)} of {len(CASES)} cases covered by {len(rows)} tests; "
          f"highest peak {peak:.0f} MiB")  # fmt: skip
    if failed:
        print(f"failed: {failed}")
    if missing and not args.keyword:
        print(f"not covered: {missing}")
    return 1 if failed or (missing and not args.keyword) else 0


if __name__ == "__main__":
    sys.exit(main())
