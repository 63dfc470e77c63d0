"""One running service (Redis, one bot, two workers) serving users: a pair and a button
(scenario 1), bad inputs (scenario 5) and forty chats at once (scenario 6)."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

import pytest

from tests.bot.harness import text
from tests.e2e.conftest import Stacks
from tests.e2e.stack import Stack
from tests.e2e.users import (
    photo,
    png_declaring,
    queue_statuses,
    size_of,
    tiny_png,
    truncated_jpeg,
)

pytestmark = pytest.mark.e2e

LOAD_CHATS = 40
PHOTO_SIZE = 256  # small jobs: forty of them still make a queue on two workers


@pytest.fixture(scope="module")
def stack(make_module_stack: Stacks) -> Stack:
    """Shared by this module's tests: each test uses chats of its own."""
    stack = make_module_stack(PHOTO_SIZE=str(PHOTO_SIZE), STYLE_SIZE="128")
    stack.start_workers("worker-a", "worker-b")
    stack.start_bot()
    return stack


def test_a_pair_gives_one_photo_of_the_content_shape_and_stronger_gives_another(
    stack: Stack,
) -> None:
    api, chat = stack.api, 101
    api.user(chat, "en")
    api.send_photo(chat, photo(192, 320, seed=1))  # portrait 3:5
    stack.wait("the content to be taken", lambda: text("got-content") in api.texts(chat))
    api.send_photo(chat, photo(128, 128, seed=2))
    [first] = stack.wait("the first result", lambda: api.results(chat))

    assert first.is_photo
    assert size_of(first.data) == (256, 427)  # PHOTO_SIZE on the shorter side, same shape
    stack.wait("the delivery to be acknowledged", stack.all_delivered)  # after its clean-up
    [status] = queue_statuses(api, chat)
    assert status.message.deleted  # "Queued: 0 ahead of you." went away with the photo

    api.press_button(first, text("btn-stronger"))
    stack.wait("the second result", lambda: len(api.results(chat)) >= 2)
    stack.wait("its delivery to be acknowledged", stack.all_delivered)
    photos = api.photos(chat)
    assert len(photos) == 2 and len(api.results(chat)) == 2, api.transcript()
    second = photos[1]
    assert size_of(second.data) == (256, 427)
    assert second.data != first.data  # the style is applied more strongly
    labels = [label for label, _ in second.buttons]
    assert text("btn-weaker") in labels and text("btn-stronger") not in labels  # at 100 %


def test_coarser_and_finer_strokes_each_give_a_new_result(stack: Stack) -> None:
    api, chat = stack.api, 102
    api.send_photo(chat, photo(320, 192, seed=3))
    api.send_photo(chat, photo(256, 256, seed=4))  # a style large enough to scale up
    [first] = stack.wait("the first result", lambda: api.results(chat))
    stack.wait("its delivery to be acknowledged", stack.all_delivered)
    seen = [first.data]
    for label in ("btn-coarser", "btn-finer"):
        api.press_button(first, text(label))
        count = len(seen) + 1
        stack.wait(f"the result of {label}", lambda n=count: len(api.results(chat)) >= n)
        stack.wait("its delivery to be acknowledged", stack.all_delivered)
        result = api.results(chat)[-1]
        assert size_of(result.data) == size_of(first.data)  # the photo's size, not the style's
        assert result.data not in seen  # strokes at another scale: another picture
        seen.append(result.data)
    assert len(api.results(chat)) == 3, api.transcript()


BAD_INPUTS = [
    # (what, locale, the user's file as (bytes, name, MIME), the reply the user must get)
    ("text file", "en", (b"milk\neggs\nbread\n", "shopping.txt", "text/plain"), "not-image"),
    ("truncated JPEG", "ru", (truncated_jpeg(), "holiday.jpg", "image/jpeg"), "error-broken"),
    ("1x1 PNG", "en", (tiny_png(), "dot.png", "image/png"), "error-too_small"),
    ("30000x30000 PNG", "ru", (png_declaring(30000, 30000), "huge.png", "image/png"),
     "error-too_large"),
]  # fmt: skip


