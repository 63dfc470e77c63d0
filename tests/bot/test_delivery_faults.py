"""Flood control is waited out; a user who blocked the bot stops no one else."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramUnauthorizedError

from tests.bot.harness import BotHarness, picture
from tests.fakes.bot_api import FakeBotAPI

A, B = 5001, 5002


async def queue_pair(api: FakeBotAPI, harness: BotHarness, chat: int) -> tuple[str, dict]:
    api.send_photo(chat, picture(seed=chat))
    api.send_photo(chat, picture(seed=chat + 1))
    return await harness.next_job()


async def test_flood_control_is_waited_out_and_retried(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.flood("sendPhoto", A, times=1, retry_after=1)
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)
    assert [c.status for c in api.calls("sendPhoto", A)] == [429, 200]
    assert len(api.photos(A)) == 1


async def test_blocked_user_is_dropped_and_others_still_served(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_a, request_a = await queue_pair(api, harness, A)
    job_b, request_b = await queue_pair(api, harness, B)
    api.block(A)
    harness.finish_job(job_a, request_a)
    harness.finish_job(job_b, request_b)
    await api.until(lambda: api.photos(B))
    await api.until(harness.all_delivered)
    assert api.photos(A) == []
    assert [c.status for c in api.calls("sendPhoto", A)] == [403]


async def test_chat_not_found_is_dropped(api: FakeBotAPI, harness: BotHarness) -> None:
    job_a, request_a = await queue_pair(api, harness, A)
    job_b, request_b = await queue_pair(api, harness, B)
    api.fail("sendPhoto", chat_id=A, times=None, description="Bad Request: chat not found")
    harness.finish_job(job_a, request_a)
    harness.finish_job(job_b, request_b)
    await api.until(lambda: api.photos(B))
    await api.until(harness.all_delivered)
    assert len(api.calls("sendPhoto", A)) == 1


async def test_bot_api_outage_is_retried(api: FakeBotAPI, harness: BotHarness) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.fail("sendPhoto", chat_id=A, status=502, description="Bad Gateway")
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    assert [c.status for c in api.calls("sendPhoto", A)] == [502, 200]


async def test_photo_refused_by_telegram_goes_as_file(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.fail("sendPhoto", chat_id=A, description="Bad Request: PHOTO_INVALID_DIMENSIONS")
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.results(A))
    assert result.is_document


async def test_revoked_token_stops_the_bot(api: FakeBotAPI, harness: BotHarness) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.token = "111:AARevokedRevokedRevokedRevoked"  # the old token now gets 401
    harness.finish_job(job_id, request)
    with pytest.raises(TelegramUnauthorizedError):
        await harness.stop()  # run() ends on its own with the delivery loop's error
    assert harness.pending_deliveries() == 1  # not acknowledged: delivered by the next run
