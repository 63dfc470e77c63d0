"""Several replicas behind one address: a small round-robin reverse proxy on loopback.

``RoundRobinProxy(["http://127.0.0.1:8081", "http://127.0.0.1:8082"])`` forwards each request
(method, path and query, headers, body) to the next target in turn (``<target><path>``) and
answers with the target's answer. A target that cannot be connected to (refused: nothing was
sent) is skipped for that request and the next one tried; when none can be, the answer is 502.
A target that takes longer than ``timeout`` gets 504, and nothing is retried elsewhere (it may
have acted). ``served`` records who answered each request.

Run it like the fake Bot API: ``async with RoundRobinProxy(targets) as proxy`` in the test's
loop, or ``with RoundRobinProxy(targets) as proxy`` in a background thread; ``proxy.url``.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from tests.fakes.loop_thread import LoopThread

# Headers about one connection, which a proxy does not pass on (RFC 9110, 7.6.1), and the
# lengths, which aiohttp sets itself for the body it sends.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass(frozen=True)
class Forwarded:
    """One request through the proxy."""

    method: str
    path: str  # path and query
    target: str | None  # the target that answered; None: none could be reached
    status: int  # what the proxy answered
    skipped: tuple[str, ...] = ()  # targets tried first that refused the connection


class RoundRobinProxy:
    """Forwards each request to the next of ``targets`` (base URLs) in turn."""

    def __init__(self, targets: list[str], timeout: float = 30.0) -> None:
        if not targets:
            raise ValueError("RoundRobinProxy needs at least one target URL.")
        self.targets = [t.rstrip("/") for t in targets]
        self.timeout = timeout
        self.port = 0
        self._turn = 0
        self._served: list[Forwarded] = []
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._thread: LoopThread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def served(self) -> list[Forwarded]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._served)

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> RoundRobinProxy:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        if self._session is not None:  # first: requests still forwarded end now (502)
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> RoundRobinProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self) -> RoundRobinProxy:
        """Serve from a background thread with its own event loop (for sync tests)."""
        self._thread = LoopThread("round-robin-proxy")
        return self._thread.run(self.start())

    def stop_thread(self) -> None:
        if self._thread is None:
            return
        self._thread.run(self.stop())
        self._thread.close()
        self._thread = None

    def __enter__(self) -> RoundRobinProxy:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    # ---- forwarding ----------------------------------------------------------------------

    async def _forward(self, request: web.Request) -> web.Response:
        if self._session is None:  # stopping
            return web.Response(status=502, text="Bad Gateway")
        body = await request.read()
        headers = CIMultiDict(
            (k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP
        )
        with self._lock:
            first, targets = self._turn, list(self.targets)
            self._turn = (first + 1) % len(targets)
        path, skipped = request.rel_url.path_qs, []
        for i in range(len(targets)):
            target = targets[(first + i) % len(targets)]
            try:
                async with self._session.request(
                    request.method, target + path, headers=headers, data=body,
                    allow_redirects=False, timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as response:  # fmt: skip
                    answer = web.Response(
                        status=response.status,
                        reason=response.reason,
                        body=await response.read(),
                        headers=CIMultiDict(
                            (k, v)
                            for k, v in response.headers.items()
                            if k.lower() not in HOP_BY_HOP
                        ),
                    )
            except aiohttp.ClientConnectorError:
                skipped.append(target)  # nothing was sent: the next target may take it
                continue
            except TimeoutError:
                return self._record(request, target, skipped, web.Response(status=504))
            except aiohttp.ClientError:
                return self._record(request, target, skipped, web.Response(status=502))
            return self._record(request, target, skipped, answer)
        return self._record(request, None, skipped, web.Response(status=502, text="Bad Gateway"))

    def _record(
        self, request: web.Request, target: str | None, skipped: list[str], answer: web.Response
    ) -> web.Response:
        forwarded = Forwarded(
            request.method, request.rel_url.path_qs, target, answer.status, tuple(skipped)
        )
        with self._lock:
            self._served.append(forwarded)
        return answer
