"""/crawl, /stats and /broadcast: commands for the seedwatch admins listed in `bot.admin_ids`."""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.common import db, is_bot_admin, lang_of, reply, services
from bot.i18n import t
from bot.status import count_today
from crawler.storage import utcnow

logger = logging.getLogger(__name__)


async def refuse_non_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Tell a user who is not a seedwatch admin so; True when refused."""
    if is_bot_admin(update, context):
        return False
    await reply(update, context, t(await lang_of(update, context), "bot_admins_only"))
    return True


async def crawl(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a crawl now (seedwatch admins only) and report when it ends."""
    if await refuse_non_admin(update, context):
        return
    svc = services(context)
    lang = await lang_of(update, context)
    if svc.crawl_task is not None and not svc.crawl_task.done():
        await reply(update, context, t(lang, "crawl_busy"))
        return
    await reply(update, context, t(lang, "crawl_started"))

    async def run_and_report() -> str:
        result = await svc.crawl()
        await reply(update, context, t(lang, "crawl_done", result=result))
        return result

    svc.crawl_task = context.application.create_task(run_and_report(), update=update)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Counts of articles, chats and today's deliveries (seedwatch admins only)."""
    if await refuse_non_admin(update, context):
        return
    store = services(context).store
    now = utcnow()
    articles = await db(store.digest.article_counts, now - timedelta(hours=24))
    today = await db(count_today, store, now)
    chats, deliveries = today.chats, today.deliveries
    text = t(
        await lang_of(update, context),
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
    if await refuse_non_admin(update, context):
        return
    message = update.effective_message
    lang = await lang_of(update, context)
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
