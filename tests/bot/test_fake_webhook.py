"""The fake Bot API in webhook mode delivers updates as Telegram does; the proxy spreads them."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.loop_thread import LoopThread
from tests.fakes.round_robin import RoundRobinProxy
from tests.fakes.webhook_pusher import SECRET_HEADER

CHAT = 9003
SECRET = "s3cret_-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A webhook receiver (no bot): records each POST, answers the programmed statuses, then 200.

    ``stall``: the next that many POSTs are answered only once ``release`` is set (or at stop).
    """

    def __init__(self, statuses: tuple[int, ...] = (), stall: int = 0) -> None:
        self.port = free_port()
        self.statuses, self.stall = list(statuses), stall
        self.got: list[tuple[int, str | None]] = []  # (update_id, the secret header)
        self.bodies: list[dict[str, Any]] = []
        self.release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/hook"

    def update_ids(self) -> list[int]:
        return [update_id for update_id, _ in self.got]

    def texts(self) -> list[str]:
        return [body["message"]["text"] for body in self.bodies]

    async def start(self) -> Receiver:
        self.release = asyncio.Event()  # in the loop that serves
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.got.append((body["update_id"], request.headers.get(SECRET_HEADER)))
        self.bodies.append(body)
        if self.stall > 0:
            self.stall -= 1
            await self.release.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    yield r
    await r.stop()


