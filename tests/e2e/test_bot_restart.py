"""Scenario 2: the bot process dies (SIGKILL) and is started again; users lose nothing."""

from __future__ import annotations

import pytest

from tests.bot.harness import text
from tests.e2e.conftest import Stacks
from tests.e2e.stack import Stack
from tests.e2e.users import photo, queue_statuses, size_of
from worker import contract

pytestmark = pytest.mark.e2e


def one_result_after_a_round_trip(stack: Stack, chat: int) -> None:
    """Every delivery is acknowledged and the bot answers again; the chat got one result."""
    api = stack.api
    stack.wait("every delivery to be acknowledged", stack.all_delivered)
    api.send_text(chat, "/help")
    stack.wait("the bot to answer /help", lambda: text("help") in api.texts(chat))
    assert len(api.results(chat)) == 1, api.transcript()
    assert all(s.message.deleted for s in queue_statuses(api, chat))


def test_bot_killed_between_the_two_photos_completes_the_pair(make_stack: Stacks) -> None:
    stack = make_stack()
    stack.start_workers("worker")
    stack.start_bot()
    api, chat = stack.api, 301
    api.send_photo(chat, photo(240, 160, seed=11))
    stack.wait("the content to be taken", lambda: text("got-content") in api.texts(chat))
    stack.kill_bot()

    stack.start_bot()
    api.send_photo(chat, photo(128, 128, seed=12))
    [result] = stack.wait("the result", lambda: api.results(chat))
    assert result.is_photo and size_of(result.data) == (144, 96)  # the first photo's shape
    one_result_after_a_round_trip(stack, chat)


def test_bot_down_when_the_worker_finished_delivers_after_restart_once(
    make_stack: Stacks,
) -> None:
    stack = make_stack()
    stack.start_bot()  # no worker yet: the job waits
    api, chat = stack.api, 302
    api.send_photo(chat, photo(240, 160, seed=13))
    api.send_photo(chat, photo(128, 128, seed=14))
    stack.wait("the job to be queued", lambda: queue_statuses(api, chat))
    # the status message goes out just before the job is enqueued: wait for the job itself
    stack.wait("the job in the queue", lambda: contract.queue(stack.client).count == 1)
    stack.kill_bot()

    stack.start_workers("worker")
    stack.wait("the worker's delivery event", lambda: stack.delivery_events() == 1)
    assert api.results(chat) == []
    stack.start_bot()
    [result] = stack.wait("the result after the restart", lambda: api.results(chat))
    assert result.is_photo and size_of(result.data) == (144, 96)
    one_result_after_a_round_trip(stack, chat)


def test_bot_killed_while_sending_the_photo_sends_it_after_restart_once(
    make_stack: Stacks,
) -> None:
    stack = make_stack()
    stack.start_workers("worker")
    stack.start_bot()
    api, chat = stack.api, 303
    api.hang("sendPhoto", chat)  # Telegram never answers this upload
    api.send_photo(chat, photo(240, 160, seed=15))
    api.send_photo(chat, photo(128, 128, seed=16))
    stack.wait("the bot to send the photo", lambda: api.calls("sendPhoto", chat))
    stack.kill_bot()  # the worker finished, the delivery is read but not acknowledged
    api.clear_failures()

    stack.start_bot()
    [result] = stack.wait("the result after the restart", lambda: api.results(chat))
    assert result.is_photo and size_of(result.data) == (144, 96)
    assert stack.delivery_events() == 1
    one_result_after_a_round_trip(stack, chat)
