"""Scenario 4: Redis restarts (append-only file) while jobs wait for a worker: nothing is lost,
and the bot carries on without a restart of its own."""

from __future__ import annotations

import pytest

from tests.bot.harness import text
from tests.e2e.conftest import Stacks
from tests.e2e.users import photo, queue_statuses, size_of

pytestmark = pytest.mark.e2e


def test_jobs_queued_before_a_redis_restart_complete(make_stack: Stacks) -> None:
    stack = make_stack(appendonly=True)
    bot = stack.start_bot()  # no worker yet: the jobs wait in the queue
    api = stack.api
    waiting = [501, 502, 503]
    for i, chat in enumerate(waiting):
        api.send_photo(chat, photo(240, 160, seed=30 + i))
        api.send_photo(chat, photo(128, 128, seed=40 + i))
        [status] = stack.wait(f"chat {chat}'s place in the queue",
                              lambda c=chat: queue_statuses(api, c))  # fmt: skip
        assert status.ahead[0] == i

    stack.restart_redis()

    late = 504  # a user who comes after the restart is served too
    api.send_photo(late, photo(240, 160, seed=33))
    api.send_photo(late, photo(128, 128, seed=43))
    [status] = stack.wait("the late chat's place in the queue",
                          lambda: queue_statuses(api, late), timeout=30)  # fmt: skip
    assert status.ahead[0] == len(waiting)

    stack.start_workers("worker")
    for chat in [*waiting, late]:
        [result] = stack.wait(f"chat {chat}'s result", lambda c=chat: api.results(c))
        assert result.is_photo and size_of(result.data) == (144, 96)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)
    api.send_text(waiting[0], "/help")
    stack.wait("the bot to answer /help", lambda: text("help") in api.texts(waiting[0]))
    assert bot.proc.poll() is None and len(stack.bots) == 1  # never restarted
    for chat in [*waiting, late]:
        assert len(api.results(chat)) == 1, api.transcript()


def test_a_redis_restart_under_a_running_worker_and_bot(make_stack: Stacks) -> None:
    stack = make_stack(appendonly=True)
    stack.start_workers("worker")
    stack.start_bot()
    api, chat = stack.api, 505
    api.send_photo(chat, photo(240, 160, seed=34))
    api.send_photo(chat, photo(128, 128, seed=44))
    stack.wait("the first result", lambda: api.results(chat))

    stack.restart_redis()

    api.send_photo(chat, photo(160, 240, seed=35))
    api.send_photo(chat, photo(128, 128, seed=45))
    stack.wait("the result after the restart", lambda: len(api.results(chat)) == 2, timeout=60)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)
    assert [size_of(r.data) for r in api.results(chat)] == [(144, 96), (96, 144)]