async def call(api: FakeBotAPI, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """A JSON request to the fake, from the test's loop (which serves the fake too)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.url}/bot{api.token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


async def info(api: FakeBotAPI) -> dict[str, Any]:
    status, body = await call(api, "getWebhookInfo")
    assert status == 200
    return body["result"]


def user_sends(api: FakeBotAPI, *texts: str) -> None:
    for text in texts:
        api.send_text(CHAT, text)


async def test_updates_arrive_oldest_first_with_the_secret(
    api: FakeBotAPI, receiver: Receiver
) -> None:
    user_sends(api, "/start")  # pending before the webhook was set
    assert await call(api, "setWebhook", url=receiver.url, secret_token=SECRET) == (
        200, {"ok": True, "result": True, "description": "Webhook was set"},
    )  # fmt: skip
    user_sends(api, "one", "two", "three")
    await api.until_delivered()
    assert receiver.texts() == ["/start", "one", "two", "three"]
    assert [secret for _, secret in receiver.got] == [SECRET] * 4
    ids = receiver.update_ids()
    assert ids == sorted(ids)
    assert [(p.update_id, p.status, p.error) for p in api.webhook_posts] == [
        (update_id, 200, None) for update_id in ids
    ]
    assert (await info(api))["pending_update_count"] == 0


async def test_without_a_secret_no_secret_header_is_sent(
    api: FakeBotAPI, receiver: Receiver
) -> None:
    await call(api, "setWebhook", url=receiver.url)
    user_sends(api, "hi")
    await api.until_delivered()
    assert [secret for _, secret in receiver.got] == [None]


async def test_a_receiver_answering_500_gets_the_same_update_again(api: FakeBotAPI) -> None:
    receiver = await Receiver(statuses=(500, 500)).start()
    try:
        await call(api, "setWebhook", url=receiver.url, secret_token=SECRET)
        user_sends(api, "one", "two", "three")
        await api.until_delivered()
    finally:
        await receiver.stop()
    assert receiver.texts() == ["one", "one", "one", "two", "three"]  # none lost nor reordered
    assert len(set(receiver.update_ids())) == 3
    assert [p.status for p in api.webhook_posts] == [500, 500, 200, 200, 200]
    assert api.webhook_posts[0].error == (
        "Wrong response from the webhook: 500 Internal Server Error"
    )
    now = await info(api)
    assert now["last_error_message"] == api.webhook_posts[0].error
    assert isinstance(now["last_error_date"], int)


async def test_a_receiver_that_is_down_gets_every_update_once_it_is_up(api: FakeBotAPI) -> None:
    receiver = Receiver()  # not started: its port refuses connections
    await call(api, "setWebhook", url=receiver.url)
    user_sends(api, "one", "two")
    await api.until(lambda: len(api.webhook_posts) >= 2)
    tried = {(p.update_id, p.status, p.error) for p in api.webhook_posts}
    assert len(tried) == 1  # the oldest one is tried again and again, the next waits its turn
    [(oldest, _, _)] = tried
    now = await info(api)
    assert (now["pending_update_count"], now["last_error_message"]) == (2, "Connection refused")
    await receiver.start()
    try:
        await api.until_delivered()
    finally:
        await receiver.stop()
    assert receiver.texts() == ["one", "two"] and receiver.update_ids()[0] == oldest


async def test_a_receiver_too_slow_to_answer_gets_the_update_again(api: FakeBotAPI) -> None:
    api.webhook_timeout = 0.3
    receiver = await Receiver(stall=1).start()
    try:
        await call(api, "setWebhook", url=receiver.url)
        user_sends(api, "one", "two")
        await api.until_delivered()
    finally:
        await receiver.stop()
    assert receiver.texts() == ["one", "one", "two"]
    assert [p.error for p in api.webhook_posts] == ["Read timeout expired", None, None]


async def test_get_updates_answers_409_while_a_webhook_is_set(api: FakeBotAPI) -> None:
    assert await call(api, "getUpdates") == (200, {"ok": True, "result": []})
    long_poll = asyncio.create_task(call(api, "getUpdates", timeout=20))
    await asyncio.sleep(0.2)  # the poll is waiting by now
    await call(api, "setWebhook", url=Receiver().url)  # nobody listens there
    status, ended = await long_poll
    assert (status, ended["description"]) == (409, "Conflict: terminated by setWebhook request")
    user_sends(api, "while the webhook was failing")
    status, refused = await call(api, "getUpdates")
    assert (status, refused["description"]) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    assert await call(api, "deleteWebhook") == (
        200, {"ok": True, "result": True, "description": "Webhook was deleted"},
    )  # fmt: skip
    status, polled = await call(api, "getUpdates")
    assert status == 200
    assert [u["message"]["text"] for u in polled["result"]] == ["while the webhook was failing"]


async def test_get_webhook_info_counts_pending_updates_and_drop_empties_them(
    api: FakeBotAPI,
) -> None:
    user_sends(api, "before")
    assert await info(api) == {
        "url": "", "has_custom_certificate": False, "pending_update_count": 1,
    }  # fmt: skip
    down = Receiver().url
    await call(api, "setWebhook", url=down, max_connections=3, allowed_updates=["message"])
    user_sends(api, "after")
    await api.until(lambda: len(api.webhook_posts) >= 1)
    now = await info(api)
    assert {k: now[k] for k in ("url", "pending_update_count", "max_connections")} == {
        "url": down, "pending_update_count": 2, "max_connections": 3,
    }  # fmt: skip
    assert now["allowed_updates"] == ["message"] and now["has_custom_certificate"] is False
    assert now["last_error_message"] == "Connection refused"
    await call(api, "setWebhook", url=down, drop_pending_updates=True)
    assert (await info(api))["pending_update_count"] == 0
    assert (await info(api))["allowed_updates"] == ["message"]  # kept when not given again
    user_sends(api, "pending again")
    await call(api, "deleteWebhook", drop_pending_updates=True)
    assert await info(api) == {
        "url": "", "has_custom_certificate": False, "pending_update_count": 0,
    }  # fmt: skip


async def test_allowed_updates_leave_out_the_other_kinds(
    api: FakeBotAPI, receiver: Receiver
) -> None:
    await call(api, "setWebhook", url=receiver.url, allowed_updates=["callback_query"])
    user_sends(api, "not wanted")
    assert api.pending_updates() == 0


async def test_set_webhook_refuses_what_telegram_refuses(api: FakeBotAPI) -> None:
    status, bad_url = await call(api, "setWebhook", url="ftp://127.0.0.1/hook")
    assert (status, bad_url["description"]) == (
        400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )  # fmt: skip
    status, bad_secret = await call(api, "setWebhook", url=Receiver().url, secret_token="a:b")
    assert (status, bad_secret["description"]) == (
        400, "Bad Request: secret token contains unallowed characters",
    )  # fmt: skip
    assert api.webhook is None


async def test_with_max_connections_updates_are_posted_side_by_side(api: FakeBotAPI) -> None:
    receiver = await Receiver(stall=2).start()
    try:
        await call(api, "setWebhook", url=receiver.url, max_connections=2)
        user_sends(api, "one", "two", "three")
        await api.until(lambda: len(receiver.got) == 2)  # two in flight, the third waits
        assert sorted(receiver.texts()) == ["one", "two"]
        await asyncio.sleep(0.2)
        assert len(receiver.got) == 2
        receiver.release.set()
        await api.until_delivered()
    finally:
        await receiver.stop()
    assert sorted(receiver.texts()) == ["one", "three", "two"]


async def test_aiogram_sets_the_webhook_and_its_handler_replies_through_it(
    api: FakeBotAPI,
) -> None:
    """The real requests aiogram makes conform; its webhook answer's method is carried out."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage:
        """Answer in the webhook's response, not with a request of its own."""
        return message.answer(f"echo: {message.text}")

    app = web.Application()
    async with Bot(api.token, session=session) as bot:
        handler = SimpleRequestHandler(
            dispatcher, bot, handle_in_background=False, secret_token=SECRET
        )
        handler.register(app, path="/hook")
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            assert await bot.set_webhook(
                f"http://127.0.0.1:{port}/hook",
                secret_token=SECRET,
                allowed_updates=["message", "callback_query"],
                max_connections=1,
                drop_pending_updates=True,
            )
            user_sends(api, "hello")
            await api.until_delivered()
            webhook = await bot.get_webhook_info()
            assert webhook.url.endswith("/hook") and webhook.pending_update_count == 0
            assert await bot.delete_webhook(drop_pending_updates=True)
        finally:
            await runner.cleanup()
    assert api.texts(CHAT) == ["echo: hello"]
    assert [(p.status, p.reply_method) for p in api.webhook_posts] == [(200, "sendMessage")]
    assert api.violations == []


async def test_a_json_answer_carrying_a_method_is_carried_out(api: FakeBotAPI) -> None:
    async def reply(request: web.Request) -> web.Response:
        update = await request.json()
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "ok"})

    app = web.Application()
    app.router.add_post("/hook", reply)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await call(api, "setWebhook", url=f"http://127.0.0.1:{port}/hook")
        user_sends(api, "hi")
        await api.until_delivered()
    finally:
        await runner.cleanup()
    assert api.texts(CHAT) == ["ok"]


