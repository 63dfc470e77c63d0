"""Updates of one chat are handled one at a time and in the order they arrived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

from bot.intake.isolation import OrderedEventIsolation


class SlowInner(BaseEventIsolation):
    """A cross-process lock whose acquisition takes a variable time (like Redis)."""

    def __init__(self) -> None:
        self.delays = iter([0.05, 0.0, 0.02, 0.0, 0.01])
        self.inside = 0
        self.most_inside = 0

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        await asyncio.sleep(next(self.delays, 0.0))
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            yield
        finally:
            self.inside -= 1

    async def close(self) -> None:
        pass


async def test_one_chat_in_arrival_order_other_chats_unaffected() -> None:
    inner = SlowInner()
    isolation = OrderedEventIsolation(inner)
    chat, other = StorageKey(1, 10, 10), StorageKey(1, 20, 20)
    handled: list[str] = []

    async def update(key: StorageKey, name: str) -> None:
        async with isolation.lock(key):
            await asyncio.sleep(0)
            handled.append(name)

    await asyncio.gather(*(asyncio.create_task(update(chat, f"u{i}")) for i in range(5)))
    assert handled == ["u0", "u1", "u2", "u3", "u4"]
    assert inner.most_inside == 1
    assert isolation._locks == {}  # forgotten once idle
    await asyncio.gather(update(chat, "a"), update(other, "b"))
    assert sorted(handled[-2:]) == ["a", "b"]
