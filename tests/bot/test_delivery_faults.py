"""Every answer the Bot API can give a delivery, a status update or a press, and what the
user then sees (the table in docs/bot.md)."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramUnauthorizedError

from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_types import Refusal, SentMessage
from worker import contract

A, B = 5001, 5002


def message(api: FakeBotAPI, chat: int, message_id: int) -> SentMessage:
    return next(m for m in api.messages(chat) if m.message_id == message_id)


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
    await api.until(harness.run_ended)  # the delivery loop's first 401 ends the run by itself
    with pytest.raises(TelegramUnauthorizedError):
        await harness.stop()  # run() ends on its own with the delivery loop's error
    assert harness.pending_deliveries() == 1  # not acknowledged: delivered by the next run


@pytest.mark.parametrize(
    "refusal",
    [
        Refusal.IMAGE_PROCESS_FAILED,
        Refusal.PHOTO_INVALID_DIMENSIONS,
        Refusal.PHOTO_SAVE_FILE_INVALID,
    ],
)
async def test_a_photo_telegram_refuses_goes_as_a_file(
    api: FakeBotAPI, harness: BotHarness, refusal: Refusal
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.refuse("sendPhoto", refusal, chat_id=A)
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.results(A))
    await api.until(harness.all_delivered)
    assert result.is_document and result.buttons  # the buttons come along
    assert [c.status for c in api.calls("sendPhoto", A)] == [400]


async def test_a_result_telegram_refuses_for_good_is_explained_in_the_users_language(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.user(A, language_code="ru")
    job_id, request = await queue_pair(api, harness, A)
    status = api.messages(A)[-1]
    api.fail("sendPhoto", chat_id=A, description="Bad Request: wrong file identifier")
    harness.finish_job(job_id, request)
    await api.until(lambda: text("result-not-sent", "ru") in api.texts(A))
    await api.until(harness.all_delivered)
    assert api.results(A) == []
    assert message(api, A, status.message_id).deleted  # no "working…" left behind
    queue_pair_again = await queue_pair(api, harness, A)  # the chat is free for the next pair
    assert queue_pair_again


@pytest.mark.parametrize("refusal", [Refusal.BOT_BLOCKED, Refusal.USER_DEACTIVATED])
async def test_a_chat_that_cannot_be_written_to_is_dropped_quietly(
    api: FakeBotAPI, harness: BotHarness, refusal: Refusal
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.refuse(None, refusal, chat_id=A, times=None)
    harness.finish_job(job_id, request)
    await api.until(harness.all_delivered)
    refused = [c.method for c in api.calls(chat_id=A) if c.status == 403]
    # one try at the result and nothing more sent to that chat; the status loop may still try
    # to edit its status message once, which Telegram refuses the same way
    assert refused.count("sendphoto") == 1, refused
    assert set(refused) <= {"sendphoto", "editmessagetext"}, refused
    assert not harness.redis.exists(contract.result_key(job_id))  # nothing left behind


async def test_a_press_telegram_calls_too_old_is_still_carried_out(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)
    api.refuse("answerCallbackQuery", Refusal.QUERY_TOO_OLD)
    api.press_button(result, text("btn-stronger"))
    _, rerun = await harness.next_job()
    assert rerun["alpha"] == 1.0
    assert [c.status for c in api.calls("answerCallbackQuery")] == [400]


async def test_status_message_deleted_by_the_user_comes_back_and_is_removed_at_the_end(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    first_status = api.messages(A)[-1]
    api.refuse("editMessageText", Refusal.MESSAGE_TO_EDIT_NOT_FOUND, chat_id=A)
    harness.start_job(job_id)
    await api.until(lambda: text("working") in api.texts(A)[-1:])
    new_status = api.messages(A)[-1]
    assert new_status.message_id != first_status.message_id
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(lambda: message(api, A, new_status.message_id).deleted)


async def test_a_file_result_shows_the_upload_document_action(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    api.send_document(A, picture(seed=1), "photo.png", "image/png")
    api.send_photo(A, picture(seed=2))
    job_id, request = await harness.next_job()
    harness.start_job(job_id)
    await api.until(lambda: "upload_document" in api.actions(A))
    assert "upload_photo" not in api.actions(A)


async def test_deleting_a_status_message_that_is_already_gone_is_harmless(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.refuse("deleteMessage", Refusal.MESSAGE_TO_DELETE_NOT_FOUND, chat_id=A)
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)
    assert await queue_pair(api, harness, A)  # the chat is free again


async def test_a_photo_too_large_for_telegram_goes_as_a_file(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.fail("sendPhoto", chat_id=A, status=413, description="Request Entity Too Large")
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.results(A))
    await api.until(harness.all_delivered)
    assert result.is_document and result.buttons  # the same picture, with its buttons
    assert [c.status for c in api.calls("sendPhoto", A)] == [413]


async def test_a_status_edit_telegram_calls_unchanged_is_ignored(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    job_id, request = await queue_pair(api, harness, A)
    status = api.messages(A)[-1]
    api.refuse("editMessageText", Refusal.MESSAGE_NOT_MODIFIED, chat_id=A)
    harness.start_job(job_id)
    await api.until(lambda: api.calls("editMessageText", A))
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)
    assert 400 in [c.status for c in api.calls("editMessageText", A)]
    assert message(api, A, status.message_id).deleted  # the same status message, removed
    assert len(api.photos(A)) == 1


async def test_a_network_error_is_retried(api: FakeBotAPI, harness: BotHarness) -> None:
    job_id, request = await queue_pair(api, harness, A)
    api.drop("sendPhoto", A)  # the connection breaks before Telegram answers
    harness.finish_job(job_id, request)
    await api.until(lambda: api.photos(A))
    await api.until(harness.all_delivered)
    assert [c.status for c in api.calls("sendPhoto", A)] == [0, 200]  # no answer, then sent
    assert len(api.photos(A)) == 1
