"""The update loop: the inbox's updates through the dispatcher, each removed once handled.

Each update runs in its own task, started in inbox order, and a chat's update starts only once
the chat's previous one is over, so every chat's updates run in the order Telegram sent them
while chats run side by side. An update leaves the inbox only after its handler returned. A
handler that fails because Redis went away (a restart, a failover) runs again after a pause,
and the chat's later updates wait for it: a photo and its style are never taken the wrong way
round. One that fails for any other reason (a bug) is logged and removed, so that it cannot
fail forever.

``drain`` is the graceful stop: no new update is started, the running ones get ``grace``
seconds, and whatever did not finish stays in the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.intake.inbox import Entry, UpdateInbox
from bot.streams import REDIS_UNAVAILABLE, Backoff, keep_reading

log = logging.getLogger(__name__)
MAX_BACKOFF = 30.0
RETRY_PENDING_S = 5.0  # how soon updates left by an outage are tried again


class UpdateLoop:
    """Reads the inbox as its group's one consumer and feeds the dispatcher."""

    def __init__(
        self,
        inbox: UpdateInbox,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        max_in_flight: int = 100,
        block_ms: int = 1000,
    ) -> None:
        self.inbox = inbox
        self.dispatcher = dispatcher
        self.bot = bot
        self.max_in_flight = max_in_flight
        self.block_ms = block_ms
        self._running: dict[str, asyncio.Task[None]] = {}  # entry id → its handler's task
        self._last_of_chat: dict[int, asyncio.Task[None]] = {}  # the chat's latest update
        self._stopping = asyncio.Event()
        self._retry_pending_at: float | None = 0.0  # monotonic time; None: nothing to retry

    @property
    def in_flight(self) -> int:
        return len(self._running)

    async def run(self) -> None:
        """Start handlers for pending, then new updates, until ``drain`` is called."""
        await keep_reading(
            "updates", self._round, cap=MAX_BACKOFF, running=lambda: not self._stopping.is_set(),
            on_unavailable=self._retry_pending_now, pause=self._pause,
        )  # fmt: skip

    async def drain(self, grace: float) -> int:
        """Stop starting updates; wait up to ``grace`` s for the running ones; cancel the rest.

        Returns how many were cancelled (they stay in the inbox)."""
        self._stopping.set()
        running = list(self._running.values())
        if not running:
            return 0
        log.info("waiting up to %.0f s for %d update(s) in progress", grace, len(running))
        _, unfinished = await asyncio.wait(running, timeout=grace)
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished, timeout=5.0)
            log.warning("%d update(s) did not finish in time; kept for the next start",
                        len(unfinished))  # fmt: skip
        return len(unfinished)

    async def _round(self, backoff: Backoff) -> None:
        await self.inbox.group.ensure()
        if self._retry_pending_at is not None and time.monotonic() >= self._retry_pending_at:
            self._retry_pending_at = None
            for entry in await self.inbox.pending():
                self._start(entry)
        while self.in_flight >= self.max_in_flight and not self._stopping.is_set():
            await asyncio.wait(list(self._running.values()), return_when=asyncio.FIRST_COMPLETED)
        if self._stopping.is_set():
            return
        for entry in await self.inbox.new(self.max_in_flight - self.in_flight, self.block_ms):
            self._start(entry)

    def _start(self, entry: Entry) -> None:
        if entry.entry_id in self._running or self._stopping.is_set():
            return
        chat = chat_of(entry.update)
        previous = self._last_of_chat.get(chat) if chat is not None else None
        task = asyncio.create_task(self._handle(entry, previous), name=f"update-{entry.update_id}")
        self._running[entry.entry_id] = task
        if chat is not None:
            self._last_of_chat[chat] = task
        task.add_done_callback(lambda _: self._forget(entry.entry_id, chat, task))

    def _forget(self, entry_id: str, chat: int | None, task: asyncio.Task[None]) -> None:
        self._running.pop(entry_id, None)
        if chat is not None and self._last_of_chat.get(chat) is task:
            del self._last_of_chat[chat]

    async def _handle(self, entry: Entry, after: asyncio.Task[None] | None) -> None:
        if after is not None:
            await asyncio.wait([after])  # the chat's previous update first, however it ended
        backoff = Backoff(MAX_BACKOFF)
        while True:
            try:
                update = Update.model_validate(entry.update, context={"bot": self.bot})
                await self.dispatcher.feed_update(self.bot, update)
                break
            except REDIS_UNAVAILABLE as e:
                delay = backoff.next()
                log.warning("update %s: Redis went away (%s); trying again in %.0f s",
                            entry.update_id, e, delay)  # fmt: skip
                await self._pause(delay)
                if self._stopping.is_set():
                    return  # it stays in the inbox for the next start
            except Exception:
                log.exception("update %s failed; dropped", entry.update_id)
                break
        await self._done(entry)

    async def _done(self, entry: Entry) -> None:
        backoff = Backoff(cap=16.0, first=0.5)
        for _ in range(6):  # about 15 s of a Redis hiccup; then it runs again later
            try:
                await self.inbox.done(entry)
                return
            except REDIS_UNAVAILABLE:
                await asyncio.sleep(backoff.next())
        log.warning("update %s handled but not removed; it may run again", entry.update_id)
        self._retry_after_outage()

    def _retry_pending_now(self) -> None:
        self._retry_pending_at = time.monotonic()

    def _retry_after_outage(self) -> None:
        at = time.monotonic() + RETRY_PENDING_S
        if self._retry_pending_at is None or self._retry_pending_at > at:
            self._retry_pending_at = at

    async def _pause(self, seconds: float) -> None:
        """Sleep, or less when ``drain`` is called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat an update (as Telegram sent it) belongs to: its message's, or for a button
    press its message's chat (else the user's); None for kinds that have none."""
    for kind, body in update.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        for holder in (body, body.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return int(holder["chat"]["id"])
        sender = body.get("from") or body.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return int(sender["id"])
    return None