def test_bad_inputs_get_a_clear_reply_and_others_are_still_served(stack: Stack) -> None:
    api = stack.api
    chats = {what: 201 + i for i, (what, *_) in enumerate(BAD_INPUTS)}
    for what, locale, (data, name, mime), _ in BAD_INPUTS:
        chat = chats[what]
        api.user(chat, locale)
        api.send_document(chat, data, name, mime)
        api.send_photo(chat, photo(128, 128, seed=3), caption="style")

    for what, locale, (_, name, _), reply in BAD_INPUTS:
        chat = chats[what]
        expected = text(reply, locale, what=text("what-named-file", locale, name=name))
        stack.wait(f"the reply to the {what}", lambda c=chat, t=expected: t in api.texts(c))
        assert api.results(chat) == [], f"{what}: {api.transcript()}"

    other = 299
    api.user(other, "en")
    api.send_photo(other, photo(320, 256, seed=4))
    api.send_photo(other, photo(128, 128, seed=5))
    [result] = stack.wait("another chat's result", lambda: api.results(other))
    assert result.is_photo and size_of(result.data) == (320, 256)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)
    for what, *_ in BAD_INPUTS:
        assert api.results(chats[what]) == [], f"{what}: {api.transcript()}"
    stack.check_alive()


def test_forty_chats_at_once_each_get_one_result(
    stack: Stack, figure: Callable[[str], None]
) -> None:
    api = stack.api
    chats = list(range(1001, 1001 + LOAD_CHATS))
    contents = {chat: photo(384, 256, seed=chat) for chat in chats}
    styles = [photo(128, 128, seed=s) for s in range(4)]  # a few styles many people like
    for chat in chats:
        api.user(chat, "ru" if chat % 5 == 0 else "en")

    style_sent: dict[int, float] = {}
    for chat in chats:  # all within a few seconds, each pair back to back
        api.send_photo(chat, contents[chat])
        api.send_photo(chat, styles[chat % len(styles)])
        style_sent[chat] = time.monotonic()
        time.sleep(0.05)

    arrived: dict[int, float] = {}

    def all_arrived() -> bool:
        now = time.monotonic()
        for m in api.messages():
            if (m.is_photo or m.is_document) and m.chat_id in style_sent:
                arrived.setdefault(m.chat_id, now)
        return len(arrived) == len(chats)

    stack.wait("every chat's result", all_arrived, timeout=240)
    stack.wait("every delivery to be acknowledged", stack.all_delivered)

    positions = {}
    for chat in chats:
        results = api.results(chat)
        assert len(results) == 1, f"chat {chat} got {len(results)} results"
        assert results[0].is_photo and size_of(results[0].data) == (384, 256)
        statuses = queue_statuses(api, chat, "ru" if chat % 5 == 0 else "en")
        assert len(statuses) == 1, f"chat {chat} saw no queue position: {api.texts(chat)}"
        assert statuses[0].message.deleted
        positions[chat] = max(statuses[0].ahead)
        assert positions[chat] < LOAD_CHATS

    waits = sorted(arrived[c] - style_sent[c] for c in chats)
    p50 = statistics.median(waits)
    p95 = statistics.quantiles(waits, n=20, method="inclusive")[18]
    sent_over = max(style_sent.values()) - min(style_sent.values())
    engine = re.search(r"model loaded on \S+ \((.+?)\)", stack.workers["worker-a"].log)
    figure(
        f"load: {LOAD_CHATS} chats in {sent_over:.1f} s, 2 CPU workers "
        f"({engine.group(1) if engine else 'engine not logged'}), 384x256 photos, "
        f"longest queue shown: {max(positions.values())} ahead\n"
        f"  style photo -> result |   p50   |   p95   |   max\n"
        f"  seconds               | {p50:7.2f} | {p95:7.2f} | {waits[-1]:7.2f}"
    )
