"""Webhook mode: Telegram posts each update to us; it is answered 200 once recorded.

Every replica of the bot serves this endpoint (aiohttp) on ``WEBHOOK_PORT`` at the path of
``WEBHOOK_URL``, behind whatever reverse proxy publishes that URL. A request must carry the
secret token Telegram was given with ``setWebhook`` (compared in constant time; 401
otherwise); its update is recorded in the inbox before the answer, so Telegram sends the
update again when the answer is anything but 200 (503 while Redis is away).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from redis.asyncio import Redis

from bot.intake.inbox import UpdateInbox
from bot.streams import REDIS_UNAVAILABLE

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_KEY = "adain:bot:webhook-secret"  # the generated secret, shared by every replica


async def shared_secret(redis: Redis, configured: str | None) -> str:
    """``WEBHOOK_SECRET``, or one generated once and kept in Redis for every replica."""
    if configured:
        return configured
    await redis.set(SECRET_KEY, secrets.token_urlsafe(32), nx=True)
    stored = await redis.get(SECRET_KEY)
    assert stored is not None  # set just above unless another replica set it first
    return stored.decode() if isinstance(stored, bytes) else str(stored)


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


class WebhookIntake:
    """The HTTP endpoint Telegram posts updates to."""

    def __init__(self, inbox: UpdateInbox, secret: str, path: str, port: int) -> None:
        self.inbox = inbox
        self.secret = secret.encode()
        self.path = path
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=1 << 20)  # an update is a few KB
        app.router.add_post(self.path, self._receive)
        # No access log: nothing in a request is needed there, and updates carry user data.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host="0.0.0.0", port=self.port).start()
        log.info("webhook endpoint on port %d at %s", self.port, self.path)

    async def stop(self) -> None:
        """Take no more updates (Telegram sends them to another replica, or again later)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook: a request without the right secret token refused")
            return web.Response(status=401)
        try:
            update = await request.json()
            int(update["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        try:
            await self.inbox.record(update)
        except REDIS_UNAVAILABLE as e:
            log.warning("webhook: Redis unavailable (%s); Telegram will send it again", e)
            return web.Response(status=503)
        return web.Response(status=200, text=json.dumps({"ok": True}))
