"""/channel and the chat events the bot follows: forwarded channel posts, migrations, being removed."""

from __future__ import annotations

import logging

from telegram import MessageOriginChannel, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.digest_time import next_due
from bot.handlers.common import db, is_chat_admin, lang_of, lang_of_chat, own_chat, reply, services
from bot.i18n import t
from crawler.storage import utcnow

logger = logging.getLogger(__name__)


async def channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set up a channel where the bot is an admin (`/channel @name`), show it, or stop managing it (`off`)."""
    lang = await lang_of(update, context)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, context, t(lang, "private_only"))
        return
    args = context.args or []
    store = services(context).store
    if not args:
        managed = await db(store.chats.managing, chat.id)
        key = "channel_list" if managed else "channel_none"
        await reply(update, context, t(lang, key, name=managed.title if managed else ""))
        return
    if args[0].lower() in ("off", "none"):
        await db(store.chats.update, chat.id, manages_chat_id=None)
        await reply(update, context, t(lang, "channel_off"))
        return
    name = args[0] if args[0].startswith("@") or args[0].lstrip("-").isdigit() else f"@{args[0]}"
    await set_up_channel(update, context, name)


async def on_forward(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A post forwarded from a channel to the private chat sets that channel up, like /channel."""
    message = update.effective_message
    origin = message.forward_origin if message else None
    if isinstance(origin, MessageOriginChannel):
        await set_up_channel(update, context, origin.chat.id)


async def _bot_may_post(context: ContextTypes.DEFAULT_TYPE, channel_id: int) -> bool:
    try:
        me = await context.bot.get_chat_member(channel_id, context.bot.id)
    except TelegramError:
        return False
    return me.status == ChatMemberStatus.ADMINISTRATOR and bool(getattr(me, "can_post_messages", False))


async def set_up_channel(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str | int) -> None:
    """Check the bot may post and the user is an admin; subscribe the channel; manage it from here."""
    own = await own_chat(update, context)
    lang = lang_of_chat(own, context)
    user = update.effective_user
    shown = str(name)
    try:
        found = await context.bot.get_chat(int(name) if str(name).lstrip("-").isdigit() else name)
    except TelegramError:
        await reply(update, context, t(lang, "channel_not_found", name=shown))
        return
    shown = f"@{found.username}" if found.username else found.title or shown
    if found.type != ChatType.CHANNEL:
        await reply(update, context, t(lang, "channel_usage"))
        return
    if not await _bot_may_post(context, found.id):
        await reply(update, context, t(lang, "channel_bot_not_admin", name=shown))
        return
    if user is None or not await is_chat_admin(context, found.id, user.id):
        await reply(update, context, t(lang, "channel_user_not_admin", name=shown))
        return
    store = services(context).store
    defaults = {
        "kind": ChatType.CHANNEL,
        "title": shown,
        "lang": own.lang,
        "timezone": own.timezone,
        "digest_time": own.digest_time,
    }
    target = await db(store.chats.ensure, found.id, defaults)
    await db(
        store.chats.update,
        found.id,
        title=shown,
        subscribed=True,
        active=True,
        inactive_reason=None,
        added_by=user.id,
        next_due_at=target.next_due_at or next_due(utcnow(), target.digest_time, target.timezone),
    )
    await db(store.chats.update, own.chat_id, manages_chat_id=found.id)
    await reply(update, context, t(lang, "channel_set", name=shown))


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: move its settings and history to the new chat id."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        store = services(context).store
        moved = await db(store.chats.migrate, message.chat.id, message.migrate_to_chat_id)
        logger.info("chat %d migrated to %d (%s)", message.chat.id, message.migrate_to_chat_id, bool(moved))


async def on_bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was removed from a chat: stop sending there (a later /start there revives it)."""
    change = update.my_chat_member
    if change is None:
        return
    if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        store = services(context).store
        stored = await db(store.chats.get, change.chat.id)
        if stored is not None:
            await db(store.chats.deactivate, stored.id, f"bot {change.new_chat_member.status}")
