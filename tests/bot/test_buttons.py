"""Result buttons re-run with the expected parameters; presets, mixes, settings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import MixAction, MixButton, ResultAction, ResultButton
from tests.bot.harness import BotHarness, picture, preset_key, text, write_presets
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_types import SentMessage
from worker import contract

CHAT = 3003


def last_saying(api: FakeBotAPI, words: str) -> SentMessage | None:
    """The chat's latest message when it says ``words``."""
    messages = api.messages(CHAT)
    return messages[-1] if messages and messages[-1].text == words else None


def result_job(harness: BotHarness, result: SentMessage) -> str:
    """The job whose result ``result`` is (its buttons name it)."""
    return ResultButton.unpack(result.buttons[-1][1]).job


def press(api: FakeBotAPI, result: SentMessage, action: ResultAction, job: str) -> None:
    """Press the result's button for ``action``, built as the bot builds it."""
    api.press(CHAT, result.message_id, ResultButton(action=action, job=job).pack())


@pytest.mark.parametrize(
    ("action", "label", "change"),
    [
        (ResultAction.STRONGER, "btn-stronger", lambda first: {"alpha": 1.0}),
        (ResultAction.WEAKER, "btn-weaker", lambda first: {"alpha": pytest.approx(0.6)}),
        (ResultAction.COLORS, "btn-keep-colours", lambda first: {"preserve_color": True}),
        (ResultAction.COARSER, "btn-coarser", lambda first: {"stroke": 1.4}),
        (ResultAction.FINER, "btn-finer", lambda first: {"stroke": 0.7}),
        (
            ResultAction.SWAP,
            "btn-swap",
            lambda first: {
                "content_key": first["styles"][0]["key"],
                "styles": [{"key": first["content_key"], "weight": 1.0}],
            },
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_a_result_button_reruns_from_the_stored_pictures_with_one_change(
    api: FakeBotAPI,
    harness: BotHarness,
    action: ResultAction,
    label: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    first, result = await harness.first_result(CHAT)
    job = result_job(harness, result)
    assert result.button(text(label)) == ResultButton(action=action, job=job).pack()
    uploads = len(api.calls("getFile"))

    press(api, result, action, job)
    rerun, _ = await harness.deliver_next(CHAT)

    assert rerun == first | change(first)
    assert len(api.calls("getFile")) == uploads  # nothing downloaded again


async def test_buttons_follow_the_result_they_are_under(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    _, result = await harness.first_result(CHAT)
    press(api, result, ResultAction.STRONGER, result_job(harness, result))
    _, strongest = await harness.deliver_next(CHAT)
    assert text("btn-stronger") not in [label for label, _ in strongest.buttons]

    press(api, result, ResultAction.COLORS, result_job(harness, result))
    colors, colored = await harness.deliver_next(CHAT)
    assert colors["preserve_color"] is True
    press(api, colored, ResultAction.COLORS, result_job(harness, colored))
    back, _ = await harness.deliver_next(CHAT)
    assert back["preserve_color"] is False


async def test_restyle_keeps_the_photo_and_waits_for_a_new_style(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    first, result = await harness.first_result(CHAT)
    uploads = len(api.calls("getFile"))
    press(api, result, ResultAction.RESTYLE, result_job(harness, result))
    await api.until(lambda: text("restyle-prompt") in api.texts(CHAT))
    new_style = api.send_photo(CHAT, picture(seed=3))
    restyled, _ = await harness.deliver_next(CHAT)
    assert restyled["content_key"] == first["content_key"]
    assert restyled["styles"][0]["key"] == contract.image_key(
        new_style["photo"][-1]["file_unique_id"]
    )
    assert len(api.calls("getFile")) == uploads + 1  # only the new style was downloaded


async def test_button_of_an_expired_result_asks_for_the_pictures_again(
    api: FakeBotAPI, harness: BotHarness
) -> None:
    first, result = await harness.first_result(CHAT)
    harness.redis.delete(first["content_key"])  # its TTL passed
    press(api, result, ResultAction.STRONGER, result_job(harness, result))
    await api.until(lambda: text("result-expired") in api.texts(CHAT))
    assert harness.queued() == []


async def test_preset_gallery_by_name_and_button(
    api: FakeBotAPI, harness: BotHarness, styles_dir: Path
) -> None:
    files = write_presets(styles_dir)
    api.send_text(CHAT, "/styles")
    gallery = (await api.until(lambda: api.messages(CHAT)))[-1]
    assert gallery.text == text("presets-title")
    assert [label for label, _ in gallery.buttons] == ["Starry night", "The scream"]

    api.send_photo(CHAT, picture(seed=1))
    await api.until(lambda: text("got-content") in api.texts(CHAT))
    api.press_button(gallery, "Starry night")
    request, _ = await harness.deliver_next(CHAT)
    key = preset_key(files["starry_night.jpg"])
    assert request["styles"] == [{"key": key, "weight": 1.0}]
    assert harness.redis.get(key) == files["starry_night.jpg"]

    api.press_button(gallery, "Starry night")  # a preset picked first waits for the photo
    await api.until(lambda: text("got-style") in api.texts(CHAT))
    api.send_photo(CHAT, picture(seed=2))
    again, _ = await harness.deliver_next(CHAT)
    assert again["styles"] == [{"key": key, "weight": 1.0}]


async def test_presets_folder_empty(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_text(CHAT, "/styles")
    await api.until(lambda: text("presets-none") in api.texts(CHAT))


async def test_mix_of_uploads_and_a_preset_with_weights(
    api: FakeBotAPI, harness: BotHarness, styles_dir: Path
) -> None:
    files = write_presets(styles_dir)
    content = api.send_photo(CHAT, picture(seed=1))
    await api.until(lambda: text("got-content") in api.texts(CHAT))
    api.send_text(CHAT, "/mix")
    await api.until(lambda: text("mix-start") in api.texts(CHAT))
    first = api.send_photo(CHAT, picture(seed=2))
    panel = await api.until(lambda: last_saying(api, text("mix-status", count=1)))
    api.press_button(panel, text("btn-mix-go"))  # one style is not a mix
    await api.until(
        lambda: any(c.params.get("show_alert") for c in api.calls("answerCallbackQuery"))
    )
    assert harness.queued() == []

    api.send_text(CHAT, "/styles")
    gallery = await api.until(lambda: last_saying(api, text("presets-title")))
    api.press_button(gallery, "The scream")
    panel = await api.until(lambda: last_saying(api, text("mix-status", count=2)))
    api.press(CHAT, panel.message_id, MixButton(action=MixAction.MORE, index=0).pack())
    await api.until(
        lambda: (
            text("mix-style", number=1, weight=2)
            in [label for label, _ in api.messages(CHAT)[-1].buttons]
        )
    )
    api.press_button(api.messages(CHAT)[-1], text("btn-mix-go"))
    request, result = await harness.deliver_next(CHAT)
    assert request["content_key"] == contract.image_key(content["photo"][-1]["file_unique_id"])
    first_key = contract.image_key(first["photo"][-1]["file_unique_id"])
    assert [s["key"] for s in request["styles"]] == [
        first_key,
        preset_key(files["the-scream.png"]),
    ]
    assert [s["weight"] for s in request["styles"]] == pytest.approx([2 / 3, 1 / 3])
    assert text("btn-swap") not in [label for label, _ in result.buttons]


async def test_settings_shape_the_next_job(api: FakeBotAPI, harness: BotHarness) -> None:
    api.send_text(CHAT, "/settings")
    panel = (await api.until(lambda: api.messages(CHAT)))[-1]
    assert panel.text == text(
        "settings-title", strength=80, colors=text("off"), size="512 px", stroke="×1"
    )
    api.press_button(panel, "40%")
    await api.until(lambda: "40%" in api.messages(CHAT)[-1].texts[-1])
    api.press_button(api.messages(CHAT)[-1], text("btn-colours-setting", state=text("off")))
    await api.until(lambda: text("on") in api.messages(CHAT)[-1].texts[-1])
    api.press_button(api.messages(CHAT)[-1], "1024 px")
    await api.until(lambda: "1024 px" in api.messages(CHAT)[-1].texts[-1])
    api.press_button(api.messages(CHAT)[-1], "×2")
    await api.until(lambda: "×2" in api.messages(CHAT)[-1].texts[-1])

    api.send_photo(CHAT, picture(seed=1))
    api.send_photo(CHAT, picture(seed=2))
    request, _ = await harness.deliver_next(CHAT)
    chosen = (request["alpha"], request["preserve_color"], request["size"], request["stroke"])
    assert chosen == (0.4, True, 1024, 2.0)
