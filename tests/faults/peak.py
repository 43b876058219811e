"""Peak memory of a child process tree, sampled from /proc while it runs.

``os.wait4``'s ``ru_maxrss`` cannot be used for a child of the test process: Linux keeps a
process's high-water mark across ``exec``, so a CLI started from pytest reports at least
pytest's own resident size at the fork (measured: a ``python -c pass`` started from a 400 MiB
parent reported 411 MiB). ``VmHWM`` in ``/proc/PID/status`` belongs to the process's current
image, and the resident sizes of the whole tree (a crawl's forkserver and extraction workers)
are summed at each sample.
"""

from __future__ import annotations

import threading
from pathlib import Path

INTERVAL = 0.02


class PeakWatch:
    """``watch = PeakWatch(pid)``, then ``watch.stop()`` once the process has exited: the
    peak in KiB of max(the root's VmHWM, the tree's summed VmRSS at any sample)."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self._peak_kib

    def _sample(self) -> None:
        while True:
            tree = sum(_field(pid, "VmRSS") for pid in _tree(self._pid))
            self._peak_kib = max(self._peak_kib, tree, _field(self._pid, "VmHWM"))
            if self._done.wait(INTERVAL):
                return


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


def _tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                pending.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found
