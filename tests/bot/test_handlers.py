"""Rules of single handlers, through the bot's own dispatcher with a recording session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot

from bot.app import BotApp
from bot.callbacks import (
    MixAction,
    MixButton,
    ResultAction,
    ResultButton,
    SettingChoice,
    SettingField,
)
from bot.chat_state import ChatData, ChatState, Content, MixEntry, Style
from bot.config import BotConfig
from tests.bot.harness import text
from tests.bot.recording import CHAT, RecordingSession, message_update, press_update

TOKEN = "42:handler-tests"


@pytest.fixture
async def app(redis_url: str, tmp_path: Path) -> AsyncIterator[BotApp]:
    config = BotConfig(bot_token=TOKEN, redis_url=redis_url, styles_dir=tmp_path)
    app = BotApp(config)
    yield app
    await app.dispatcher.storage.close()
    await app.redis.aclose()
    app.sync_redis.close()


@pytest.fixture
def session() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
def bot(session: RecordingSession) -> Bot:
    return Bot(TOKEN, session=session)


def chat_state(app: BotApp, bot: Bot) -> ChatState:
    fsm = app.dispatcher.fsm.get_context(bot, chat_id=CHAT, user_id=CHAT)
    return ChatState(fsm, app.config.photo_size)


@pytest.mark.parametrize(
    "data",
    [
        SettingChoice(field=SettingField.ALPHA, value="abc").pack(),
        SettingChoice(field=SettingField.ALPHA, value="0.3").pack(),  # not one of the steps
        SettingChoice(field=SettingField.SIZE, value="777").pack(),
        SettingChoice(field=SettingField.COLORS, value="yes").pack(),
        "s:volume:11",
        ResultButton(action=ResultAction.WEAKER, job="j").pack().replace("weaker", "explode"),
        MixButton(action=MixAction.GO).pack().replace("go", "boom"),
        "no-such-button",
    ],
)
async def test_forged_button_data_is_answered_and_changes_nothing(
    app: BotApp, bot: Bot, session: RecordingSession, data: str
) -> None:
    state = chat_state(app, bot)
    before = ChatData(content=Content(key="c"), alpha=0.6, mix=(MixEntry(key="m"),))
    await state.save(before)

    await app.dispatcher.feed_update(bot, press_update(data))

    assert [r.__api_method__ for r in session.requests] == ["answerCallbackQuery"]
    assert await state.load() == before


async def test_a_setting_button_stores_its_choice(
    app: BotApp, bot: Bot, session: RecordingSession
) -> None:
    press = SettingChoice(field=SettingField.SIZE, value="0").pack()
    await app.dispatcher.feed_update(bot, press_update(press))

    assert (await chat_state(app, bot).settings()).size == 0
    [answer] = session.named("answerCallbackQuery")
    assert answer.text == text("settings-saved")  # type: ignore[attr-defined]


async def test_new_forgets_the_pictures_and_keeps_the_settings(
    app: BotApp, bot: Bot, session: RecordingSession
) -> None:
    state = chat_state(app, bot)
    await state.save(ChatData(content=Content(key="c"), styles=(Style(key="s"),), alpha=0.4))

    await app.dispatcher.feed_update(bot, message_update("/new"))

    assert await state.load() == ChatData(alpha=0.4)
    assert session.texts() == [text("new-done")]


async def test_mix_weights_stay_between_one_and_five(
    app: BotApp, bot: Bot, session: RecordingSession
) -> None:
    state = chat_state(app, bot)
    await state.save(ChatData(mix=(MixEntry(key="a", weight=5), MixEntry(key="b", weight=1))))
    more_a = MixButton(action=MixAction.MORE, index=0).pack()
    less_b = MixButton(action=MixAction.LESS, index=1).pack()

    for data in (more_a, less_b):
        await app.dispatcher.feed_update(bot, press_update(data))

    mix = await state.mix()
    assert mix is not None and [entry.weight for entry in mix] == [5, 1]


async def test_a_button_under_a_forgotten_result_asks_for_the_pictures(
    app: BotApp, bot: Bot, session: RecordingSession
) -> None:
    press = ResultButton(action=ResultAction.STRONGER, job="long-gone").pack()
    await app.dispatcher.feed_update(bot, press_update(press))

    assert session.texts() == [text("result-expired")]
    assert len(session.named("answerCallbackQuery")) == 1


async def test_a_file_that_is_not_a_picture_is_refused_in_words(
    app: BotApp, bot: Bot, session: RecordingSession
) -> None:
    document = {"file_id": "f", "file_unique_id": "u", "file_name": "a.txt",
                "mime_type": "text/plain"}  # fmt: skip
    await app.dispatcher.feed_update(bot, message_update(document=document))

    assert session.texts() == [text("not-image", what=text("what-named-file", name="a.txt"))]
    assert await chat_state(app, bot).load() == ChatData()
