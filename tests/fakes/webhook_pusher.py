"""Delivers pending updates to the webhook over HTTP, as Telegram does.

Each update is POSTed as JSON, oldest first, with ``X-Telegram-Bot-Api-Secret-Token`` when a
secret was set; at most ``max_connections`` at a time (so with 1, strictly one after another).
An update is delivered, and leaves the queue, only when the receiver answers 2xx. Any other
outcome (another status, a refused connection, no answer within ``webhook_timeout``) is recorded
as the webhook's last error, and sending pauses for a back-off (0.2 s, doubling up to 2 s; a
delivery or a new setWebhook starts it over) before the oldest pending update is sent again.

A 2xx answer may carry a method call, as JSON or a form with a ``method`` field (aiogram's
webhook handler with ``handle_in_background=False``); Telegram carries it out as a request of
the bot's, and so does the fake, through ``carry_out``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from tests.fakes.telegram_types import WebhookConfig, WebhookPost
from tests.fakes.webhook_methods import WebhookMethods

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BACKOFF_START, BACKOFF_MAX = 0.2, 2.0  # seconds; Telegram waits longer, tests should not
Reply = tuple[str, dict[str, Any], dict[str, tuple[str, bytes]]]  # method, fields, files
CarryOut = Callable[[str, dict[str, Any], dict[str, tuple[str, bytes]]], Awaitable[object]]


class WebhookPusher:
    """Runs in the fake's event loop between ``start`` and ``stop``; ``wake`` from any thread."""

    def __init__(self, api: WebhookMethods, carry_out: CarryOut) -> None:
        self._api, self._carry_out = api, carry_out
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()  # update_ids being POSTed now
        self._config: WebhookConfig | None = None  # the webhook the back-off is about
        self._delay, self._retry_at = BACKOFF_START, 0.0

    def start(self) -> None:
        """Start delivering (call from within the fake's running loop)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="fake-webhook-pusher")

    def wake(self) -> None:
        """Something changed (an update, the webhook): look again. Thread-safe."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def stop(self) -> None:
        """Stop delivering; POSTs in flight are abandoned (their updates stay pending)."""
        tasks = [t for t in (self._task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        self._task, self._session, self._loop, self._wake = None, None, None, None
        self._deliveries.clear()
        self._in_flight.clear()

    async def _run(self) -> None:
        assert self._loop is not None and self._wake is not None
        while True:
            self._wake.clear()
            picked = self._api._webhook_next(self._in_flight)
            if picked is None:
                await self._wake.wait()
                continue
            config, update = picked
            if config is not self._config:  # a new setWebhook: no back-off from the old one
                self._config, self._delay, self._retry_at = config, BACKOFF_START, 0.0
            pause = self._retry_at - self._loop.time()
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)
                continue
            self._in_flight.add(update["update_id"])
            task = asyncio.create_task(self._deliver(config, update))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> None:
        assert self._loop is not None and self._wake is not None
        try:
            status, problem, reply = await self._post(config, update)
            if reply is not None:  # carried out before the update counts as delivered
                await self._carry_out(*reply)
            post = WebhookPost(
                update["update_id"], config.url, status, problem, time.time(),
                reply_method=reply[0] if reply else None,
            )  # fmt: skip
            self._api._webhook_attempted(post)
            if config is self._config:
                if post.delivered:
                    self._delay = BACKOFF_START
                else:
                    self._retry_at = self._loop.time() + self._delay
                    self._delay = min(self._delay * 2, BACKOFF_MAX)
        finally:
            self._in_flight.discard(update["update_id"])
            self._wake.set()

    async def _post(
        self, config: WebhookConfig, update: dict[str, Any]
    ) -> tuple[int | None, str | None, Reply | None]:
        """(HTTP status, the error as getWebhookInfo words it, a method the answer carried)."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if config.secret_token is not None:
            headers[SECRET_HEADER] = config.secret_token
        timeout = aiohttp.ClientTimeout(total=self._api.webhook_timeout)
        try:
            async with self._session.post(
                config.url, data=json.dumps(update), headers=headers, timeout=timeout,
                allow_redirects=False,
            ) as response:  # fmt: skip
                if not 200 <= response.status < 300:
                    wrong = f"Wrong response from the webhook: {response.status} {response.reason}"
                    return response.status, wrong, None
                return response.status, None, await _reply(response)
        except TimeoutError:
            return None, "Read timeout expired", None
        except aiohttp.ClientConnectorError as e:
            refused = isinstance(e.os_error, ConnectionRefusedError)
            return None, "Connection refused" if refused else f"Connection failed: {e}", None
        except aiohttp.ClientError as e:
            return None, f"Connection failed: {type(e).__name__}: {e}", None


async def _reply(response: aiohttp.ClientResponse) -> Reply | None:
    """The method call a 2xx answer carries, if any (anything unreadable carries none)."""
    try:
        if response.content_type == "application/json":
            body = await response.json()
            if isinstance(body, dict) and isinstance(body.get("method"), str):
                fields = dict(body)
                return fields.pop("method"), fields, {}
        elif response.content_type == "multipart/form-data":
            return await _form_reply(aiohttp.MultipartReader(response.headers, response.content))
    except (ValueError, aiohttp.ClientError):
        pass
    return None


async def _form_reply(reader: aiohttp.MultipartReader) -> Reply | None:
    fields: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    async for part in reader:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            continue
        data = bytes(await part.read(decode=True))
        if part.filename is not None:
            files[part.name] = (part.filename, data)
        else:
            fields[part.name] = data.decode()
    method = fields.pop("method", None)
    return None if method is None else (method, fields, files)
