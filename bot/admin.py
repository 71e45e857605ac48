"""Admin commands (`/crawl`, `/stats`, `/broadcast`), channel set-up, and the chat events the bot follows."""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from telegram import MessageOriginChannel, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.commands import Handler
from bot.i18n import t
from bot.prepare import next_due
from bot.telegram_bot import is_bot_admin, is_chat_admin, lang_of, own_chat, reply, services
from crawler.storage import utcnow

logger = logging.getLogger(__name__)


async def _refuse_non_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    if is_bot_admin(update, context):
        return False
    await reply(update, context, t(lang_of(update, context), "bot_admins_only"))
    return True


async def crawl(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a crawl now (seedwatch admins only) and report when it ends."""
    if await _refuse_non_admin(update, context):
        return
    svc = services(context)
    lang = lang_of(update, context)
    if svc.crawl_task is not None and not svc.crawl_task.done():
        await reply(update, context, t(lang, "crawl_busy"))
        return
    await reply(update, context, t(lang, "crawl_started"))

    async def run_and_report() -> str:
        result = await svc.crawl()
        await reply(update, context, t(lang, "crawl_done", result=result))
        return result

    svc.crawl_task = context.application.create_task(run_and_report(), update=update)


def system_status(context: ContextTypes.DEFAULT_TYPE, lang: str, zone: str = "UTC") -> str:
    """The seedwatch-wide lines of /status, for admins: the report `seedwatch status` prints."""
    from bot.prepare import zone_of
    from bot.status import collect_status, render_status

    svc = services(context)
    report = collect_status(svc.settings, svc.store)
    return "\n\n" + render_status(report, lang, zone_of(zone), as_html=True, every_source=False)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Counts of articles, chats and today's deliveries (seedwatch admins only)."""
    if await _refuse_non_admin(update, context):
        return
    store = services(context).store
    now = utcnow()
    articles = store.digest.article_counts(now - timedelta(hours=24))
    deliveries = store.deliveries.counts_since(now.replace(hour=0, minute=0, second=0, microsecond=0))
    chats = store.chats.counts()
    text = t(
        lang_of(update, context),
        "stats",
        articles=articles["articles"],
        relevant=articles["relevant"],
        today=articles["recent"],
        chats=chats["chats"],
        subscribers=chats["subscribers"],
        inactive=chats["inactive"],
        sent=deliveries["sent"],
        failed=deliveries["failed"],
        pending=deliveries["pending"],
    )
    await reply(update, context, text)


async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a message to every subscribed chat (seedwatch admins only), each exactly once."""
    if await _refuse_non_admin(update, context):
        return
    message = update.effective_message
    lang = lang_of(update, context)
    text = (message.text or "").split(maxsplit=1) if message else []
    if len(text) < 2 or not text[1].strip():
        await reply(update, context, t(lang, "broadcast_bad"))
        return
    message_html = html.escape(text[1].strip())

    async def send_and_report() -> None:
        report = await services(context).deliverer.broadcast(message_html, key=str(update.update_id))
        done = t(
            lang, "broadcast_done", n=report.due, sent=report.count("sent"), failed=report.count("failed")
        )
        await reply(update, context, done)

    # In the background: a broadcast to thousands of chats takes minutes, and the bot must keep answering.
    context.application.create_task(send_and_report(), update=update)


async def channel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set up a channel where the bot is an admin (`/channel @name`), show it, or stop managing it (`off`)."""
    lang = lang_of(update, context)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, context, t(lang, "private_only"))
        return
    args = context.args or []
    store = services(context).store
    if not args:
        managed = store.chats.managing(chat.id)
        key = "channel_list" if managed else "channel_none"
        await reply(update, context, t(lang, key, name=managed.title if managed else ""))
        return
    if args[0].lower() in ("off", "none"):
        store.chats.update(chat.id, manages_chat_id=None)
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


async def set_up_channel(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str | int) -> None:
    """Check the bot may post and the user is an admin; subscribe the channel; manage it from here."""
    lang = lang_of(update, context)
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
    try:
        me = await context.bot.get_chat_member(found.id, context.bot.id)
    except TelegramError:
        me = None
    if (
        me is None
        or me.status != ChatMemberStatus.ADMINISTRATOR
        or not getattr(me, "can_post_messages", False)
    ):
        await reply(update, context, t(lang, "channel_bot_not_admin", name=shown))
        return
    if user is None or not await is_chat_admin(context, found.id, user.id):
        await reply(update, context, t(lang, "channel_user_not_admin", name=shown))
        return
    svc = services(context)
    own = own_chat(update, context)
    defaults = {
        "kind": ChatType.CHANNEL,
        "title": shown,
        "lang": own.lang,
        "timezone": own.timezone,
        "digest_time": own.digest_time,
    }
    target = svc.store.chats.ensure(found.id, defaults)
    svc.store.chats.update(
        found.id,
        title=shown,
        subscribed=True,
        active=True,
        inactive_reason=None,
        added_by=user.id,
        next_due_at=target.next_due_at or next_due(utcnow(), target.digest_time, target.timezone),
    )
    svc.store.chats.update(own.chat_id, manages_chat_id=found.id)
    await reply(update, context, t(lang, "channel_set", name=shown))


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: move its settings and history to the new chat id."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        moved = services(context).store.chats.migrate(message.chat.id, message.migrate_to_chat_id)
        logger.info("chat %d migrated to %d (%s)", message.chat.id, message.migrate_to_chat_id, bool(moved))


async def on_bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was removed from a chat: stop sending there (a later /start there revives it)."""
    change = update.my_chat_member
    if change is None:
        return
    if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        store = services(context).store
        stored = store.chats.get(change.chat.id)
        if stored is not None:
            store.chats.deactivate(stored.id, f"bot {change.new_chat_member.status}")


HANDLERS: dict[str, Handler] = {
    "crawl": crawl,
    "stats": stats,
    "broadcast": broadcast,
    "channel": channel,
}
