"""Where pictures go: the conversation's rules as pure functions."""

from __future__ import annotations

import pytest

from bot import preferences
from bot.conversation import MAX_MIX, Next, Picture, is_style_caption, mix_styles, place


def apply(data: dict, pic: Picture) -> tuple[dict, Next]:
    updates, step = place(data, pic)
    return {**data, **updates}, step


def test_photo_then_style_runs() -> None:
    data, step = apply({}, Picture("c"))
    assert step is Next.NEED_STYLE
    data, step = apply(data, Picture("s"))
    assert step is Next.RUN
    assert data["content"] == {"key": "c", "document": False}
    assert data["styles"] == [{"key": "s", "weight": 1.0}]


def test_style_first_waits_for_the_photo() -> None:
    data, step = apply({}, Picture("s", as_style=True))
    assert step is Next.NEED_CONTENT
    data, step = apply(data, Picture("c", document=True))
    assert step is Next.RUN and data["content"] == {"key": "c", "document": True}


def test_album_orders_by_message_id_whatever_arrives_first() -> None:
    data, step = apply({}, Picture("second", album="g", message_id=11))
    assert step is Next.WAIT
    data, step = apply(data, Picture("first", album="g", message_id=10))
    assert step is Next.RUN
    assert data["content"]["key"] == "first" and data["styles"][0]["key"] == "second"
    _, step = apply(data, Picture("third", album="g", message_id=12))
    assert step is Next.WAIT  # ignored


def test_album_whose_first_picture_is_captioned_style() -> None:
    data, _ = apply({}, Picture("painting", album="g", message_id=1, as_style=True))
    data, step = apply(data, Picture("photo", album="g", message_id=2))
    assert data["content"]["key"] == "photo" and data["styles"][0]["key"] == "painting"


def test_mix_collects_up_to_its_limit() -> None:
    data: dict = {"mix": []}
    for i in range(MAX_MIX):
        data, step = apply(data, Picture(f"s{i}"))
        assert step is Next.MIX_ADDED
    _, step = apply(data, Picture("one too many"))
    assert step is Next.MIX_FULL
    weights = [
        s["weight"] for s in mix_styles([{"key": "a", "weight": 3}, {"key": "b", "weight": 1}])
    ]
    assert weights == pytest.approx([0.75, 0.25])


@pytest.mark.parametrize(
    ("caption", "is_style"),
    [("style", True), ("Style: Monet", True), ("СТИЛЬ", True), ("#style", True),
     (None, False), ("my style", False), ("stylish", False)],
)  # fmt: skip
def test_style_caption(caption: str | None, is_style: bool) -> None:
    assert is_style_caption(caption) is is_style


def test_strength_steps_stay_within_bounds() -> None:
    assert preferences.stronger(0.8) == 1.0 and preferences.stronger(1.0) == 1.0
    assert preferences.weaker(0.4) == 0.2 and preferences.weaker(0.2) == 0.2
    assert not preferences.can_be_stronger(1.0) and not preferences.can_be_weaker(0.2)
