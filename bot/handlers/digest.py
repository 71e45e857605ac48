"""/digest: the digest now, to the chat and forum topic it was asked from."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.digest_time import zone_of
from bot.handlers.common import lang_of_chat, may_change, own_chat, reply, services, thread_of
from bot.i18n import t
from bot.render import format_time
from crawler.storage.deliveries import EMPTY


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the digest now, covering everything since the chat's last one."""
    # A digest moves the chat's window on, so in groups only admins ask for one.
    if not await may_change(update, context):
        return
    chat = await own_chat(update, context)
    outcome = await services(context).deliverer.deliver_now(chat, str(update.update_id), thread_of(update))
    if outcome == EMPTY:
        since = chat.last_window_end
        lang = lang_of_chat(chat, context)
        shown = format_time(since, lang, zone_of(chat.timezone)) if since else t(lang, "never")
        await reply(update, context, t(lang, "digest_empty", since=shown))
