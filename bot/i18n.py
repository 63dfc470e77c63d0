"""Locale catalogues: gettext .po files compiled to .mo at start-up, no manual build step."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


def compile_catalogues(source: Path, target: Path, domain: str = DOMAIN) -> list[str]:
    """Compile ``source/<locale>/LC_MESSAGES/<domain>.po`` into the same layout under target."""
    locales = []
    for po_path in sorted(source.glob(f"*/LC_MESSAGES/{domain}.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=locale, domain=domain)
        mo_path = target / locale / "LC_MESSAGES" / f"{domain}.mo"
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as f:
            write_mo(f, catalog)
        locales.append(locale)
    return locales


def load_i18n(default_locale: str = "en", source: Path = LOCALES_DIR) -> I18n:
    """aiogram's I18n over freshly compiled catalogues (the .mo files are read into memory)."""
    with tempfile.TemporaryDirectory(prefix="adain-bot-locales-") as tmp:
        locales = compile_catalogues(source, Path(tmp))
        if default_locale not in locales:
            raise ValueError(f"DEFAULT_LOCALE {default_locale!r} is not one of {locales}")
        return I18n(path=tmp, default_locale=default_locale, domain=DOMAIN)
