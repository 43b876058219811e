"""PageRoom: how many pages a crawl holds between their request and their record."""

from __future__ import annotations

import asyncio

import pytest

from scraper.crawl.visit import PageRoom


def test_no_more_pages_than_the_room_holds_at_once() -> None:
    room, started = PageRoom(3), []
    held = {"now": 0, "most": 0}

    async def visit() -> None:
        async with room.page(lambda: started.append(1)) as at_turn:
            await at_turn()
            held["now"] += 1
            held["most"] = max(held["most"], held["now"])
            await asyncio.sleep(0.02)  # fetched, then extracted and recorded
            held["now"] -= 1

    async def run() -> None:
        await asyncio.gather(*(visit() for _ in range(10)))

    asyncio.run(run())
    assert len(started) == 10
    assert held["most"] == 3


def test_a_place_is_given_back_when_the_page_fails() -> None:
    room = PageRoom(1)

    async def failing() -> None:
        async with room.page(lambda: None) as at_turn:
            await at_turn()
            raise RuntimeError("fetch failed")

    async def run() -> None:
        for _ in range(3):  # with a place lost, the second would wait for ever
            with pytest.raises(RuntimeError):
                await asyncio.wait_for(failing(), 1)

    asyncio.run(run())


def test_a_visit_cancelled_before_its_turn_takes_no_place() -> None:
    room, calls = PageRoom(1), []

    async def run() -> None:
        first_in, release = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with room.page(lambda: calls.append("first")) as at_turn:
                await at_turn()
                first_in.set()
                await release.wait()

        async def waiting() -> None:
            async with room.page(lambda: calls.append("waiting")) as at_turn:
                await at_turn()

        holder = asyncio.create_task(first())
        await first_in.wait()
        waiter = asyncio.create_task(waiting())
        await asyncio.sleep(0.01)
        waiter.cancel()  # a run that halts cancels the workers still waiting for their turn
        await asyncio.gather(waiter, return_exceptions=True)
        release.set()
        await holder
        await asyncio.wait_for(waiting(), 1)  # the place came back, and only once

    asyncio.run(run())
    assert calls == ["first", "waiting"]


def test_a_page_takes_one_place_however_often_its_turn_comes() -> None:
    room, starts = PageRoom(1), []

    async def run() -> None:
        async with room.page(lambda: starts.append(1)) as at_turn:
            await at_turn()
            await asyncio.wait_for(at_turn(), 1)  # a second request for the same page
        async with room.page(lambda: starts.append(2)) as at_turn:
            await asyncio.wait_for(at_turn(), 1)  # the one place came back

    asyncio.run(run())
    assert starts == [1, 1, 2]
