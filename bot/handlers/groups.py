"""Group chats: the bot says nothing unless addressed, and answers each member on their own.

In a group or supergroup (with Telegram's privacy mode on, the bot receives commands, mentions
and replies to its own messages) a member asks for a stylization by replying to a photo (an
image file, a GIF or a video too):

- with a picture captioned ``/style`` or mentioning the bot: that photo in that picture's style;
- with ``/style NAME``: that preset on the photo;
- with ``/style`` alone: the presets' keyboard, for that member only.

The answer replies to the member's request, with the buttons a private result has; only that
member may press them (``bot/handlers/results.py``). Each member's state and job are their own
(the chat state is per member per chat; one job in flight per member). ``/help`` explains this;
anything else a member posts gets no answer. This router comes first, so that nothing meant for
private chats ever answers in a group.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import GroupPresetChoice
from bot.chat_state import ChatState, Content, Style
from bot.conversation import Conversation
from bot.handlers.pictures import refusal_text
from bot.handlers.presets import store_preset
from bot.images import ImageStore, PictureRefused, incoming_file
from bot.keyboards import presets_keyboard
from bot.naming import file_name
from bot.presets import PresetLibrary
from bot.replies import answer_press, replying_to
from worker.contract import ReplyContext

GROUPS = {"group", "supergroup"}


async def group_help(message: Message) -> None:
    """How to ask the bot for a picture in a group."""
    await message.reply(_("group-help"))


async def style_request(
    message: Message,
    bot: Bot,
    i18n: I18n,
    conversation: Conversation,
    presets: PresetLibrary,
    chat_state: ChatState,
) -> None:
    """A member addressed the bot: with a picture, a preset's name, or nothing (the presets)."""
    images = conversation.images
    target = message.reply_to_message
    if target is None or not _has_media(target):
        await message.reply(_("group-reply-to-photo"))
        return
    content = await _stored(bot, images, target, message)
    if content is None:
        return
    if _has_media(message):  # the picture of this message is the style
        picture = await _stored(bot, images, message, message)
        if picture is not None and picture.media.is_clip:  # a style is a still picture
            await message.reply(_("clip-not-style"))
        elif picture is not None:
            await _submit(bot, message, i18n, conversation, chat_state, content, picture.key)
        return
    name = _command_args(message)
    if not name:  # the presets' keyboard, for this member, on this photo
        await chat_state.update(content=content, styles=None)
        found = presets.list()
        if not found:
            await message.reply(_("presets-none"))
            return
        user = message.from_user.id if message.from_user else 0
        await message.reply(_("presets-title"), reply_markup=presets_keyboard(found, user))
        return
    preset = presets.named(name)
    if preset is None:
        known = ", ".join(p.name for p in presets.list()) or "—"
        await message.reply(_("group-no-preset").format(name=name, presets=known))
        return
    key = await store_preset(images, presets, preset)
    await _submit(bot, message, i18n, conversation, chat_state, content, key)


async def pick_group_preset(
    callback: CallbackQuery,
    callback_data: GroupPresetChoice,
    bot: Bot,
    i18n: I18n,
    conversation: Conversation,
    presets: PresetLibrary,
    chat_state: ChatState,
) -> None:
    """A preset pressed under ``/style``: only the member who asked may choose."""
    images = conversation.images
    if callback.from_user.id != callback_data.user:
        await answer_press(callback, _("not-yours"), show_alert=True)
        return
    await answer_press(callback)
    message = callback.message
    if not isinstance(message, Message):
        return
    data = await chat_state.load()
    preset = presets.find(callback_data.preset)
    if data.content is None or not await images.refresh(data.content.key):
        await bot.send_message(message.chat.id, _("result-expired"))
        return
    if preset is None:
        await bot.send_message(message.chat.id, _("preset-missing"))
        return
    key = await store_preset(images, presets, preset)
    request = message.reply_to_message or message  # the member's /style, which it answers
    await _submit(bot, request, i18n, conversation, chat_state, data.content, key)


async def ignored(event: Message) -> None:
    """Anything else in a group: not addressed to the bot, so no answer."""


async def _submit(
    bot: Bot,
    request: Message,
    i18n: I18n,
    conversation: Conversation,
    chat_state: ChatState,
    content: Content,
    style_key: str,
) -> None:
    data = (await chat_state.load()).change(content=content, styles=(Style(key=style_key),))
    user = request.from_user.id if request.from_user else 0
    reply = ReplyContext(locale=i18n.current_locale, reply_to=request.message_id, user=user)
    job = conversation.request(request.chat.id, data, chat_state.default_size, reply)
    if await conversation.submitter.submit(bot, job):
        await chat_state.update(content=None, styles=None)


async def _stored(bot: Bot, images: ImageStore, holder: Message, ask: Message) -> Content | None:
    """The picture (or clip) of ``holder`` in Redis; None, with a reply to ``ask``, if refused."""
    try:
        incoming = incoming_file(holder)
        key = await images.fetch(bot, incoming)
    except PictureRefused as refused:
        text = refusal_text(refused.reason, images.max_bytes, file_name(holder))
        await bot.send_message(ask.chat.id, text, reply_parameters=replying_to(ask.message_id))
        return None
    return Content(
        key=key, document=incoming.is_document, media=incoming.media, duration=incoming.duration
    )


def _has_media(message: Message) -> bool:
    return bool(
        message.photo or message.document or message.animation or message.video
        or message.video_note
    )  # fmt: skip


def _command_args(message: Message) -> str:
    """What follows ``/style`` (or the bot's @name) in the text or caption."""
    text = (message.text or message.caption or "").strip()
    words = text.split(maxsplit=1)
    if not words:
        return ""
    rest = words[1] if len(words) > 1 else ""
    return rest.strip() if words[0].startswith(("/", "@")) else ""


async def addressed(message: Message, bot: Bot) -> bool:
    """The message asks the bot: ``/style`` (its own, not another bot's) or an @mention."""
    text = message.text or message.caption or ""
    me = await bot.me()
    mention = f"@{me.username}".casefold() if me.username else None
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    command, _at, to = first.partition("@")
    ours = not to or to.casefold() == (me.username or "").casefold()
    if command.casefold() == "/style" and ours:
        return True
    return mention is not None and mention in text.casefold()


def build() -> Router:
    router = Router(name="groups")
    router.message.filter(F.chat.type.in_(GROUPS))
    router.callback_query.register(pick_group_preset, GroupPresetChoice.filter())
    router.message.register(group_help, Command("help", "start"))
    router.message.register(style_request, addressed)
    router.message.register(ignored)  # last: the rest of what a group posts
    return router
