"""The bot's report commands: the claims tracker, source health, and a chat's status."""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.claims_text import claims_messages
from bot.commands import Handler, topics_text
from bot.i18n import normalize_lang, t
from bot.prepare import claims_timeline, zone_of
from bot.render import format_time, split_messages
from bot.telegram_bot import lang_of, own_chat, reply, services


async def claims(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The claims tracker: per claim, articles that support, dispute or mention it, day by day."""
    lang = lang_of(update, context)
    svc = services(context)
    wording = svc.deliverer.maker.wording
    timeline = claims_timeline(svc.store, wording)
    for part in claims_messages(svc.store.claims.tracker(), wording, timeline, lang):
        await reply(update, context, part)


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How each source is doing: last success, failures, runs without anything new."""
    lang = lang_of(update, context)
    rows = services(context).store.sources.all()
    if not rows:
        await reply(update, context, t(lang, "sources_none"))
        return
    zone = zone_of(own_chat(update, context).timezone)
    blocks = [t(lang, "sources_title")]
    for source in rows:
        name = source.name or source.url
        if source.consecutive_failures:
            error = (source.last_error or "")[:200]
            blocks.append(
                t(lang, "source_failing", name=name, failures=source.consecutive_failures, error=error)
            )
        elif source.empty_runs >= services(context).settings.crawl.empty_alert_after:
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


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """This chat's settings (and, for seedwatch admins, how seedwatch is doing)."""
    from bot.admin import system_status

    lang = lang_of(update, context)
    own = own_chat(update, context)
    chat = services(context).store.chats.managing(own.chat_id) or own
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
    if update.effective_user and update.effective_user.id in services(context).settings.bot.admin_ids:
        text += system_status(context, lang, chat.timezone)
    await reply(update, context, text)


HANDLERS: dict[str, Handler] = {
    "claims": claims,
    "sources": sources,
    "status": status,
}
