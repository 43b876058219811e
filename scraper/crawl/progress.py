"""Progress of a crawl's fetch phase: a rich bar on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self) -> None: ...
    def close(self) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


NO_PROGRESS: Progress = _Silent()


class TerminalProgress:
    """A transient bar on stderr: it disappears when the run ends, leaving the summary."""

    def __init__(self) -> None:
        # Imported here: cron runs (no terminal) never draw a bar, so they skip rich's ~0.1 s.
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("crawl"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self._task: int | None = None

    def start(self, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task("crawl", total=total)

    def advance(self) -> None:
        if self._task is not None:
            self._bar.advance(self._task)  # type: ignore[arg-type]

    def close(self) -> None:
        self._bar.stop()


def for_stderr() -> Progress:
    """The bar when stderr is a terminal; silence for cron, pipes and files."""
    return TerminalProgress() if sys.stderr.isatty() else NO_PROGRESS
