"""The bot's background loops: each started by name, a failed one stopping the bot, all cancelled
within a bound; and the leader's part (handlers, deliveries, status messages), which a webhook
replica runs only while it holds the lead (``bot/intake/leadership.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from redis.asyncio import Redis

from bot.delivery.loop import DeliveryLoop
from bot.delivery.progress import ProgressLoop
from bot.intake.leadership import Leadership
from bot.intake.update_loop import UpdateLoop

log = logging.getLogger(__name__)
FSM_PREFIX = "adain:fsm"
STOP_TIMEOUT = 10.0  # seconds a background loop gets to end once cancelled


class Loops:
    """The running loops. ``stopping`` is set on a stop request or when a loop fails, whose
    exception ``failure`` then holds."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []
        self.stopping = asyncio.Event()
        self.failure: BaseException | None = None

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._ended)
        self.tasks.append(task)
        return task

    async def cancel(self, tasks: list[asyncio.Task[None]] | None = None) -> None:
        """Cancel `tasks` (all by default) and wait, bounded: a loop stuck in a call that
        ignores cancellation must not hold the process."""
        live = [t for t in (self.tasks if tasks is None else tasks) if not t.done()]
        for task in live:
            task.cancel()
        if not live:
            return
        _, stuck = await asyncio.wait(live, timeout=STOP_TIMEOUT)
        for task in stuck:
            log.warning("the %s loop did not stop within %.0f s", task.get_name(), STOP_TIMEOUT)

    def named(self, *names: str) -> list[asyncio.Task[None]]:
        return [t for t in self.tasks if t.get_name() in names]

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        self.failure = task.exception()
        log.error("the %s loop failed; stopping the bot", task.get_name(), exc_info=self.failure)
        self.stopping.set()


async def release_stale_locks(redis: Redis) -> int:
    """Free the chats a killed predecessor left locked (event isolation), before handling.

    One process handles updates at a time (the poller, or the webhook leader), so a lock that
    exists before it starts belongs to one that died inside a handler; left alone it would
    stall that chat for a minute.
    """
    stale = [key async for key in redis.scan_iter(match=f"{FSM_PREFIX}:*:lock", count=500)]
    if stale:
        await redis.delete(*stale)
        log.info("released %d chat lock(s) left by a previous run", len(stale))
    return len(stale)


class Handling:
    """The leader's part: the update loop, the delivery loop and the status loop."""

    def __init__(
        self,
        loops: Loops,
        redis: Redis,
        updates: Callable[[], UpdateLoop],
        delivery: DeliveryLoop,
        progress: ProgressLoop,
    ) -> None:
        self.loops = loops
        self.redis = redis
        self.make_updates = updates
        self.delivery = delivery
        self.progress = progress
        self.updates: UpdateLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await release_stale_locks(self.redis)
        self.updates = self.make_updates()
        self._tasks = [
            self.loops.spawn(self.updates.run(), "updates"),
            self.loops.spawn(self.delivery.run(), "delivery"),
            self.loops.spawn(self.progress.run(), "progress"),
        ]

    async def stop(self, grace: float) -> None:
        """No new updates; those in progress get `grace` seconds; then the loops end."""
        if self.updates is not None:
            await self.updates.drain(grace)
        await self.loops.cancel(self._tasks)
        self._tasks, self.updates = [], None

    async def while_leading(self, leadership: Leadership) -> None:
        """Handle while this replica holds the lead; wait for it again when lost."""
        while True:
            await leadership.acquire()
            await self.start()  # the previous leader's handlers are gone: its locks too
            await leadership.keep()
            await self.stop(grace=0.0)  # another replica carries on from the inbox