async def test_the_proxy_alternates_between_replicas_and_skips_one_that_is_down(
    api: FakeBotAPI,
) -> None:
    a, b = await Receiver().start(), await Receiver().start()
    try:
        async with RoundRobinProxy([a.base, b.base]) as proxy:
            await call(api, "setWebhook", url=f"{proxy.url}/hook", secret_token=SECRET)
            user_sends(api, "1", "2", "3", "4")
            await api.until_delivered()
            assert [f.target for f in proxy.served] == [a.base, b.base, a.base, b.base]
            assert (a.texts(), b.texts()) == (["1", "3"], ["2", "4"])
            assert {secret for _, secret in a.got + b.got} == {SECRET}

            await b.stop()
            user_sends(api, "5", "6")
            await api.until_delivered()
            assert a.texts()[-2:] == ["5", "6"]
            assert [(f.target, f.skipped) for f in proxy.served[4:]] == [
                (a.base, ()), (a.base, (b.base,)),
            ]  # fmt: skip

            await a.stop()
            user_sends(api, "7")
            await api.until(lambda: any(p.status == 502 for p in api.webhook_posts))
            assert proxy.served[-1].target is None and proxy.served[-1].status == 502
            assert api.pending_updates() == 1
            await a.start()
            await api.until_delivered()
            assert a.texts()[-1] == "7"
    finally:
        await a.stop()
        await b.stop()


def test_threaded_fake_and_proxy_deliver_and_stop_cleanly() -> None:
    """Sync tests run the fake and the proxy in threads; a stalled POST does not stop stop."""
    receivers = LoopThread("receivers")
    a = receivers.run(Receiver().start())
    b = receivers.run(Receiver().start())
    try:
        with FakeBotAPI() as api, RoundRobinProxy([a.base, b.base]) as proxy:
            sync_call(api, "setWebhook", url=f"{proxy.url}/hook", secret_token=SECRET)
            user_sends(api, "one", "two")
            api.wait_delivered()
            assert (a.texts(), b.texts()) == (["one"], ["two"])
            b.stall = 1  # b's next request hangs until the end
            user_sends(api, "three", "four")  # "three" goes to a, "four" stalls at b
            api.wait_until(lambda: len(b.got) == 2)
            assert api.pending_updates() == 1
    finally:
        receivers.run(a.stop())
        receivers.run(b.stop())
        receivers.close()


def sync_call(api: FakeBotAPI, method: str, **params: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{api.url}/bot{api.token}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)
