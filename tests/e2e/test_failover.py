"""Redis with a replica and three sentinels: the master is lost (killed, or cut off) while
chats send their pairs; the bot and the worker, told only where the sentinels are, follow the
failover without a restart, and every chat gets exactly one result."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from redis import Redis

from tests.bot.harness import text
from tests.bot.process import REPO
from tests.conftest import RedisServer
from tests.e2e.conftest import Stacks
from tests.e2e.stack import Stack
from tests.e2e.users import photo, size_of
from tests.worker.processes import run_worker_command

pytestmark = pytest.mark.e2e


def send_pair(stack: Stack, chat: int, seed: int) -> None:
    stack.api.send_photo(chat, photo(240, 160, seed=seed))
    stack.api.send_photo(chat, photo(128, 128, seed=seed + 1000))


def one_result_each(stack: Stack, chats: list[int], timeout: float = 120.0) -> None:
    for chat in chats:
        stack.wait(f"chat {chat}'s result", lambda c=chat: stack.api.results(c), timeout=timeout)
    stack.wait("every delivery to be acknowledged", stack.all_delivered, timeout=60)
    time.sleep(1.0)  # time for a second answer, should one be on its way
    for chat in chats:
        results = stack.api.results(chat)
        assert len(results) == 1, stack.api.transcript()
        assert size_of(results[0].data) == (144, 96), (chat, stack.api.transcript())


def test_the_master_killed_while_chats_send_their_pairs(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    stack = make_stack(sentinel=True)
    group = stack.group
    assert group is not None
    stack.start_workers("worker")
    stack.start_bot()
    first, then = list(range(801, 806)), list(range(806, 811))
    for i, chat in enumerate(first):
        send_pair(stack, chat, seed=300 + i)
    one_result_each(stack, first)

    old = group.master_port()
    assert old == group.master.port
    for i, chat in enumerate(then[:3]):  # these pairs are on their way when the master dies
        send_pair(stack, chat, seed=310 + i)
    group.master.kill()
    killed = time.monotonic()
    for i, chat in enumerate(then[3:]):  # and these are sent while nothing is the master
        send_pair(stack, chat, seed=320 + i)
    failover = group.wait_for_failover(old)
    for chat in then:
        stack.wait(f"chat {chat}'s result", lambda c=chat: stack.api.results(c), timeout=120)
    last_result = time.monotonic() - killed
    one_result_each(stack, first + then)

    stack.check_alive()
    assert group.master_port() == group.replica.port
    api = stack.api
    api.send_text(then[0], "/help")  # the bot still answers, on the new master
    stack.wait("the bot to answer /help", lambda: text("help") in api.texts(then[0]))
    # Docker's health checks find both processes through the sentinels too.
    assert run_worker_command("health", **group.env).returncode == 0
    bot_health = subprocess.run(
        [sys.executable, "-m", "bot", "health"], cwd=REPO, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("REDIS_")} | group.env,
        timeout=60,
    )  # fmt: skip
    assert bot_health.returncode == 0, bot_health.stderr
    rq = subprocess.run(
        [str(Path(sys.executable).parent / "rq"), "info", "-c", "worker.rq_settings"],
        cwd=REPO, capture_output=True, text=True, env=os.environ | group.env, timeout=60,
    )  # fmt: skip
    assert rq.returncode == 0 and "stylize" in rq.stdout, (
        rq.stderr
    )  # RQ's own CLI, on the new master
    figure(
        f"failover: master SIGKILLed with 5 pairs in flight; sentinels promoted the replica in "
        f"{failover:.1f} s; the last of the 5 results {last_result:.1f} s after the kill; "
        "10 chats, one result each"
    )


def served_once(stack: Stack, chat: int, seed: int, timeout: float = 120.0) -> float:
    """Send a pair; seconds until its one result."""
    started = time.monotonic()
    send_pair(stack, chat, seed)
    stack.wait(f"chat {chat}'s result", lambda: stack.api.results(chat), timeout=timeout)
    return time.monotonic() - started


def role(server: RedisServer) -> str:
    with Redis(port=server.port, socket_timeout=2.0) as client:
        return str(client.info("replication")["role"])


def test_a_replica_lost_a_sentinel_lost_then_the_master_cut_off(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    """The reliability table's other rows, one after another on one group: each time the chats
    keep being served, once each, and no process exits."""
    stack = make_stack(sentinel=True)
    group = stack.group
    assert group is not None
    stack.start_workers("worker")
    bot = stack.start_bot()
    served_once(stack, 821, seed=330)

    group.replica.kill()  # the master is alone: acknowledged writes wait for nobody
    alone = served_once(stack, 822, seed=331)
    assert "0 of the 1 replica(s) to wait for connected" in bot.output()
    group.replica.start()
    group.wait_until_watched()

    group.sentinels[0].kill()  # two of three sentinels are still a quorum
    one_sentinel_down = served_once(stack, 823, seed=332)

    old = group.master.port
    group.master.freeze()  # the network to the master cut: it holds its connections, silent
    cut = time.monotonic()
    send_pair(stack, 824, seed=333)
    failover = group.wait_for_failover(old)
    stack.wait("chat 824's result", lambda: stack.api.results(824), timeout=120)
    after_cut = time.monotonic() - cut
    group.master.thaw()  # back on the network: the sentinels make it a replica of the new master
    stack.wait("the old master to be demoted", lambda: role(group.master) == "slave", timeout=60)
    back = served_once(stack, 825, seed=334)

    one_result_each(stack, list(range(821, 826)))
    stack.check_alive()
    figure(
        f"replica killed: next result {alone:.1f} s after its pair; one sentinel killed: "
        f"{one_sentinel_down:.1f} s; master frozen (network cut): failover in {failover:.1f} s, "
        f"the result {after_cut:.1f} s after the cut; old master back as a replica: {back:.1f} s"
    )
