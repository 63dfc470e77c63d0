"""A fake Telegram Bot API server: real HTTP on loopback, the Telegram cloud's state in memory.

Point the bot at it with ``TELEGRAM_API_URL=api.url`` and ``BOT_TOKEN=api.token``.

Two ways to run it:
- in-process, in the test's event loop: ``async with FakeBotAPI() as api: ...``; wait with the
  ``await api.until(...)`` helpers (a blocking wait would stall the server);
- in a background thread with its own loop, for sync tests that run the bot as a subprocess:
  ``with FakeBotAPI() as api: ...``; wait with ``api.wait_until(...)``.
Every public method is thread-safe and never blocks, except ``wait_until`` and ``wait_delivered``.

Webhook mode, as on Telegram: once the bot calls ``setWebhook``, ``getUpdates`` answers 409 and
each update is POSTed to the webhook instead (:mod:`tests.fakes.webhook_pusher`) until
``deleteWebhook``; see ``webhook``, ``webhook_posts``, ``until_delivered``, ``wait_delivered``
and ``webhook_timeout``. :mod:`tests.fakes.round_robin` puts several receivers behind one URL.

Users act with ``send_photo``, ``send_document``, ``send_album``, ``send_text``, ``press`` and,
for clips (:mod:`tests.fakes.clips`), ``send_animation``, ``send_video`` and ``send_video_note``;
what the bot did is read with ``messages``, ``photos``, ``documents``, ``clips``, ``results``,
``calls`` and ``actions``; failures are programmed with ``refuse`` (Telegram's real answers, a
:class:`~tests.fakes.telegram_types.Refusal`: ``api.refuse("sendPhoto",
Refusal.PHOTO_INVALID_DIMENSIONS)``), ``flood`` (429 with ``retry_after``), ``block``, ``hang``,
``not_json`` (an HTML error page, an empty or cut-off body, as a proxy in front of the Bot API
answers) and, for any other answer, ``fail``.

Every request is first checked against the published Bot API
(:func:`tests.fakes.bot_api_spec.check_request`). A request that breaks it is answered as
Telegram would (404 ``Not Found`` for an unknown method, else 400 ``Bad Request: <problems>``),
not carried out, and its problems are added to ``api.violations``. Leaving the ``with`` /
``async with`` block then fails the test (``assert_no_violations``); a test of the checker
itself that sends bad requests on purpose calls ``api.expect_violations()`` first.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from aiohttp import web

from tests.fakes.bot_api_spec import check_request, is_method
from tests.fakes.bot_methods import Answer, error
from tests.fakes.clips import ClipMethods
from tests.fakes.inline import InlineMethods
from tests.fakes.loop_thread import LoopThread
from tests.fakes.telegram_cloud import DEFAULT_TOKEN
from tests.fakes.telegram_types import JSON_FIELDS, Call
from tests.fakes.webhook_methods import WebhookMethods
from tests.fakes.webhook_pusher import WebhookPusher

WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
WEBHOOK_SET = "Conflict: terminated by setWebhook request"


# The status recorded for a request whose connection was closed without an answer.
DROPPED = 0
# The key of an answer's body that goes out as it is, not as JSON (``not_json``).
RAW = "__raw_body__"


class FakeBotAPI(WebhookMethods, ClipMethods, InlineMethods):
    """One bot's view of Telegram over HTTP: updates to fetch, files to download, chats."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        username: str = "adain_test_bot",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(token, username)
        self.host = host  # where it listens (0.0.0.0 in a container); port 0: a free one
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread: LoopThread | None = None
        self._pusher = WebhookPusher(self, self._carry_out)
        self.port = port
        self.violations: list[str] = []  # how requests broke the published Bot API
        self._violations_expected = False

    # ---- conformance with the published Bot API -------------------------------------------

    def expect_violations(self) -> None:
        """This test sends requests that break the Bot API on purpose: do not fail it for that.

        Only for tests of the checker itself; the bot's own requests must all conform.
        """
        self._violations_expected = True

    def assert_no_violations(self) -> None:
        """Fail (AssertionError) if a request broke the Bot API, unless that was expected."""
        if self.violations and not self._violations_expected:
            raise AssertionError(self._violations_report())

    def _violations_report(self) -> str:
        with self._lock:
            found = list(self.violations)
        listed = "\n".join(f"  {v}" for v in found)
        return f"{len(found)} request(s) broke the published Bot API:\n{listed}"

    def _check_on_exit(self, exc: BaseException | None) -> None:
        if exc is None:
            self.assert_no_violations()
        elif self.violations and not self._violations_expected:
            exc.add_note(self._violations_report())  # never hide the error on its way out

    # ---- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL for TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeBotAPI:
        self._loop = asyncio.get_running_loop()
        self._wakeup, self._closing = asyncio.Event(), asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # No access log: URLs carry the token. Stopping waits at most 1 s for open requests.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._pusher.start()
        return self

    async def stop(self) -> None:
        if self._closing is not None and self._wakeup is not None:
            self._closing.set()  # hanging requests return now
            self._wakeup.set()  # and long polls too
        await self._pusher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        await self.stop()
        self._check_on_exit(exc)

    def start_in_thread(self) -> FakeBotAPI:
        """Serve from a background thread with its own event loop (for sync tests)."""
        self._thread = LoopThread("fake-bot-api")
        return self._thread.run(self.start())

    def stop_thread(self) -> None:
        if self._thread is None:
            return
        self._thread.run(self.stop())
        self._thread.close()
        self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start_in_thread()

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.stop_thread()
        self._check_on_exit(exc)

    def _updates_arrived(self) -> None:
        if self._loop is not None and self._wakeup is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)
        self._pusher.wake()

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        with self._lock:
            record = next((f for f in self._files.values() if f.file_path == path), None)
        if record is None or record.data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=record.data, content_type="application/octet-stream")

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(401, error(401, "Unauthorized"))
        sent, files = await _read_params(request)
        status, body = await self._carry_out(request.match_info["method"], sent, files)
        if status == DROPPED and request.transport is not None:
            request.transport.close()  # the connection breaks: a network error for the client
        return _answer(status, body)

    async def _carry_out(
        self, name: str, sent: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Answer:
        """One request of the bot's, as sent: over HTTP, or in an answer to a webhook POST."""
        problems = check_request(name, sent, files)
        method, params = name.lower(), _decoded(sent)
        chat_id = params.get("chat_id") if isinstance(params.get("chat_id"), int) else None
        if problems:
            return self._refuse_nonconforming(method, chat_id, params, problems)
        with self._lock:
            failure = next((f for f in self._failures if f.matches(method, chat_id)), None)
            if failure is not None and failure.remaining is not None:
                failure.remaining -= 1
        if failure is not None and failure.hang:
            self._record(Call(method, chat_id, params, 0))
            assert self._closing is not None
            await self._closing.wait()
            return 502, error(502, "Bad Gateway")
        if failure is not None and failure.drop:
            self._record(Call(method, chat_id, params, DROPPED))
            return DROPPED, {}
        if failure is not None and failure.raw is not None:
            self._record(Call(method, chat_id, params, failure.status))
            return failure.status, {RAW: failure.raw}
        if failure is not None:
            self._record(Call(method, chat_id, params, failure.status))
            return failure.status, failure.body()
        if method == "getupdates":
            if self.webhook is not None:
                return 409, error(409, WEBHOOK_ACTIVE)
            result = await self._get_updates(params)
            if result is None:  # a setWebhook ended the long poll
                return 409, error(409, WEBHOOK_SET)
            return 200, {"ok": True, "result": result}
        return self.answer(method, params, files)

    def _refuse_nonconforming(
        self, method: str, chat_id: int | None, params: dict[str, Any], problems: list[str]
    ) -> tuple[int, dict[str, Any]]:
        """Record the violations; answer as Telegram would: 404 or 400 with the problems."""
        if is_method(method):
            status, body = 400, error(400, "Bad Request: " + "; ".join(problems))
        else:
            status, body = 404, error(404, "Not Found")
        with self._lock:
            self.violations.extend(problems)
        self._record(Call(method, chat_id, params, status))
        return status, body

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Pending updates, waiting up to ``timeout`` for one; None if a webhook was set."""
        assert self._wakeup is not None and self._closing is not None and self._loop is not None
        offset, limit = params.get("offset"), int(params.get("limit") or 100)
        deadline = self._loop.time() + float(params.get("timeout") or 0)
        with self._lock:
            if offset is not None:  # confirms every update before it
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        while True:
            with self._lock:
                if self._webhook is not None:
                    return None
                pending = [dict(u) for u in self._updates[:limit]]
            remaining = deadline - self._loop.time()
            if pending or remaining <= 0 or self._closing.is_set():
                return pending
            self._wakeup.clear()
            with self._lock:
                if self._updates or self._webhook is not None:
                    continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                pass


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Parameters as sent (form fields are text) and uploaded files (file name, bytes)."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
        return params, files
    if request.method == "POST":
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (value.filename or key, value.file.read())
            else:
                params[key] = value
    return params, files


def _decoded(sent: dict[str, Any]) -> dict[str, Any]:
    """The parameters with JSON decoded where Telegram expects JSON (numbers, objects…)."""
    params = dict(sent)
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                pass  # e.g. chat_id "@channel"
    return params


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    if RAW in body:
        return web.Response(text=body[RAW], status=status, content_type="text/html")
    return web.json_response(body, status=status)
