"""/time, /timezone, /lang and /filter: a chat's (or its managed channel's) digest settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Update
from telegram.ext import ContextTypes

from bot.digest_time import next_due, parse_hhmm
from bot.handlers.common import args_of, db, lang_of, reply, services, settings_target
from bot.i18n import t
from crawler.storage import Chat, utcnow

MAX_FILTER_WORDS = 30  # per list; each word is a substring test on every article of every digest
MAX_WORD = 60


async def _reschedule(context: ContextTypes.DEFAULT_TYPE, chat: Chat, **values: Any) -> Chat:
    digest_time = values.get("digest_time", chat.digest_time)
    timezone = values.get("timezone", chat.timezone)
    if chat.subscribed:
        values["next_due_at"] = next_due(utcnow(), digest_time, timezone)
    return await db(services(context).store.chats.update, chat.chat_id, **values) or chat


async def _set_schedule(
    update: Update, context: ContextTypes.DEFAULT_TYPE, column: str, value: str | None, bad: str, done: str
) -> None:
    """Set the digest time or time zone (`column`) to `value` and reschedule, or answer `bad` for None."""
    lang = await lang_of(update, context)
    if value is None:
        await reply(update, context, t(lang, bad))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    chat = await _reschedule(context, target[0], **{column: value})
    await reply(update, context, t(lang, done, time=chat.digest_time, timezone=chat.timezone) + target[1])


async def time_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set when the daily digest comes (HH:MM, local time)."""
    args = args_of(context)
    at = parse_hhmm(args[0]) if len(args) == 1 else None
    hhmm = f"{at:%H:%M}" if at is not None else None
    await _set_schedule(update, context, "digest_time", hhmm, "time_bad", "time_set")


def valid_zone(name: str) -> str | None:
    """The IANA name of a time zone (`Asia/Shanghai`, `UTC`), or None."""
    if name.upper() == "UTC":
        return "UTC"
    if "/" not in name:
        return None
    try:
        return str(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


async def timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the chat's time zone (Area/City)."""
    args = args_of(context)
    zone = valid_zone(args[0]) if len(args) == 1 else None
    await _set_schedule(update, context, "timezone", zone, "tz_bad", "tz_set")


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the digest language: zh or en."""
    args = args_of(context)
    choice = args[0].lower() if len(args) == 1 else ""
    if choice not in ("zh", "en"):
        await reply(update, context, t(await lang_of(update, context), "lang_bad"))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    await db(services(context).store.chats.update, target[0].chat_id, lang=choice)
    # A chat switching its own language is answered in the new one; a managed channel's in ours.
    answer_in = await lang_of(update, context)
    language = t(answer_in, f"lang_name_{choice}")
    await reply(update, context, t(answer_in, "lang_set", language=language) + target[1])


@dataclass
class FilterWords:
    """The words of one /filter: kept (+), dropped (-), and those cut at `MAX_WORD` characters."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)


def parse_filter(args: list[str]) -> FilterWords | None:
    """`+word` to keep, `-word` to drop; None when a word has no sign (plain words, never patterns)."""
    words = FilterWords()
    for arg in args:
        word = arg[1:].strip()
        if arg[:1] not in "+-" or not word:
            return None
        if len(word) > MAX_WORD:
            word = word[:MAX_WORD]
            words.cut.append(word)
        (words.include if arg[0] == "+" else words.exclude).append(word)
    return words


def merge_filter(chat: Chat, change: FilterWords) -> tuple[list[str], list[str], list[str]]:
    """The chat's words with the change applied (a word moves between lists), the lists capped at
    `MAX_FILTER_WORDS`: (include, exclude, words left out by the cap)."""
    add_in, add_out = change.include, change.exclude
    include = [w for w in chat.include_words if w.casefold() not in {x.casefold() for x in add_out}]
    exclude = [w for w in chat.exclude_words if w.casefold() not in {x.casefold() for x in add_in}]
    include += [w for w in add_in if w.casefold() not in {x.casefold() for x in include}]
    exclude += [w for w in add_out if w.casefold() not in {x.casefold() for x in exclude}]
    dropped = include[MAX_FILTER_WORDS:] + exclude[MAX_FILTER_WORDS:]
    return include[:MAX_FILTER_WORDS], exclude[:MAX_FILTER_WORDS], dropped


def filter_notes(lang: str, dropped: list[str], cut: list[str]) -> str:
    """Lines telling the user which words the limits left out or shortened (empty when none)."""
    notes = []
    if dropped:
        notes.append(
            t(lang, "filter_dropped", limit=MAX_FILTER_WORDS, n=len(dropped), words=", ".join(dropped))
        )
    if cut:
        notes.append(t(lang, "filter_cut", limit=MAX_WORD, n=len(cut), words=", ".join(f"{w}…" for w in cut)))
    return "".join("\n" + note for note in notes)


async def filter_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep only articles with +words, drop those with -words; `clear` removes all; alone, show them."""
    lang = await lang_of(update, context)
    args = args_of(context)
    parsed = parse_filter(args) if args and args != ["clear"] else FilterWords()
    if parsed is None:
        await reply(update, context, t(lang, "filter_bad"))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    chat, note = target
    store = services(context).store
    if args == ["clear"]:
        await db(store.chats.update, chat.chat_id, include_words=[], exclude_words=[])
        await reply(update, context, t(lang, "filter_cleared") + note)
        return
    include, exclude, dropped = merge_filter(chat, parsed)
    if args:
        await db(store.chats.update, chat.chat_id, include_words=include, exclude_words=exclude)
    none = t(lang, "filter_none")
    shown = t(lang, "filter_show", include=", ".join(include) or none, exclude=", ".join(exclude) or none)
    await reply(update, context, shown + note + filter_notes(lang, dropped, parsed.cut))
