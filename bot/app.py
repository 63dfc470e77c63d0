"""The bot process: updates in (long polling or a webhook) through the inbox to the handlers,
results out through the delivery loop, all on one Redis."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Mapping

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats
from aiogram.utils.i18n import FSMI18nMiddleware, I18n
from aiogram.utils.i18n import lazy_gettext as __

from bot.api_session import BotApiSession
from bot.chat_state import ChatStateMiddleware
from bot.config import BotConfig
from bot.conversation import Conversation
from bot.delivery.job_records import JobStore
from bot.delivery.loop import DeliveryLoop
from bot.delivery.progress import ProgressLoop
from bot.delivery.shared import SharedResults
from bot.handlers import build_router
from bot.handlers.results import Reruns
from bot.health import beat_forever
from bot.i18n import load_i18n
from bot.images import ImageStore
from bot.intake.inbox import UpdateInbox
from bot.intake.isolation import OrderedEventIsolation
from bot.intake.leadership import Leadership
from bot.intake.polling import UpdatePoller
from bot.intake.update_loop import UpdateLoop
from bot.intake.webhook import WebhookIntake, shared_secret, webhook_path
from bot.presets import PresetLibrary
from bot.queues import Queues
from bot.redis_clients import async_client, sync_client
from bot.submission import Submitter
from bot.supervision import FSM_PREFIX, Handling, Loops
from redis_access.clients import follow_master, follow_master_in_thread
from redis_access.replication import AsyncReplication

log = logging.getLogger(__name__)
COMMANDS = {
    "start": __("cmd-start"),
    "help": __("cmd-help"),
    "styles": __("cmd-styles"),
    "mix": __("cmd-mix"),
    "settings": __("cmd-settings"),
    "new": __("cmd-new"),
    "lang": __("cmd-lang"),
}


GROUP_COMMANDS = {
    "style": __("cmd-style"),
    "help": __("cmd-help"),
}


def command_list(
    i18n: I18n, locale: str, commands: Mapping[str, object] = COMMANDS
) -> list[BotCommand]:
    """The command menu in one language (private chats', or ``GROUP_COMMANDS``)."""
    with i18n.context(), i18n.use_locale(locale):
        return [BotCommand(command=c, description=str(d)) for c, d in commands.items()]


class BotApp:
    """Everything the bot runs, built from its config; ``run`` until stopped or a loop fails."""

    def __init__(self, config: BotConfig) -> None:
        self.config = config
        # Clients that reconnect after a Redis restart or a failover (bot/redis_clients.py).
        address, wait = config.redis_address(), config.redis_wait_timeout
        self.redis = async_client(address, wait)
        self.sync_redis = sync_client(address, wait)  # RQ's API is synchronous
        # What Telegram or a user is told waits for a replica (redis_access/replication.py).
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
            store=self.store,
            shared=SharedResults(self.redis),
            presets=PresetLibrary(config.styles_dir),
        )
        self.dispatcher.include_router(build_router())
        FSMI18nMiddleware(self.i18n).setup(self.dispatcher)
        chat_states = ChatStateMiddleware(config.photo_size)
        self.dispatcher.message.middleware(chat_states)
        self.dispatcher.callback_query.middleware(chat_states)
        self.delivery = DeliveryLoop(
            self.bot, self.redis, self.store, self.i18n, config.delivery_consumer,
            media_chat=config.media_chat_id,
        )  # fmt: skip
        self.progress = ProgressLoop(
            self.bot, self.store, queues, self.i18n, config.progress_interval
        )
        self.inbox = UpdateInbox(self.redis, self.replication)
        allowed = self.dispatcher.resolve_used_update_types()
        self.poller = UpdatePoller(self.bot, self.inbox, config.polling_timeout, allowed)
        self.replica = f"{socket.gethostname()}-{os.getpid()}"
        self.leadership = Leadership(self.redis, self.replica)
        self.webhook: WebhookIntake | None = None
        self.loops = Loops()
        self.handling = Handling(
            self.loops, self.redis, lambda: UpdateLoop(self.inbox, self.dispatcher, self.bot),
            self.delivery, self.progress,
        )  # fmt: skip

    async def run(self, handle_signals: bool = True) -> None:
        """Take updates and deliver results until stopped (SIGTERM, SIGINT, ``stop``) or a loop
        fails; then stop gracefully: no new updates, the running ones get SHUTDOWN_GRACE."""
        if handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self.loops.stopping.set)
        try:
            await self.redis.ping()  # fail at start, with one clear line, when Redis is absent
            await self._set_commands(self.bot)
            await self.inbox.group.ensure()
            await self.delivery.group.ensure()
            self.loops.spawn(beat_forever(self.redis), "heartbeat")
            if self.config.redis_sentinels:  # every pool straight to a new master
                follow_master_in_thread(self.sync_redis)
                storage = self.dispatcher.storage
                clients = [self.redis, storage.redis] if isinstance(storage, RedisStorage) else []
                self.loops.spawn(follow_master(clients), "sentinel")
            if self.config.webhook_url:
                await self._start_webhook()
                self.loops.spawn(self.handling.while_leading(self.leadership), "leadership")
            else:  # one polling process per token: it leads
                self.loops.spawn(self.poller.run(), "polling")
                await self.handling.start()
            await self.loops.stopping.wait()
            await self._shut_down()
        finally:
            await self.dispatcher.storage.close()
            await self.bot.session.close()
            await self.redis.aclose()
            self.sync_redis.close()
        if self.loops.failure is not None:
            raise self.loops.failure

    async def stop(self) -> None:
        """Stop as on SIGTERM; ``run`` then returns."""
        self.loops.stopping.set()

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

    async def _shut_down(self) -> None:
        log.info(
            "stopping: no new updates; %.0f s for those in progress", self.config.shutdown_grace
        )
        if self.webhook is not None:
            await self.webhook.stop()
        await self.loops.cancel(self.loops.named("polling", "leadership"))
        await self.handling.stop(self.config.shutdown_grace)
        if self.config.webhook_url:
            await self.leadership.release()
        await self.loops.cancel()

    async def _set_commands(self, bot: Bot) -> None:
        """The command menu in each language (not fatal when refused)."""
        groups = BotCommandScopeAllGroupChats()
        try:
            await bot.set_my_commands(command_list(self.i18n, self.i18n.default_locale))
            for locale in self.i18n.available_locales:
                await bot.set_my_commands(command_list(self.i18n, locale), language_code=locale)
            default = command_list(self.i18n, self.i18n.default_locale, GROUP_COMMANDS)
            await bot.set_my_commands(default, scope=groups)
            for locale in self.i18n.available_locales:
                in_groups = command_list(self.i18n, locale, GROUP_COMMANDS)
                await bot.set_my_commands(in_groups, scope=groups, language_code=locale)
        except TelegramAPIError as e:  # a missing menu must not stop the bot
            log.warning("could not set the command menu: %s", e)
