"""Waiting for a replica, on real redis-server processes: a master and its replica."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from bot.intake.inbox import STREAM, UpdateInbox
from bot.redis_clients import async_client
from redis_access.address import RedisAddress
from redis_access.replication import NotReplicated, SyncReplication
from tests.conftest import RedisServer

UPDATE = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "hi",
          "chat": {"id": 1, "type": "private"}}}  # fmt: skip


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer]]:
    master = RedisServer(tmp_path / "master").start()
    replica = RedisServer(
        tmp_path / "replica", args=("--replicaof", "127.0.0.1", str(master.port))
    ).start()
    with Redis.from_url(master.url) as client:
        deadline = time.monotonic() + 30
        while client.info("replication").get("slave0", {}).get("state") != "online":
            assert time.monotonic() < deadline, "the replica did not come in sync"
            time.sleep(0.1)
    yield master, replica
    replica.stop()
    master.stop()


def record(url: str, timeout: float = 0.3) -> bool:
    async def run() -> bool:
        redis = async_client(RedisAddress(url=url))
        inbox = UpdateInbox(redis)
        inbox.replication.replicas.timeout_ms = int(timeout * 1000)
        try:
            return await inbox.record(UPDATE)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def test_an_update_is_recorded_once_the_replica_has_it(pair: tuple[RedisServer, ...]) -> None:
    master, replica = pair
    assert record(master.url)
    with Redis(port=replica.port) as client:
        assert client.xlen(STREAM) == 1  # on the replica when record returned


def test_a_silent_replica_means_telegram_is_not_told(pair: tuple[RedisServer, ...]) -> None:
    master, replica = pair
    replica.freeze()  # connected, in sync a moment ago, answering nothing
    try:
        with pytest.raises(NotReplicated, match="0 of 1 Redis replica"):
            record(master.url)
    finally:
        replica.thaw()
    assert not record(master.url)  # Telegram's repeat: recorded before, confirmed now


def test_a_lost_replica_is_not_waited_for_and_says_so_once(
    pair: tuple[RedisServer, ...], caplog: pytest.LogCaptureFixture
) -> None:
    master, replica = pair
    replica.kill()
    with Redis.from_url(master.url) as client:
        deadline = time.monotonic() + 10
        while client.info("replication")["connected_slaves"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        replication = SyncReplication(client, wanted=1, timeout=5.0)
        client.config_resetstat()
        with caplog.at_level(logging.WARNING, logger="redis_access.replication"):
            for _ in range(3):
                client.set("k", 1)
                replication.confirm()
        waits = client.info("commandstats").get("cmdstat_wait", {}).get("calls", 0)
    assert waits == 0  # nobody is waited for
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["Redis has 0 of the 1 replica(s) to wait for connected: writes are "
                     "confirmed by 0 until more are back"]  # fmt: skip
