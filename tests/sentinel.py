"""Redis as operators run it to survive a lost host: a master, a replica and three sentinels,
each a real redis-server process on loopback (``docker-compose.ha.yml`` runs the same)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry
from redis.sentinel import Sentinel

from tests.conftest import RedisServer, free_port
from tests.lifetime import die_with_parent

MASTER = "adain"
DOWN_AFTER_MS = 1000  # how long the master must be silent before the sentinels act
FAILOVER_TIMEOUT_MS = 4000


class SentinelServer:
    """One ``redis-server --sentinel`` watching ``MASTER``."""

    def __init__(self, workdir: Path, master_port: int, password: str = "") -> None:
        self.workdir = workdir
        self.port = free_port()
        self.master_port = master_port
        self.password = password
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SentinelServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "sentinel.conf"  # the sentinel rewrites it as it learns
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            f"dir {self.workdir}",
            f"sentinel monitor {MASTER} 127.0.0.1 {self.master_port} 2",
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER} 1",
        ]
        if self.password:
            lines.append(f'sentinel auth-pass {MASTER} "{self.password}"')
        config.write_text("\n".join(lines) + "\n")
        with (self.workdir / "sentinel.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", str(config), "--sentinel"], stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
            )  # fmt: skip
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    stop = kill


class RedisGroup:
    """A master, a replica of it, and three sentinels (quorum 2)."""

    def __init__(self, workdir: Path, password: str = "") -> None:
        self.workdir = workdir
        self.password = password
        self.master = RedisServer(workdir / "master", password=password)
        self.replica = RedisServer(
            workdir / "replica",
            password=password,
            args=("--replicaof", "127.0.0.1", str(self.master.port)),
        )
        self.sentinels = [
            SentinelServer(workdir / f"sentinel-{i}", self.master.port, password)
            for i in (1, 2, 3)
        ]

    @property
    def sentinel_list(self) -> str:
        """``REDIS_SENTINELS`` for this group."""
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    @property
    def env(self) -> dict[str, str]:
        """The variables the bot and the workers get: the sentinels only, no REDIS_URL."""
        env = {"REDIS_SENTINELS": self.sentinel_list, "REDIS_SENTINEL_MASTER": MASTER}
        return env | ({"REDIS_PASSWORD": self.password} if self.password else {})

    def client(self) -> Redis:
        """A client of whichever server is the master now."""
        sentinel = Sentinel(
            [("127.0.0.1", s.port) for s in self.sentinels],
            sentinel_kwargs={"socket_timeout": 1.0},
            password=self.password or None,
            socket_timeout=5.0,
        )
        # Across a failover: the sentinels name no master for a moment, then the new one.
        retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), 20, (RedisConnectionError,))
        return sentinel.master_for(MASTER, redis_class=Redis, retry=retry)

    def start(self) -> RedisGroup:
        self.master.start()
        self.replica.start()
        for sentinel in self.sentinels:
            sentinel.start()
        self.wait_until_watched()
        return self

    def stop(self) -> None:
        for server in [*self.sentinels, self.master, self.replica]:
            server.stop()

    def master_port(self) -> int | None:
        """The master's port as the sentinels see it now (the first one that answers)."""
        for s in self.sentinels:
            if s.proc is None:
                continue
            try:
                with Redis(port=s.port, socket_timeout=1.0) as client:
                    address = client.sentinel_get_master_addr_by_name(MASTER)
            except RedisError:
                continue
            if address:
                return int(address[1])
        return None

    def wait_until_watched(self, timeout: float = 30.0) -> None:
        """Until every live sentinel knows the others and the replica is in sync: only then
        can the group fail over."""
        deadline = time.monotonic() + timeout
        live = [s for s in self.sentinels if s.proc is not None]
        while time.monotonic() < deadline:
            try:
                ready = all(self._watching(s, len(live) - 1) for s in live)
            except RedisError:
                ready = False
            if ready:
                return
            time.sleep(0.1)
        raise RuntimeError("the sentinels did not come to watch the master and its replica")

    def _watching(self, sentinel: SentinelServer, others: int) -> bool:
        with Redis(port=sentinel.port, socket_timeout=1.0, decode_responses=True) as client:
            master = client.sentinel_master(MASTER)
            replicas = client.sentinel_slaves(MASTER)
        synced = [
            r for r in replicas if not r.get("is_sdown") and r.get("master-link-status") == "ok"
        ]
        return int(master["num-other-sentinels"]) >= others and bool(synced)

    def wait_for_failover(self, old_port: int, timeout: float = 30.0) -> float:
        """Seconds until the sentinels name a master other than ``old_port``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            port = self.master_port()
            if port is not None and port != old_port:
                return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError(f"no failover from port {old_port} within {timeout:.0f} s")

    def server_on(self, port: int) -> RedisServer:
        """The master or the replica, by port."""
        return next(s for s in (self.master, self.replica) if s.port == port)
