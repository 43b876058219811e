"""Per-host workers: each host's due URLs one at a time, every host side by side.

A host gets its own workers sharing its queue (the crawl gives it one more than its request
slots, so that its next page is fetched while the last is extracted), so a slow or throttled
host only ever holds up itself. When the run halts (budget, time, signal), a worker still waiting
for its host's turn (or for robots.txt) is cancelled at once, since it has nothing under way;
a worker whose request already went out gets DRAIN_SECONDS to finish the page and record it.
Whatever is left simply stays due in the state.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scraper.crawl.politeness import HostSkipped
from scraper.crawl.state import FrontierItem

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0

# visit(item, on_start): does one URL, calling on_start as its request goes out.
Visit = Callable[[FrontierItem, Callable[[], None]], Awaitable[None]]


@dataclass(eq=False)
class _Worker:
    host: str
    queue: deque[FrontierItem]
    busy: bool = False  # from the moment its request goes out until the page is recorded
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.busy = True


async def run_workers(
    queues: Mapping[str, deque[FrontierItem]],
    *,
    per_host: int,
    visit: Visit,
    halted: asyncio.Event,
    after_each: Callable[[], None],
) -> None:
    """Work through every host's queue until done or ``halted``; ``after_each`` runs after
    each URL. An error escaping ``visit`` (a full disk, a bug) cancels the rest and is raised."""
    workers = [_Worker(host, queue) for host, queue in queues.items() for _ in range(per_host)]
    for worker in workers:
        worker.task = asyncio.create_task(_work(worker, visit, halted, after_each))
    tasks = {worker.task for worker in workers if worker.task is not None}
    halt: asyncio.Task[Any] = asyncio.create_task(halted.wait())
    try:
        pending: set[asyncio.Task[Any]] = set(tasks)
        while pending and not halted.is_set():
            done, pending = await asyncio.wait(
                pending | {halt}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(halt)
            for task in done - {halt}:
                task.result()
        if pending:
            await _drain(workers, pending)
    finally:
        halt.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _work(
    worker: _Worker, visit: Visit, halted: asyncio.Event, after_each: Callable[[], None]
) -> None:
    while worker.queue and not halted.is_set():
        item = worker.queue.popleft()
        worker.busy = False
        try:
            await visit(item, worker.start)
        except HostSkipped:
            return  # the host is out for this run; its remaining URLs stay due
        finally:
            worker.busy = False
        after_each()


async def _drain(workers: list[_Worker], pending: set[asyncio.Task[Any]]) -> None:
    for worker in workers:
        if not worker.busy and worker.task is not None:
            worker.task.cancel()
    _, late = await asyncio.wait(pending, timeout=DRAIN_SECONDS)
    if late:
        log.warning("%d page(s) did not finish within %gs; left due", len(late), DRAIN_SECONDS)
    for task in pending - late:
        if not task.cancelled():
            task.result()
