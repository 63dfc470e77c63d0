"""The bot process: long polling plus the delivery and status loops, all on one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand
from aiogram.utils.i18n import FSMI18nMiddleware, I18n
from aiogram.utils.i18n import lazy_gettext as __
from redis.asyncio import Redis as AsyncRedis

from bot.chat_state import ChatStateMiddleware
from bot.config import BotConfig
from bot.conversation import Conversation
from bot.delivery_loop import DeliveryLoop
from bot.handlers import build_router
from bot.handlers.results import Reruns
from bot.health import beat_forever
from bot.i18n import load_i18n
from bot.images import ImageStore
from bot.isolation import OrderedEventIsolation
from bot.job_records import JobStore
from bot.presets import PresetLibrary
from bot.progress import ProgressLoop
from bot.redis_clients import async_client, async_options, sync_client
from bot.submission import Submitter
from worker import contract

log = logging.getLogger(__name__)
FSM_PREFIX = "adain:fsm"
STOP_TIMEOUT = 10.0  # seconds the background loops get to end once polling stopped
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
        # Clients that reconnect after a Redis restart (bot/redis_clients.py).
        self.redis = async_client(config.redis_url)
        self.sync_redis = sync_client(config.redis_url)  # RQ's API is synchronous
        api = TelegramAPIServer.from_base(config.telegram_api_url)
        self.bot = Bot(config.bot_token.get_secret_value(), session=AiohttpSession(api=api))
        self.i18n = load_i18n(config.default_locale)
        queue = contract.queue(self.sync_redis)
        self.store = JobStore(self.redis)
        images = ImageStore(self.redis, config.max_download_bytes)
        submitter = Submitter(self.store, queue, config.queue_cap)
        # Its own connection pool: the dispatcher closes the storage when polling stops.
        storage = RedisStorage.from_url(
            config.redis_url,
            connection_kwargs=async_options(),
            key_builder=DefaultKeyBuilder(prefix=FSM_PREFIX),
        )
        self.dispatcher = Dispatcher(
            storage=storage,
            # One update per chat at a time, in order: album photos and quick pairs never race.
            events_isolation=OrderedEventIsolation(storage.create_isolation()),
            images=images,
            conversation=Conversation(images, submitter, config.style_size),
            reruns=Reruns(self.store, images, submitter),
            presets=PresetLibrary(config.styles_dir),
        )
        self.dispatcher.include_router(build_router())
        FSMI18nMiddleware(self.i18n).setup(self.dispatcher)
        chat_states = ChatStateMiddleware(config.photo_size)
        self.dispatcher.message.middleware(chat_states)
        self.dispatcher.callback_query.middleware(chat_states)
        self.dispatcher.startup.register(self._set_commands)
        self.delivery = DeliveryLoop(
            self.bot, self.redis, self.store, self.i18n, config.delivery_consumer
        )
        self.progress = ProgressLoop(
            self.bot, self.store, queue, self.i18n, config.progress_interval
        )
        self._failure: BaseException | None = None

    async def run(self, handle_signals: bool = True) -> None:
        """Poll Telegram and deliver results until stopped; a failed loop stops everything."""
        try:
            await self.redis.ping()  # fail at start, with one clear line, when Redis is absent
            await release_stale_locks(self.redis)
            await self.delivery.ensure_group()
            loops = [
                asyncio.create_task(self.delivery.run(), name="delivery"),
                asyncio.create_task(self.progress.run(), name="progress"),
                asyncio.create_task(beat_forever(self.redis), name="heartbeat"),
            ]
            for task in loops:
                task.add_done_callback(self._loop_ended)
            try:
                await self.dispatcher.start_polling(
                    self.bot,
                    handle_signals=handle_signals,
                    polling_timeout=self.config.polling_timeout,
                )
            finally:
                for task in loops:
                    task.cancel()
                # A failure is in _failure. The wait is bounded so that a loop stuck in a call
                # that ignores cancellation cannot hold the process after polling stopped.
                _, stuck = await asyncio.wait(loops, timeout=STOP_TIMEOUT)
                for task in stuck:
                    log.warning(
                        "the %s loop did not stop within %.0f s", task.get_name(), STOP_TIMEOUT
                    )
        finally:
            await self.bot.session.close()
            await self.redis.aclose()
            self.sync_redis.close()
        if self._failure is not None:
            raise self._failure

    async def stop(self) -> None:
        """Stop polling and the loops; ``run`` then returns."""
        await self.dispatcher.stop_polling()

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        self._failure = task.exception()
        log.error("the %s loop failed; stopping the bot", task.get_name(), exc_info=self._failure)
        asyncio.get_running_loop().create_task(self._stop_quietly())

    async def _stop_quietly(self) -> None:
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await self.dispatcher.stop_polling()

    async def _set_commands(self, bot: Bot) -> None:
        """The command menu in each language (not fatal when refused)."""
        try:
            await bot.set_my_commands(command_list(self.i18n, self.i18n.default_locale))
            for locale in self.i18n.available_locales:
                await bot.set_my_commands(command_list(self.i18n, locale), language_code=locale)
        except TelegramAPIError as e:  # a missing menu must not stop the bot
            log.warning("could not set the command menu: %s", e)
