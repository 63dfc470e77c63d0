"""Content then style → a job under the worker's contract → the result, acked."""

from __future__ import annotations

from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI
from worker import contract

CHAT = 1001


def unique_id(message: dict) -> str:
    if "photo" in message:
        return message["photo"][-1]["file_unique_id"]
    return message["document"]["file_unique_id"]


async def test_pair_is_queued_shown_delivered_and_acknowledged(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.user(CHAT)
    content = picture(80, 60, seed=1)
    sent_content = api.send_photo(CHAT, content)
    await api.until(lambda: text("got-content") in api.texts(CHAT))
    sent_style = api.send_photo(CHAT, picture(50, 50, seed=2))

    job_id, request = await harness.next_job()
    status = (await api.until(lambda: api.messages(CHAT)))[-1]
    assert request == {
        "chat_id": CHAT,
        "content_key": contract.image_key(unique_id(sent_content)),
        "styles": [{"key": contract.image_key(unique_id(sent_style)), "weight": 1.0}],
        "alpha": 0.8,
        "preserve_color": False,
        "size": 512,
        "style_size": 512,
        "stroke": 1.0,
        "output_format": "jpeg",
        "media": "picture",
        "duration": 0.0,
        "fps": 24,
        "reply": {
            "locale": "en",
            "as_document": False,
            "reply_to": 0,
            "user": 0,
            "inline_message_id": "",
        },  # fmt: skip
    }
    assert harness.redis.get(request["content_key"]) == content
    assert 0 < harness.redis.ttl(request["content_key"]) <= contract.INPUT_TTL
    assert status.text == text("queued", ahead=0)

    harness.start_job(job_id)
    await api.until(lambda: text("working") in api.texts(CHAT))
    await api.until(lambda: "upload_photo" in api.actions(CHAT))

    result = picture(80, 60, seed=3)
    harness.finish_job(job_id, request, result, size=(80, 60))
    [photo] = await api.until(lambda: api.photos(CHAT))
    assert photo.data == result
    labels = [label for label, _ in photo.buttons]
    for label in ("btn-weaker", "btn-stronger", "btn-keep-colours", "btn-swap", "btn-restyle"):
        assert text(label) in labels
    await api.until(lambda: harness.pending_deliveries() == 0)
    await api.until(lambda: api.messages(CHAT)[-2].deleted)  # the status message is gone
    assert not harness.redis.exists(contract.result_key(job_id))


async def test_queue_position_counts_the_jobs_ahead(api: FakeBotAPI, harness: BotHarness) -> None:
    for chat in (1, 2, 3):
        api.send_photo(chat, picture(seed=chat))
        api.send_photo(chat, picture(seed=10 + chat), caption="style")
        await api.until(lambda chat=chat: len(harness.queued()) == chat)
    assert api.messages(3)[-1].text == text("queued", ahead=2)
    first, request = await harness.next_job()  # a worker takes chat 1's job
    await api.until(lambda: api.messages(3)[-1].texts[-1] == text("queued", ahead=1))


async def test_file_keeps_full_resolution_and_comes_back_as_file(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.send_document(CHAT, picture(seed=1, fmt="PNG"), "photo.png", "image/png")
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    assert request["size"] == 0
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.results(CHAT))
    assert result.is_document


async def test_result_beyond_photo_limits_goes_as_file(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.send_photo(CHAT, picture(seed=1))
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    harness.finish_job(job_id, request, picture(seed=3), size=(9000, 1500))  # w + h > 10000
    [result] = await api.until(lambda: api.results(CHAT))
    assert result.is_document


async def test_album_of_two_is_content_then_style(api: FakeBotAPI, harness: BotHarness) -> None:
    first, second = api.send_album(CHAT, [picture(seed=1), picture(seed=2)])
    job_id, request = await harness.next_job()
    assert request["content_key"] == contract.image_key(unique_id(first))
    assert request["styles"] == [{"key": contract.image_key(unique_id(second)), "weight": 1.0}]
    assert text("got-content") not in api.texts(CHAT)


async def test_caption_style_marks_the_style_in_either_language(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    style = api.send_photo(CHAT, picture(seed=1), caption="Стиль")
    await api.until(lambda: text("got-style") in api.texts(CHAT))
    content = api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    assert request["content_key"] == contract.image_key(unique_id(content))
    assert request["styles"][0]["key"] == contract.image_key(unique_id(style))


async def test_worker_error_reaches_the_user(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_photo(CHAT, picture(seed=1))
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    harness.finish_job(job_id, request, error="broken")
    await api.until(lambda: text("error-broken") in api.texts(CHAT))
    await api.until(lambda: harness.pending_deliveries() == 0)
    # the chat is free again: a new pair is accepted
    api.send_photo(CHAT, picture(seed=3))
    api.send_photo(CHAT, picture(seed=4))
    await harness.next_job()


async def test_pairs_sent_back_to_back_keep_their_order(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    chats = range(20, 28)
    contents = {}
    for chat in chats:  # both photos of every chat land in the same getUpdates answer
        contents[chat] = api.send_photo(chat, picture(seed=chat))
        api.send_photo(chat, picture(seed=100 + chat))
    jobs = await api.until(lambda: len(harness.queued()) == len(chats) and harness.queued())
    for _, request in jobs:
        expected = contents[request["chat_id"]]
        assert request["content_key"] == contract.image_key(unique_id(expected))
