"""The fault suite's harness: hostile servers, canaries and the per-case report.

Each test of tests/faults covers one case of ../shared/design/reliability.md (sections A-F)
and says so through the ``fault`` fixture:

    def test_endless_gzip(fault, ...):
        fault.case(1, "endless gzip bomb", expected="body_too_large, peak < cap + 64 MiB")
        ...
        fault.observed(f"{exc.code} after {len(...)} bytes")

The fixture times the test and measures its peak memory: this process's peak RSS (VmHWM,
reset before the test through /proc/self/clear_refs) or a child's peak reported with
``fault.child_peak`` (measure it with peak.PeakWatch: wait4's ru_maxrss of a child includes
this process's own size at the fork). Every test fails if that peak reaches 1 GiB. At the end
of the run the rows are printed as a table and, if SCRAPER_FAULT_REPORT names a file, written
there as JSON lines (benchmarks/faults.py prints the same table from that file).

``canary`` is a listener that must never see a connection: point a crawler at it through
whatever should have been refused.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tests.faults.hostile import HostileServer

PEAK_LIMIT_MIB = 1024
_ROWS_KEY = pytest.StashKey[list["FaultRow"]]()


@dataclass
class FaultRow:
    case: int
    fault: str
    expected: str
    observed: str = ""
    peak_mib: float = 0.0
    seconds: float = 0.0
    test: str = ""
    outcome: str = ""


@dataclass
class FaultRecorder:
    test: str
    rows: list[FaultRow] = field(default_factory=list)
    _child_peak_mib: float = 0.0

    def case(self, number: int, fault: str, *, expected: str) -> None:
        self.rows.append(FaultRow(number, fault, expected, test=self.test))

    def observed(self, text: str) -> None:
        if not self.rows:
            raise RuntimeError("fault.observed() before fault.case()")
        self.rows[-1].observed = text

    def child_peak(self, peak_kib: int) -> None:
        """A child process tree's peak RSS in KiB (peak.PeakWatch)."""
        self._child_peak_mib = max(self._child_peak_mib, peak_kib / 1024)


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.fixture
def fault(request: pytest.FixtureRequest) -> Iterator[FaultRecorder]:
    recorder = FaultRecorder(request.node.nodeid)
    _reset_peak_rss()
    start = time.monotonic()
    yield recorder
    seconds = time.monotonic() - start
    peak = max(_peak_rss_mib(), recorder._child_peak_mib)
    for row in recorder.rows:
        row.seconds, row.peak_mib = seconds, peak
    request.config.stash.setdefault(_ROWS_KEY, []).extend(recorder.rows)
    if recorder.rows and not recorder.rows[-1].observed:
        pytest.fail("fault.case() without fault.observed(): say what actually happened")
    assert peak < PEAK_LIMIT_MIB, f"peak memory {peak:.0f} MiB reached the 1 GiB limit"


@pytest.fixture
def canary() -> Iterator[HostileServer]:
    """A listener on 127.0.0.1 that nothing may reach; the test fails if anything does."""
    server = HostileServer("127.0.0.1").start()
    yield server
    server.stop()
    assert server.connections == 0, f"the canary saw {server.connections} connection(s)"


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """A hostile origin on 127.0.0.1; add routes before use."""
    with HostileServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def hostile2() -> Iterator[HostileServer]:
    """A second origin, on 127.0.0.2."""
    with HostileServer("127.0.0.2") as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = terminalreporter.config.stash.get(_ROWS_KEY, [])
    if not rows:
        return
    outcomes = {
        report.nodeid: report.outcome
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if getattr(report, "when", "") == "call"
    }
    for row in rows:
        row.outcome = outcomes.get(row.test, "?")
    rows.sort(key=lambda row: (row.case, row.test))
    terminalreporter.section("fault cases (reliability.md A-F)")
    for line in format_table(rows):
        terminalreporter.write_line(line)
    target = os.environ.get("SCRAPER_FAULT_REPORT")
    if target:
        lines = "".join(json.dumps(asdict(row)) + "\n" for row in rows)
        Path(target).write_text(lines, encoding="utf-8")


def format_table(rows: list[FaultRow]) -> list[str]:
    lines = [
        f"{'#':>3} {'fault':<30} {'peak MiB':>8} {'sec':>6}  {'result':<7} expected -> observed"
    ]
    for row in rows:
        lines.append(
            f"{row.case:>3} {row.fault[:30]:<30} {row.peak_mib:8.0f} {row.seconds:6.2f}  "
            f"{row.outcome:<7} {row.expected} -> {row.observed}"
        )
    return lines
