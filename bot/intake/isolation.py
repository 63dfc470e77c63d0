"""Event isolation that also keeps each chat's updates in the order Telegram sent them.

aiogram handles every update in its own task. RedisEventIsolation lets one task per chat in
at a time but not in order: two photos sent back to back may be handled style first. Here an
in-process FIFO lock per chat comes first. The dispatcher starts tasks in update order and
each reaches this lock without suspending, so the lock is granted in update order; the Redis
lock inside still keeps a second process out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


class OrderedEventIsolation(BaseEventIsolation):
    """One update per chat at a time, oldest first; ``inner`` isolates across processes."""

    def __init__(self, inner: BaseEventIsolation) -> None:
        self.inner = inner
        self._locks: dict[StorageKey, asyncio.Lock] = {}
        self._holders: dict[StorageKey, int] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        local = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with local, self.inner.lock(key):  # asyncio.Lock serves waiters FIFO
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:  # nobody holds or awaits it: forget the chat
                del self._holders[key], self._locks[key]

    async def close(self) -> None:
        await self.inner.close()
