"""Peak memory of child processes, sampled from /proc while they run.

``os.wait4``'s ``ru_maxrss`` cannot be used for a child of the test process: Linux keeps a
process's high-water mark across ``exec``, so a CLI started from pytest reports at least
pytest's own resident size at the fork (measured: a ``python -c pass`` started from a 400 MiB
parent reported 411 MiB). ``VmHWM`` in ``/proc/PID/status`` belongs to the process's current
image. Extraction workers live under the pool's forkserver and are not always reaped when a
test ends, so they are sampled too.

Two measures: ``tree_kib`` for a CLI run (its VmHWM, or the summed VmRSS of its whole tree,
forkserver and workers included, whichever is larger) and ``largest_descendant_kib`` for
workers started by this process (the largest VmHWM any one of them reached).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

INTERVAL = 0.02


class PeakWatch:
    """The largest ``measure(pid)`` seen, sampled every INTERVAL from construction until
    ``stop()`` (or the end of a ``with`` block), in KiB. A spike between samples is missed
    unless the measure is itself a high-water mark (VmHWM)."""

    def __init__(self, pid: int, measure: Callable[[int], int] | None = None) -> None:
        self._pid = pid
        self._measure = measure or tree_kib
        self.kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.kib

    def __enter__(self) -> PeakWatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _sample(self) -> None:
        while True:
            self.kib = max(self.kib, self._measure(self._pid))
            if self._done.wait(INTERVAL):
                return


def tree_kib(pid: int) -> int:
    """max(VmHWM of ``pid``, summed VmRSS of ``pid`` and all its descendants)."""
    tree = sum(_field(each, "VmRSS") for each in [pid, *_descendants(pid)])
    return max(tree, _field(pid, "VmHWM"))


def largest_descendant_kib(pid: int) -> int:
    """The largest VmHWM of any descendant of ``pid``."""
    return max((_field(each, "VmHWM") for each in _descendants(pid)), default=0)


def _field(pid: int, name: str) -> int:
    """A ``kB`` field of /proc/PID/status, 0 once the process is gone (or a zombie)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:  # the process is gone
            continue
        for task in tasks:
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(children)
            pending.extend(children)
    return found
