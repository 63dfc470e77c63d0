"""The bot process: updates in (long polling or a webhook) through the inbox to the handlers,
results out through the delivery loop, all on one Redis."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand
from aiogram.utils.i18n import FSMI18nMiddleware, I18n
from aiogram.utils.i18n import lazy_gettext as __
from redis.asyncio import Redis as AsyncRedis

from bot.api_session import BotApiSession
from bot.chat_state import ChatStateMiddleware
from bot.config import BotConfig
from bot.conversation import Conversation
from bot.delivery_loop import DeliveryLoop
from bot.handlers import build_router
from bot.handlers.results import Reruns
from bot.health import beat_forever
from bot.i18n import load_i18n
from bot.images import ImageStore
from bot.inbox import UpdateInbox
from bot.isolation import OrderedEventIsolation
from bot.job_records import JobStore
from bot.leadership import Leadership
from bot.polling import UpdatePoller
from bot.presets import PresetLibrary
from bot.progress import ProgressLoop
from bot.queues import Queues
from bot.redis_clients import async_client, sync_client
from bot.submission import Submitter
from bot.update_loop import UpdateLoop
from bot.webhook import WebhookIntake, shared_secret, webhook_path
from worker.redis_connection import follow_master, follow_master_in_thread
from worker.replication import AsyncReplication

log = logging.getLogger(__name__)
FSM_PREFIX = "adain:fsm"
STOP_TIMEOUT = 10.0  # seconds a background loop gets to end once cancelled
COMMANDS = {
    "start": __("cmd-start"),
    "help": __("cmd-help"),
    "styles": __("cmd-styles"),
    "mix": __("cmd-mix"),
    "settings": __("cmd-settings"),
    "new": __("cmd-new"),
    "lang": __("cmd-lang"),
}


def command_list(i18n: I18n, locale: str) -> list[BotCommand]:
    """The command menu in one language."""
    with i18n.context(), i18n.use_locale(locale):
        return [BotCommand(command=c, description=str(d)) for c, d in COMMANDS.items()]


async def release_stale_locks(redis: AsyncRedis) -> int:
    """Free the chats a killed predecessor left locked (event isolation), at start-up.

    One bot process runs per token, so a lock that exists before this one polls belongs to a
    process that died inside a handler; left alone it would stall that chat for a minute.
    """
    stale = [key async for key in redis.scan_iter(match=f"{FSM_PREFIX}:*:lock", count=500)]
    if stale:
        await redis.delete(*stale)
        log.info("released %d chat lock(s) left by a previous run", len(stale))
    return len(stale)


class BotApp:
    """Everything the bot runs, built from its config; ``run`` until stopped or a loop fails."""

    def __init__(self, config: BotConfig) -> None:
        self.config = config
        # Clients that reconnect after a Redis restart or a failover (bot/redis_clients.py).
        address, wait = config.redis_address(), config.redis_wait_timeout
        self.redis = async_client(address, wait)
        self.sync_redis = sync_client(address, wait)  # RQ's API is synchronous
        # What Telegram or a user is told waits for a replica (worker/replication.py).
        self.replication = AsyncReplication(
            self.redis, config.redis_wait_replicas, config.redis_wait_timeout
        )
        api = TelegramAPIServer.from_base(config.telegram_api_url)
        self.bot = Bot(config.bot_token.get_secret_value(), session=BotApiSession(api=api))
        self.i18n = load_i18n(config.default_locale)
        queues = Queues.on(self.sync_redis)
        self.store = JobStore(self.redis)
        images = ImageStore(self.redis, config.max_download_bytes)
        submitter = Submitter(self.store, queues, config.queue_cap, self.replication)
        # Its own connection pool: the dispatcher closes the storage when polling stops.
        storage = RedisStorage(
            async_client(address, wait), key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX)
        )
        self.dispatcher = Dispatcher(
            storage=storage,
            # One update per chat at a time, in order: album photos and quick pairs never race.
            events_isolation=OrderedEventIsolation(storage.create_isolation()),
            config=config,
            images=images,
            conversation=Conversation(images, submitter, config),
            reruns=Reruns(self.store, images, submitter),
            presets=PresetLibrary(config.styles_dir),
        )
        self.dispatcher.include_router(build_router())
        FSMI18nMiddleware(self.i18n).setup(self.dispatcher)
        chat_states = ChatStateMiddleware(config.photo_size)
        self.dispatcher.message.middleware(chat_states)
        self.dispatcher.callback_query.middleware(chat_states)
        self.delivery = DeliveryLoop(
            self.bot, self.redis, self.store, self.i18n, config.delivery_consumer
        )
        self.progress = ProgressLoop(
            self.bot, self.store, queues, self.i18n, config.progress_interval
        )
        self.inbox = UpdateInbox(self.redis, self.replication)
        allowed = self.dispatcher.resolve_used_update_types()
        self.poller = UpdatePoller(self.bot, self.inbox, config.polling_timeout, allowed)
        self.replica = f"{socket.gethostname()}-{os.getpid()}"
        self.leadership = Leadership(self.redis, self.replica)
        self.webhook: WebhookIntake | None = None
        self.updates: UpdateLoop | None = None
        self._role: list[asyncio.Task[None]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._failure: BaseException | None = None

    async def run(self, handle_signals: bool = True) -> None:
        """Take updates and deliver results until stopped (SIGTERM, SIGINT, ``stop``) or a loop
        fails; then stop gracefully: no new updates, the running ones get SHUTDOWN_GRACE."""
        if handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self._stopping.set)
        try:
            await self.redis.ping()  # fail at start, with one clear line, when Redis is absent
            await self._set_commands(self.bot)
            await self.inbox.group.ensure()
            await self.delivery.group.ensure()
            self._spawn(beat_forever(self.redis), "heartbeat")
            if self.config.redis_sentinels:  # every pool straight to a new master
                follow_master_in_thread(self.sync_redis)
                storage = self.dispatcher.storage
                clients = [self.redis, storage.redis] if isinstance(storage, RedisStorage) else []
                self._spawn(follow_master(clients), "sentinel")
            if self.config.webhook_url:
                await self._start_webhook()
                self._spawn(self._lead_when_elected(), "leadership")
            else:
                await release_stale_locks(self.redis)  # one polling process per token
                self._spawn(self.poller.run(), "polling")
                self._start_handling()
            await self._stopping.wait()
            await self._shut_down()
        finally:
            await self.dispatcher.storage.close()
            await self.bot.session.close()
            await self.redis.aclose()
            self.sync_redis.close()
        if self._failure is not None:
            raise self._failure

    async def stop(self) -> None:
        """Stop as on SIGTERM; ``run`` then returns."""
        self._stopping.set()

    def _start_handling(self) -> None:
        """The leader's part: handlers, deliveries, status messages."""
        self.updates = UpdateLoop(self.inbox, self.dispatcher, self.bot)
        self._role = [
            self._spawn(self.updates.run(), "updates"),
            self._spawn(self.delivery.run(), "delivery"),
            self._spawn(self.progress.run(), "progress"),
        ]

    async def _stop_handling(self, grace: float) -> None:
        if self.updates is not None:
            await self.updates.drain(grace)
        await self._cancel(self._role)
        self._role, self.updates = [], None

    async def _start_webhook(self) -> None:
        url = self.config.webhook_url or ""
        configured = self.config.webhook_secret
        secret = await shared_secret(
            self.redis, configured.get_secret_value() if configured else None
        )
        self.webhook = WebhookIntake(
            self.inbox, secret, webhook_path(url), self.config.webhook_port
        )
        await self.webhook.start()
        await self.bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=self.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )

    async def _lead_when_elected(self) -> None:
        """Receive always; handle while this replica holds the lead."""
        while True:
            await self.leadership.acquire()
            await release_stale_locks(self.redis)  # the previous leader's handlers are gone
            self._start_handling()
            await self.leadership.keep()
            await self._stop_handling(grace=0.0)  # another replica carries on from the inbox

    async def _shut_down(self) -> None:
        log.info(
            "stopping: no new updates; %.0f s for those in progress", self.config.shutdown_grace
        )
        if self.webhook is not None:
            await self.webhook.stop()
        intake = [t for t in self._tasks if t.get_name() in ("polling", "leadership")]
        await self._cancel(intake)
        await self._stop_handling(self.config.shutdown_grace)
        if self.config.webhook_url:
            await self.leadership.release()
        await self._cancel(self._tasks)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._loop_ended)
        self._tasks.append(task)
        return task

    async def _cancel(self, tasks: list[asyncio.Task[None]]) -> None:
        """Cancel and wait, bounded: a loop stuck in a call that ignores cancellation must
        not hold the process."""
        live = [t for t in tasks if not t.done()]
        for task in live:
            task.cancel()
        if not live:
            return
        _, stuck = await asyncio.wait(live, timeout=STOP_TIMEOUT)
        for task in stuck:
            log.warning("the %s loop did not stop within %.0f s", task.get_name(), STOP_TIMEOUT)

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        self._failure = task.exception()
        log.error("the %s loop failed; stopping the bot", task.get_name(), exc_info=self._failure)
        self._stopping.set()

    async def _set_commands(self, bot: Bot) -> None:
        """The command menu in each language (not fatal when refused)."""
        try:
            await bot.set_my_commands(command_list(self.i18n, self.i18n.default_locale))
            for locale in self.i18n.available_locales:
                await bot.set_my_commands(command_list(self.i18n, locale), language_code=locale)
        except TelegramAPIError as e:  # a missing menu must not stop the bot
            log.warning("could not set the command menu: %s", e)
