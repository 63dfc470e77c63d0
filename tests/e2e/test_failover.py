"""Redis with a replica and three sentinels: the master is lost (killed, or cut off) while
chats send their pairs; the bot and the worker, told only where the sentinels are, follow the
failover without a restart, and every chat gets exactly one result."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.bot.harness import text
from tests.e2e.conftest import Stacks
from tests.e2e.stack import Stack
from tests.e2e.users import photo, size_of

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
        assert size_of(results[0].data) == (144, 96)


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
    figure(
        f"failover: master SIGKILLed with 5 pairs in flight; sentinels promoted the replica in "
        f"{failover:.1f} s; the last of the 5 results {last_result:.1f} s after the kill; "
        "10 chats, one result each"
    )
