"""A Bot API that answers something other than its JSON (a proxy's HTML 502, an empty or a
cut-off body), and a webhook left set by a run in webhook mode: the bot rides them out."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.bot.harness import BotHarness, picture, text
from tests.conftest import free_port
from tests.fakes.bot_api import FakeBotAPI

A = 8101
# Answers a proxy or a restarting server gives instead of the Bot API's: (status, body).
NOT_JSON = {
    "html 502": (502, None),  # nginx's page, the default of ``not_json``
    "empty 200": (200, ""),
    "truncated 200": (200, '{"ok":true,"result":{"message_id":7,"chat":{"id"'),
    "text 503": (503, "Service Temporarily Unavailable"),
}


def garble(api: FakeBotAPI, method: str, kind: str, chat_id: int | None = None) -> None:
    status, body = NOT_JSON[kind]
    if body is None:
        api.not_json(method, status=status, chat_id=chat_id)
    else:
        api.not_json(method, body, status=status, chat_id=chat_id)


async def test_html_502_on_get_updates_and_on_send_photo_the_result_arrives_once(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.not_json("getUpdates")  # the poll after the one in flight
    api.send_photo(A, picture(seed=1))
    await api.until(lambda: text("got-content") in api.texts(A))
    api.send_photo(A, picture(seed=2))
    job_id, request = await harness.next_job()
    api.not_json("sendPhoto", chat_id=A)
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)

    assert 502 in [c.status for c in api.calls("getUpdates")]
    assert [c.status for c in api.calls("sendPhoto", A)] == [502, 200]
    assert len(api.photos(A)) == 1  # exactly once
    assert not harness.run_ended()  # the bot is still running
    api.send_text(A, "/help")
    await api.until(lambda: text("help") in api.texts(A))


@pytest.mark.parametrize("kind", list(NOT_JSON))
async def test_a_result_answered_with_anything_but_bot_api_json_is_sent_again(
    api: FakeBotAPI, harness: BotHarness, kind: str
) -> None:
    api.send_photo(A, picture(seed=1))
    api.send_photo(A, picture(seed=2))
    job_id, request = await harness.next_job()
    garble(api, "sendPhoto", kind, chat_id=A)
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)
    assert len(api.photos(A)) == 1
    assert not harness.run_ended()


@pytest.mark.parametrize("kind", ["html 502", "truncated 200"])
async def test_a_handlers_reply_and_a_status_edit_ride_out_a_bad_answer(
    api: FakeBotAPI, harness: BotHarness, kind: str
) -> None:
    garble(api, "sendMessage", kind, chat_id=A)
    api.send_photo(A, picture(seed=1))
    await api.until(lambda: text("got-content") in api.texts(A))
    assert api.texts(A).count(text("got-content")) == 1
    api.send_photo(A, picture(seed=2))
    job_id, request = await harness.next_job()
    garble(api, "editMessageText", kind, chat_id=A)
    harness.start_job(job_id)
    await api.until(lambda: text("working") in api.texts(A))
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    assert not harness.run_ended()


async def test_a_webhook_left_set_is_removed_and_its_pending_updates_are_served(
    api: FakeBotAPI, redis_url: str, styles_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The last run was in webhook mode; its address answers no more.
    gone = f"http://127.0.0.1:{free_port()}/telegram/webhook"
    assert api.answer("setwebhook", {"url": gone}, {})[0] == 200
    api.send_photo(A, picture(seed=1))  # waits with Telegram for that webhook
    caplog.set_level(logging.WARNING, logger="bot.intake.polling")
    harness = BotHarness(api, redis_url, styles_dir)
    await harness.start()
    try:
        await api.until(lambda: text("got-content") in api.texts(A))  # the update kept
        api.send_photo(A, picture(seed=2))
        job_id, request = await harness.next_job()
        harness.finish_job(job_id, request)
        await api.until(lambda: api.photos(A))
        assert api.webhook is None
        [delete] = api.calls("deleteWebhook")
        assert delete.params.get("drop_pending_updates") in (None, False)
        assert "removed the webhook left set at the Bot API (to 127.0.0.1:" in caplog.text
        assert not harness.run_ended()
    finally:
        await harness.stop()
        harness.close()
