"""One vocabulary across the processes: every reason the model refuses an input is a code the
bot knows, and every code has its words, for pictures and for clips, in every language."""

from __future__ import annotations

import typing

import pytest

from bot.delivery.loop import error_text
from bot.i18n import LOCALES_DIR, load_i18n
from model.limits import CLIP_KINDS, ClipKind, InputErrorCode
from worker.contract import ErrorCode, MediaKind

LOCALES = sorted(p.name for p in LOCALES_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


def test_every_refusal_of_the_model_is_an_error_code() -> None:
    codes = {str(code) for code in ErrorCode}
    assert set(typing.get_args(InputErrorCode)) - codes == set()


def test_a_clip_is_made_into_the_kinds_the_contract_names() -> None:
    assert set(typing.get_args(ClipKind)) == set(CLIP_KINDS)
    assert {str(kind) for kind in MediaKind if kind.is_clip} == set(CLIP_KINDS)


def test_there_are_at_least_two_languages() -> None:
    assert {"en", "ru"} <= set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("media", [MediaKind.PICTURE, MediaKind.VIDEO])
def test_every_error_code_has_words_in_every_language(locale: str, media: MediaKind) -> None:
    i18n = load_i18n()
    untranslated = []
    with i18n.context(), i18n.use_locale(locale):
        for code in ErrorCode:
            said = error_text(code, media)
            if not said.strip() or said.startswith("error-"):  # the message id, not a text
                untranslated.append(str(code))
    assert untranslated == [], f"no {locale} text for {media} errors"
