"""/claims, /sources and /status: the claims tracker, source health, and a chat's settings."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.claims_text import claims_messages
from bot.digest import claims_timeline
from bot.digest_time import zone_of
from bot.handlers.common import (
    db,
    is_bot_admin,
    lang_of,
    lang_of_chat,
    own_chat,
    reply,
    services,
    topics_text,
)
from bot.i18n import normalize_lang, t
from bot.render import format_time, split_messages
from bot.status import collect_status, render_status


async def claims(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The claims tracker: per claim, articles that support, dispute or mention it, day by day."""
    lang = await lang_of(update, context)
    svc = services(context)
    wording = svc.deliverer.maker.wording
    tallies = await db(svc.store.claims.tracker)
    timeline = await db(claims_timeline, svc.store, wording)
    for part in claims_messages(tallies, wording, timeline, lang):
        await reply(update, context, part)


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How each source is doing: last success, failures, runs without anything new."""
    chat = await own_chat(update, context)
    lang = lang_of_chat(chat, context)
    svc = services(context)
    rows = await db(svc.store.sources.all)
    if not rows:
        await reply(update, context, t(lang, "sources_none"))
        return
    zone = zone_of(chat.timezone)
    blocks = [t(lang, "sources_title")]
    for source in rows:
        name = source.name or source.url
        if source.consecutive_failures:
            error = (source.last_error or "")[:200]
            blocks.append(
                t(lang, "source_failing", name=name, failures=source.consecutive_failures, error=error)
            )
        elif source.empty_runs >= svc.settings.crawl.empty_alert_after:
            blocks.append(t(lang, "source_empty", name=name, runs=source.empty_runs))
        elif source.last_success_at is not None:
            blocks.append(
                t(lang, "source_ok", name=name, when=format_time(source.last_success_at, lang, zone))
            )
        else:
            blocks.append(t(lang, "source_never", name=name))
    for part in split_messages(["\n".join(blocks)] if len(blocks) < 60 else blocks):
        await reply(update, context, part)


def _when(value: datetime | None, lang: str, zone: str) -> str:
    return format_time(value, lang, zone_of(zone)) if value else t(lang, "never")


async def system_status(context: ContextTypes.DEFAULT_TYPE, lang: str, zone: str = "UTC") -> str:
    """The seedwatch-wide lines of /status, for admins: the report `seedwatch status` prints."""
    svc = services(context)
    report = await db(collect_status, svc.settings, svc.store)
    return "\n\n" + render_status(report, lang, zone_of(zone), as_html=True, every_source=False)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """This chat's settings (and, for seedwatch admins, how seedwatch is doing)."""
    own = await own_chat(update, context)
    lang = lang_of_chat(own, context)
    chat = await db(services(context).store.chats.managing, own.chat_id) or own
    text = t(
        lang,
        "status",
        subscribed=t(lang, "yes" if chat.subscribed and chat.active else "no"),
        topics=topics_text(chat, lang),
        time=chat.digest_time,
        timezone=chat.timezone,
        language=normalize_lang(chat.lang),
        include=", ".join(chat.include_words) or "–",
        exclude=", ".join(chat.exclude_words) or "–",
        last=_when(chat.last_window_end, lang, chat.timezone),
        next=_when(chat.next_due_at if chat.subscribed else None, lang, chat.timezone),
    )
    if chat is not own:
        text += t(lang, "for_channel", name=chat.title)
    if is_bot_admin(update, context):
        text += await system_status(context, lang, chat.timezone)
    await reply(update, context, text)
