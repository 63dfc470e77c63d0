"""The inbox and the webhook endpoint against a real Redis: an update is kept once, handed out
until it is done, and a webhook request is refused without the secret token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.intake.inbox import STREAM, UpdateInbox
from bot.intake.webhook import SECRET_HEADER, WebhookIntake, shared_secret
from tests.conftest import free_port


def update(update_id: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0,
                                                "chat": {"id": 7, "type": "private"}}}  # fmt: skip


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def inbox(redis: Redis) -> UpdateInbox:
    inbox = UpdateInbox(redis)
    await inbox.group.ensure()
    return inbox


async def test_an_update_sent_twice_is_kept_once(inbox: UpdateInbox) -> None:
    assert await inbox.record(update(10)) is True
    assert await inbox.record(update(10)) is False  # Telegram's repeat after a lost answer
    assert await inbox.record(update(11)) is True
    assert [e.update_id for e in await inbox.new(10, block_ms=10)] == [10, 11]
    assert await inbox.new(10, block_ms=10) == []


async def test_an_update_stays_until_done_and_not_after(inbox: UpdateInbox, redis: Redis) -> None:
    await inbox.record(update(20))
    [entry] = await inbox.new(10, block_ms=10)
    assert [e.update for e in await inbox.pending()] == [update(20)]  # a restart finds it
    await inbox.done(entry)
    assert await inbox.pending() == [] and await redis.xlen(STREAM) == 0
    assert await inbox.record(update(20)) is False  # and never takes it again


@pytest.fixture
async def webhook(inbox: UpdateInbox) -> AsyncIterator[str]:
    port = free_port()
    intake = WebhookIntake(inbox, "s3cret", "/telegram/webhook", port)
    await intake.start()
    yield f"http://127.0.0.1:{port}/telegram/webhook"
    await intake.stop()


@pytest.mark.parametrize("given", [None, "wrong", "s3cret-and-more", ""])
async def test_a_webhook_request_without_the_secret_is_refused_and_kept_by_nobody(
    webhook: str, redis: Redis, given: str | None
) -> None:
    headers = {} if given is None else {SECRET_HEADER: given}
    async with aiohttp.ClientSession() as http:
        async with http.post(webhook, json=update(30), headers=headers) as answer:
            assert answer.status == 401
    assert await redis.xlen(STREAM) == 0


async def test_a_webhook_update_is_answered_200_once_recorded(
    webhook: str, inbox: UpdateInbox
) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # Telegram sends it again when it missed the first answer
            async with http.post(webhook, json=update(31), headers={SECRET_HEADER: "s3cret"}) as a:
                assert a.status == 200
        async with http.post(webhook, data=b"{", headers={SECRET_HEADER: "s3cret"}) as a:
            assert a.status == 400
    assert [e.update_id for e in await inbox.new(10, block_ms=10)] == [31]


async def test_replicas_share_one_generated_secret(redis: Redis) -> None:
    first, second = await shared_secret(redis, None), await shared_secret(redis, None)
    assert first == second and len(first) >= 32
    assert await shared_secret(redis, "from-the-config") == "from-the-config"
