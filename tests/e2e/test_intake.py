"""Nothing a user sends is lost between Telegram and Redis: a Redis outage, a bot killed in the
middle of a handler, a SIGTERM while handlers run."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.bot.harness import text
from tests.e2e.conftest import Stacks
from tests.e2e.stack import Stack
from tests.e2e.users import photo, size_of

pytestmark = pytest.mark.e2e
OUTAGE_S = 30.0


def said(stack: Stack, chat: int, message_id: str) -> int:
    """How many times the chat was told ``message_id``."""
    return stack.api.texts(chat).count(text(message_id))


def test_a_30_s_redis_outage_loses_nothing_and_runs_nothing_twice(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    stack = make_stack(appendonly=True)
    stack.start_workers("worker")
    stack.start_bot()
    api, presser, senders = stack.api, 601, [602, 603, 604]
    api.send_photo(presser, photo(240, 160, seed=60))
    api.send_photo(presser, photo(128, 128, seed=61))
    [earlier] = stack.wait("the earlier result", lambda: api.results(presser))
    stack.wait("every delivery to be acknowledged", stack.all_delivered)

    stack.stop_redis()
    down = time.monotonic()
    for i, chat in enumerate(senders):
        api.send_photo(chat, photo(240, 160, seed=62 + i))
        api.send_photo(chat, photo(128, 128, seed=72 + i))
    api.press_button(earlier, text("btn-stronger"))
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
    assert all(api.results(chat) == [] for chat in senders)  # nothing could run meanwhile
    stack.start_redis()
    back = time.monotonic()

    for chat in senders:
        stack.wait(f"chat {chat}'s result", lambda c=chat: api.results(c), timeout=120)
    stack.wait("the re-run of the pressed button", lambda: len(api.results(presser)) == 2,
               timeout=120)  # fmt: skip
    stack.wait("every delivery to be acknowledged", stack.all_delivered, timeout=60)
    for chat in senders:
        assert len(api.results(chat)) == 1, api.transcript()
        assert said(stack, chat, "got-content") == 1  # each update handled once
        assert size_of(api.results(chat)[0].data) == (144, 96)
    assert len(api.results(presser)) == 2
    figure(f"Redis down {OUTAGE_S:.0f} s under 3 chats and a press: all answered "
                f"{time.monotonic() - back:.1f} s after it came back")  # fmt: skip


def test_bot_killed_in_the_middle_of_a_download_still_answers_the_pair(
    make_stack: Stacks,
) -> None:
    stack = make_stack()
    stack.start_workers("worker")
    stack.start_bot()
    api, chat = stack.api, 611
    api.send_photo(chat, photo(240, 160, seed=80))
    stack.wait("the content to be taken", lambda: said(stack, chat, "got-content"))
    api.hang("getFile")  # the style's download never finishes in this run
    api.send_photo(chat, photo(128, 128, seed=81))
    stack.wait("the bot to ask for the style's file", lambda: len(api.calls("getFile")) == 2)
    stack.kill_bot()
    api.clear_failures()

    stack.start_bot()
    [result] = stack.wait("the result after the restart", lambda: api.results(chat))
    assert size_of(result.data) == (144, 96)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)
    assert len(api.results(chat)) == 1 and said(stack, chat, "got-content") == 1


def test_sigterm_lets_handlers_finish_and_keeps_the_rest_for_the_next_start(
    make_stack: Stacks, figure: Callable[[str], None]
) -> None:
    grace = 3.0
    stack = make_stack()
    stack.start_workers("worker")
    stack.start_bot(SHUTDOWN_GRACE=str(grace))
    api, stuck, others = stack.api, 621, [622, 623, 624]
    api.hang("getFile")  # the first download (this chat's) cannot finish before the signal
    api.send_photo(stuck, photo(240, 160, seed=90))
    stack.wait("the stuck download to start", lambda: api.calls("getFile"))
    for i, chat in enumerate(others):
        api.send_photo(chat, photo(240, 160, seed=91 + i))

    code, seconds = stack.terminate_bot()
    assert code == 0
    assert seconds < grace + 5.0  # the grace, plus closing connections
    api.clear_failures()
    answered_before = {chat: said(stack, chat, "got-content") for chat in [stuck, *others]}

    stack.start_bot()
    for chat in [stuck, *others]:
        stack.wait(f"chat {chat}'s answer", lambda c=chat: said(stack, c, "got-content"))
    time.sleep(2.0)  # time for a second answer, should one come
    for chat in [stuck, *others]:
        assert said(stack, chat, "got-content") == 1, api.transcript()
    assert answered_before[stuck] == 0  # kept for the next start, not lost
    figure(f"SIGTERM with a handler stuck in a download: exit 0 after {seconds:.1f} s "
                f"(grace {grace:.0f} s); answered before the exit: "
                f"{sum(answered_before.values())} of {len(answered_before)}, the rest after "
                "the next start")  # fmt: skip
