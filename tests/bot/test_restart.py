"""A restart loses no half-made pair and no unsent result."""

from __future__ import annotations

from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI
from worker import contract

CHAT = 2002


async def test_restart_between_content_and_style_completes_the_pair(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    content = api.send_photo(CHAT, picture(seed=1))
    await api.until(lambda: text("got-content") in api.texts(CHAT))
    await harness.restart()
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    assert request["content_key"] == contract.image_key(content["photo"][-1]["file_unique_id"])


async def test_delivery_read_before_a_crash_is_sent_after_restart_once(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.send_photo(CHAT, picture(seed=1))
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    await harness.stop()
    harness.finish_job(job_id, request)
    # The stopped bot's consumer reads the entry and "dies" before acknowledging it.
    consumer = harness.config().delivery_consumer
    harness.redis.xreadgroup(
        contract.DELIVERY_GROUP, consumer, {contract.DELIVERY_STREAM: ">"}, count=1
    )
    assert harness.pending_deliveries() == 1

    await harness.start()
    await api.until(lambda: api.photos(CHAT))
    await api.until(harness.all_delivered)
    await harness.restart()
    api.send_text(CHAT, "/help")  # a round trip: the restarted bot is up and has read the stream
    await api.until(lambda: text("help") in api.texts(CHAT))
    assert len(api.photos(CHAT)) == 1


async def test_a_job_announced_twice_is_sent_once(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_photo(CHAT, picture(seed=1))
    api.send_photo(CHAT, picture(seed=2))
    job_id, request = await harness.next_job()
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(CHAT))
    harness.finish_job(job_id, request)  # e.g. a worker lost after XADD re-ran the job
    await api.until(harness.all_delivered)
    assert len(api.photos(CHAT)) == 1
