"""``python -m tests.replication_bench``: what waiting for a replica costs each recorded update.

Records updates one after another through the bot's inbox (as long polling does), on private
redis-server processes on loopback: a lone Redis, and a master with one replica where the bot
waits for it (the default) or not (``REDIS_WAIT_REPLICAS=0``). Prints one table, milliseconds
per update from the call to its return, Telegram's acknowledgement waiting on it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis

from bot.intake.inbox import UpdateInbox
from bot.redis_clients import async_client
from redis_access.address import RedisAddress
from redis_access.replication import AsyncReplication
from tests.conftest import RedisServer


def update(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": "x" * 200,
        "chat": {"id": 1, "type": "private"},
        "from": {"id": 1, "is_bot": False, "first_name": "A"},
    }}  # fmt: skip


async def measure(url: str, wanted: int, count: int, first_id: int) -> list[float]:
    redis = async_client(RedisAddress(url=url))
    inbox = UpdateInbox(redis, AsyncReplication(redis, wanted))
    await inbox.group.ensure()
    for i in range(50):  # warm-up: connections, the script, the replica count
        await inbox.record(update(first_id - 1000 + i))
    took = []
    for i in range(count):
        started = time.perf_counter()
        await inbox.record(update(first_id + i))
        took.append((time.perf_counter() - started) * 1000)
    await redis.aclose()
    return took


def wait_online(master: RedisServer) -> None:
    """Until the master's replica has finished its first sync."""
    with Redis.from_url(master.url) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replica = client.info("replication").get("slave0")
            if isinstance(replica, dict) and replica.get("state") == "online":
                return
            time.sleep(0.1)
    raise RuntimeError("the replica did not come in sync")


def cpu_name() -> str:
    """The CPU's name, with its family and model (AMD names every EPYC alike)."""
    facts = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        facts.setdefault(key.strip(), value.strip())
    if "model name" not in facts:
        return platform.machine()
    return f"{facts['model name']} (family {facts.get('cpu family')}, model {facts.get('model')})"


def redis_version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    return out.split("v=")[1].split()[0] if "v=" in out else "?"


def row(name: str, took: list[float]) -> str:
    q = statistics.quantiles(took, n=100)
    return f"| {name} | {len(took)} | {q[49]:.2f} | {q[94]:.2f} | {q[98]:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per row")
    args = parser.parse_args()
    logging.getLogger("redis_access.replication").setLevel(logging.ERROR)  # the lone Redis's line
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lone = RedisServer(root / "lone").start()
        master = RedisServer(root / "master").start()
        replica = RedisServer(
            root / "replica", args=("--replicaof", "127.0.0.1", str(master.port))
        ).start()
        wait_online(master)
        try:
            rows = [
                ("lone Redis (nothing to wait for)", lone.url, 1),
                ("master + replica, REDIS_WAIT_REPLICAS=0", master.url, 0),
                ("master + replica, waiting for it (default)", master.url, 1),
            ]
            results = [
                (name, asyncio.run(measure(url, wanted, args.updates, 10_000 * (i + 1))))
                for i, (name, url, wanted) in enumerate(rows)
            ]
        finally:
            for server in (replica, master, lone):
                server.stop()
    cpu = cpu_name()
    print(f"python -m tests.replication_bench --updates {args.updates}: {cpu}, "
          f"redis-server {redis_version()} on loopback")  # fmt: skip
    print("| Redis | updates | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for name, took in results:
        print(row(name, took))


if __name__ == "__main__":
    main()
