"""Group chats: the bot answers only what is addressed to it, as replies, member by member."""

from __future__ import annotations

from pathlib import Path

from bot.callbacks import GroupPresetChoice, ResultAction, ResultButton
from tests.bot.harness import BotHarness, picture, preset_key, text, write_presets
from tests.fakes.bot_api import FakeBotAPI

GROUP = -1001234
ANNA, BORIS = 5101, 5102


def in_group(api: FakeBotAPI) -> None:
    api.group(GROUP)
    api.user(ANNA, "en", "Anna")
    api.user(BORIS, "ru", "Boris")


async def test_ordinary_photos_and_texts_get_no_answer(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    in_group(api)
    api.send_photo(GROUP, picture(seed=1), sender=ANNA)
    api.send_text(GROUP, "nice photo!", sender=BORIS)
    api.send_photo(GROUP, picture(seed=2), sender=BORIS)  # a second picture is no style either
    api.send_text(GROUP, "/help@adain_test_bot", sender=ANNA)  # then something it answers
    await api.until(lambda: text("group-help") in api.texts(GROUP))
    assert api.texts(GROUP) == [text("group-help")]
    assert harness.queued() == []
    menu = api.scoped_commands[("all_group_chats", "")]  # members see only what works there
    assert [c["command"] for c in menu] == ["style", "help"]


async def test_a_reply_with_a_style_picture_gives_one_result_for_that_member_only(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    in_group(api)
    photo = api.send_photo(GROUP, picture(seed=1), sender=BORIS)
    ask = api.send_photo(
        GROUP, picture(seed=2), caption="/style", sender=ANNA, reply_to=photo["message_id"]
    )
    request, result = await harness.deliver_next(GROUP)
    assert result.reply_to == ask["message_id"]  # a reply to Anna's request
    assert len(api.results(GROUP)) == 1
    assert request["reply"]["user"] == ANNA
    queued = [m for m in api.messages(GROUP) if text("queued", ahead=0) in m.texts]
    assert len(queued) == 1 and queued[0].reply_to == ask["message_id"]  # one status, edited
    assert queued[0].deleted

    stronger = result.button(text("btn-stronger"))
    assert ResultButton.unpack(stronger).action is ResultAction.STRONGER
    api.press(GROUP, result.message_id, stronger, sender=BORIS)  # not Boris's to change
    await api.until(lambda: api.calls("answerCallbackQuery"))
    [refusal] = api.calls("answerCallbackQuery")
    assert refusal.params.get("text") == text("not-yours", "ru")
    assert harness.queued() == []

    api.press(GROUP, result.message_id, stronger, sender=ANNA)
    again, second = await harness.deliver_next(GROUP)
    assert again["alpha"] > request["alpha"]
    assert second.reply_to == ask["message_id"]
    assert len(api.results(GROUP)) == 2


async def test_style_and_a_name_in_reply_to_a_photo_gives_that_preset(
    api: FakeBotAPI, harness: BotHarness, styles_dir: Path
) -> None:
    files = write_presets(styles_dir)
    in_group(api)
    photo = api.send_photo(GROUP, picture(seed=1), sender=ANNA)
    ask = api.send_text(
        GROUP, "/style@adain_test_bot starry night", sender=BORIS, reply_to=photo["message_id"]
    )
    request, result = await harness.deliver_next(GROUP)
    assert request["styles"] == [{"key": preset_key(files["starry_night.jpg"]), "weight": 1.0}]
    assert result.reply_to == ask["message_id"]

    api.send_text(GROUP, "/style Sunflowers", sender=ANNA, reply_to=photo["message_id"])
    told = text("group-no-preset", name="Sunflowers", presets="Starry night, The scream")
    await api.until(lambda: told in api.texts(GROUP))


async def test_style_alone_shows_the_presets_to_the_member_who_asked(
    api: FakeBotAPI, harness: BotHarness, styles_dir: Path
) -> None:
    files = write_presets(styles_dir)
    in_group(api)
    photo = api.send_photo(GROUP, picture(seed=1), sender=ANNA)
    ask = api.send_text(GROUP, "/style", sender=ANNA, reply_to=photo["message_id"])
    gallery = await api.until(
        lambda: next((m for m in api.messages(GROUP) if m.text == text("presets-title")), None)
    )
    assert gallery.reply_to == ask["message_id"]
    assert GroupPresetChoice.unpack(gallery.button("The scream")).user == ANNA
    api.press(GROUP, gallery.message_id, gallery.button("The scream"), sender=BORIS)
    await api.until(lambda: api.calls("answerCallbackQuery"))
    assert harness.queued() == []
    api.press(GROUP, gallery.message_id, gallery.button("The scream"), sender=ANNA)
    request, result = await harness.deliver_next(GROUP)
    assert request["styles"] == [{"key": preset_key(files["the-scream.png"]), "weight": 1.0}]
    assert result.reply_to == ask["message_id"]


async def test_members_have_a_job_each_and_a_migrated_group_still_gets_its_answer(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    in_group(api)
    photo = api.send_photo(GROUP, picture(seed=1), sender=ANNA)
    for member, seed in ((ANNA, 2), (BORIS, 3)):
        api.send_photo(
            GROUP, picture(seed=seed), caption="@adain_test_bot", sender=member,
            reply_to=photo["message_id"],
        )  # fmt: skip
    await api.until(lambda: len(harness.queued()) == 2)  # one each: neither is "busy"
    assert text("busy-chat") not in api.texts(GROUP)
    api.migrate(GROUP, GROUP - 1)
    for job_id, request in harness.queued():
        harness.queue.remove(job_id)
        harness.finish_job(job_id, request)
    await api.until(lambda: len(api.results(GROUP - 1)) == 2)
    await api.until(harness.all_delivered)


async def test_flood_control_in_a_group_delays_the_answer_and_loses_nothing(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    in_group(api)
    photo = api.send_photo(GROUP, picture(seed=1), sender=ANNA)
    api.send_photo(
        GROUP, picture(seed=2), caption="/style", sender=ANNA, reply_to=photo["message_id"]
    )
    api.flood("sendPhoto", chat_id=GROUP, retry_after=1)  # Telegram's ~20 messages a minute
    _request, result = await harness.deliver_next(GROUP)
    assert [c.status for c in api.calls("sendPhoto", GROUP)] == [429, 200]
    assert result.reply_to is not None


async def test_style_not_in_reply_to_a_photo_says_how(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    in_group(api)
    words = api.send_text(GROUP, "look", sender=BORIS)
    ask = api.send_text(GROUP, "/style", sender=ANNA, reply_to=words["message_id"])
    told = await api.until(
        lambda: next(
            (m for m in api.messages(GROUP) if m.text == text("group-reply-to-photo")), None
        )
    )
    assert told.reply_to == ask["message_id"] and harness.queued() == []
