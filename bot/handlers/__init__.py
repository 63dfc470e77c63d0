"""The bot's routers, one per feature, joined in one place."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    fallback,
    groups,
    inline,
    language,
    mix,
    pictures,
    presets,
    results,
    settings,
    start,
)


def build_router() -> Router:
    """A fresh router tree (a Router can belong to one dispatcher only)."""
    root = Router(name="adain")
    root.include_routers(
        inline.build(),  # inline queries, chosen results and guest messages: no chat of ours
        groups.build(),  # first of the chats: in a group only what is addressed to the bot
        start.build(),
        language.build(),
        settings.build(),
        presets.build(),
        mix.build(),
        results.build(),
        pictures.build(),
        fallback.build(),  # last: whatever no feature took
    )
    return root
