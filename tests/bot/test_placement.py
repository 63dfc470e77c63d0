"""Where pictures go: the conversation's rules as pure functions over the chat's data."""

from __future__ import annotations

import pytest

from bot import settings
from bot.chat_state import ChatData, Content, MixEntry, Picture, Style, mix_styles
from bot.placement import MAX_MIX, Next, is_style_caption, place
from worker.contract import MediaKind


def test_photo_then_style_runs() -> None:
    data, step = place(ChatData(), Picture(key="c"))
    assert step is Next.NEED_STYLE
    data, step = place(data, Picture(key="s"))
    assert step is Next.RUN
    assert data.content == Content(key="c", document=False)
    assert data.styles == (Style(key="s", weight=1.0),)


def test_style_first_waits_for_the_photo() -> None:
    data, step = place(ChatData(), Picture(key="s", as_style=True))
    assert step is Next.NEED_CONTENT
    data, step = place(data, Picture(key="c", document=True))
    assert step is Next.RUN and data.content == Content(key="c", document=True)


def test_album_orders_by_message_id_whatever_arrives_first() -> None:
    data, step = place(ChatData(), Picture(key="second", album="g", message_id=11))
    assert step is Next.WAIT
    data, step = place(data, Picture(key="first", album="g", message_id=10))
    assert step is Next.RUN
    assert data.content is not None and data.styles is not None
    assert data.content.key == "first" and data.styles[0].key == "second"
    _, step = place(data, Picture(key="third", album="g", message_id=12))
    assert step is Next.WAIT  # ignored


def test_album_whose_first_picture_is_captioned_style() -> None:
    data, _ = place(ChatData(), Picture(key="painting", album="g", message_id=1, as_style=True))
    data, step = place(data, Picture(key="photo", album="g", message_id=2))
    assert data.content is not None and data.styles is not None
    assert data.content.key == "photo" and data.styles[0].key == "painting"


def test_mix_collects_up_to_its_limit() -> None:
    data = ChatData(mix=())
    for i in range(MAX_MIX):
        data, step = place(data, Picture(key=f"s{i}"))
        assert step is Next.MIX_ADDED
    _, step = place(data, Picture(key="one too many"))
    assert step is Next.MIX_FULL
    styles = mix_styles((MixEntry(key="a", weight=3), MixEntry(key="b", weight=1)))
    assert [s.weight for s in styles] == pytest.approx([0.75, 0.25])


def test_chat_data_reads_what_earlier_versions_stored() -> None:
    stored = {
        "content": {"key": "c", "document": True},
        "styles": [{"key": "s", "weight": 1.0}],
        "album": {"id": "g", "first": {"key": "a", "document": False, "as_style": False,
                                        "album": "g", "message_id": 3}, "done": True},
        "mix": [{"key": "m", "weight": 2}],
        "alpha": 0.4, "preserve_color": True, "size": 0, "locale": "ru",
    }  # fmt: skip
    data = ChatData.model_validate(stored)
    assert data.content == Content(key="c", document=True)  # a picture, as then
    assert data.styles == (Style(key="s"),) and data.mix == (MixEntry(key="m", weight=2),)
    assert data.album is not None and data.album.first == Picture(key="a", album="g", message_id=3)
    assert ChatData.model_validate(data.model_dump(mode="json")) == data
    assert data.settings(512) == settings.UserSettings(0.4, True, 0)
    assert ChatData().settings(1024) == settings.UserSettings(0.8, False, 1024)


@pytest.mark.parametrize(
    ("caption", "is_style"),
    [("style", True), ("Style: Monet", True), ("СТИЛЬ", True), ("#style", True),
     (None, False), ("my style", False), ("stylish", False)],
)  # fmt: skip
def test_style_caption(caption: str | None, is_style: bool) -> None:
    assert is_style_caption(caption) is is_style


def test_strength_steps_stay_within_bounds() -> None:
    assert settings.stronger(0.8) == 1.0 and settings.stronger(1.0) == 1.0
    assert settings.weaker(0.4) == 0.2 and settings.weaker(0.2) == 0.2
    assert not settings.can_be_stronger(1.0) and not settings.can_be_weaker(0.2)


def test_a_clip_is_always_what_gets_repainted() -> None:
    clip = Picture(key="clip", media=MediaKind.VIDEO, duration=4.0)
    data, step = place(ChatData(), clip)
    assert step is Next.NEED_STYLE
    assert data.content == Content(key="clip", media=MediaKind.VIDEO, duration=4.0)
    data, step = place(ChatData(content=Content(key="photo")), clip)  # the photo is its style
    assert step is Next.RUN and data.styles == (Style(key="photo"),)
    assert data.content is not None and data.content.key == "clip"
    data, step = place(ChatData(styles=(Style(key="s"),)), clip)
    assert step is Next.RUN


@pytest.mark.parametrize("before", [ChatData(mix=()), ChatData()], ids=["mix", "style"])
def test_a_clip_is_never_a_style(before: ChatData) -> None:
    as_style = before.mix is None  # captioned "style"
    clip = Picture(key="clip", media=MediaKind.ANIMATION, as_style=as_style)
    data, step = place(before, clip)
    assert step is Next.CLIP_NOT_STYLE and data == before


def test_chat_data_refuses_a_field_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="no field preserve_colour"):
        ChatData().change(preserve_colour=True)  # a misspelt field is never stored or dropped
    assert ChatData().change(preserve_color=True).preserve_color is True
