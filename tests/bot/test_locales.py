"""Every text in English and Russian; the conversation walked in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from tests.bot.harness import BotHarness, picture, text
from tests.fakes.bot_api import FakeBotAPI

KEYWORDS = {"_": None, "__": None, "gettext": None, "lazy_gettext": None}


def catalogue(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale=locale) if m.id}


def used_ids() -> set[str]:
    bot_dir = Path(__file__).parents[2] / "bot"
    found = extract_from_dir(bot_dir, [("**.py", "python")], keywords=KEYWORDS)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_message_id_has_english_and_russian_text() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    used = used_ids()
    assert used, "no message ids found in bot/"
    assert used - en.keys() == set(), "ids used in code but missing from the catalogues"
    assert en.keys() - used == set(), "ids in the catalogues that no code uses"
    assert en.keys() == ru.keys()
    for message_id in en:
        assert en[message_id].strip() and ru[message_id].strip(), message_id
        fields = [set(re.findall(r"{(\w+)}", c[message_id])) for c in (en, ru)]
        assert fields[0] == fields[1], f"placeholders of {message_id} differ"


@pytest.mark.parametrize("locale", ["en", "ru"])
async def test_conversation_in_the_users_language(
    api: FakeBotAPI, harness: BotHarness, locale: str
) -> None:
    chat = 6000 + len(locale)
    api.user(chat, language_code=locale)

    async def says(message_id: str, **fields: object) -> None:
        expected = text(message_id, locale, **fields)
        await api.until(lambda: expected in api.texts(chat))

    for command, reply in [("/start", "start"), ("/help", "help"), ("/styles", "presets-none")]:
        api.send_text(chat, command)
        await says(reply)
    api.send_text(chat, "hello")
    await says("text-hint")
    api.send_raw(chat, {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular",
                                    "width": 1, "height": 1, "is_animated": False,
                                    "is_video": False}})  # fmt: skip
    await says("unsupported", what=text("what-sticker", locale))
    api.send_document(chat, b"plain text", "notes.txt", "text/plain")
    await says("not-image", what=text("what-named-file", locale, name="notes.txt"))

    api.send_photo(chat, picture(seed=1))
    await says("got-content")
    api.send_text(chat, "and now?")
    await says("waiting-style")  # what comes next, not the first hint again
    api.send_photo(chat, picture(seed=2))
    await says("queued", ahead=0)
    job_id, request = await harness.next_job()
    assert request["reply"]["locale"] == locale
    harness.start_job(job_id)
    await says("working")
    harness.finish_job(job_id, request)
    [result] = await api.until(lambda: api.photos(chat))
    labels = [label for label, _ in result.buttons]
    for message_id in ("btn-weaker", "btn-stronger", "btn-keep-colours", "btn-swap"):
        assert text(message_id, locale) in labels
    await api.until(harness.all_delivered)

    api.press_button(result, text("btn-stronger", locale))
    job_id, request = await harness.next_job()
    harness.finish_job(job_id, request, error="too_large")
    await says("error-too_large")
    await api.until(harness.all_delivered)

    api.send_text(chat, "/new")
    await says("new-done")
    api.send_photo(chat, picture(seed=3), caption="style")
    await says("got-style")
    api.send_text(chat, "/mix")
    await says("mix-start")
    api.send_text(chat, "/settings")
    await says("settings-title", strength=80, colors=text("off", locale),
               size=text("size-px", locale, px=512), stroke="×1")  # fmt: skip
    assert text("btn-colours-setting", locale, state=text("off", locale)) in [
        label for label, _ in api.messages(chat)[-1].buttons
    ]
    assert api.commands[locale][0]["description"] == text("cmd-start", locale)


async def test_language_follows_telegram_then_lang(api: FakeBotAPI, harness: BotHarness) -> None:
    chat = 6100
    api.user(chat, language_code="de")  # not offered: English
    api.send_text(chat, "/start")
    await api.until(lambda: text("start", "en") in api.texts(chat))
    api.send_text(chat, "/lang")
    picker = await api.until(lambda: api.messages(chat)[-1].buttons and api.messages(chat)[-1])
    assert picker.text == text("lang-choose", "en")
    api.press_button(picker, "Русский")
    await api.until(lambda: text("lang-set", "ru") in api.texts(chat))
    api.send_text(chat, "/start")
    await api.until(lambda: text("start", "ru") in api.texts(chat))
