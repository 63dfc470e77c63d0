"""A Redis restart neither loses the update at hand nor stops the bot (the e2e suite runs the
whole scenario: tests/e2e/test_redis_restart.py)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from redis.asyncio import Redis as AsyncRedis

from bot.health import beat_forever, heartbeat_key
from bot.redis_clients import async_client, sync_client
from redis_access.address import RedisAddress
from tests.conftest import RedisServer


async def test_clients_reconnect_after_a_redis_restart(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    address = RedisAddress(url=server.url)
    client, blocking = async_client(address), sync_client(address)
    try:
        await client.set("chat", "state")
        blocking.set("queue", "jobs")
        server.stop()
        server.start()  # same port; every pooled connection is now closed by the server
        assert await client.set("chat", "again") and await client.get("chat") == b"again"
        assert blocking.set("queue", "again") and blocking.get("queue") == b"again"
    finally:
        await client.aclose()
        blocking.close()
        server.stop()


async def test_heartbeat_outlives_an_absent_redis_and_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer(tmp_path / "redis")
    client = AsyncRedis.from_url(server.url)  # no retries: every beat fails while Redis is away
    beats = asyncio.create_task(beat_forever(client, interval=0.05))
    try:
        await asyncio.sleep(0.3)
        assert not beats.done()
        assert "heartbeat skipped, Redis unavailable" in caplog.text
        server.start()
        for _ in range(100):
            if await client.get(heartbeat_key(socket.gethostname())):
                break
            await asyncio.sleep(0.05)
        assert await client.get(heartbeat_key(socket.gethostname()))
    finally:
        beats.cancel()
        await asyncio.gather(beats, return_exceptions=True)
        await client.aclose()
        server.stop()
