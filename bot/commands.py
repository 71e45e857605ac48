"""The bot's user commands: one handler each, thin over the store and the library."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import t
from bot.prepare import next_due, parse_hhmm, zone_of
from bot.render import format_time
from bot.telegram_bot import (
    is_chat_admin,
    lang_of,
    may_change,
    own_chat,
    reply,
    services,
    settings_target,
    thread_of,
)
from crawler.storage import Chat, utcnow
from crawler.storage.deliveries import EMPTY

logger = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
MAX_FILTER_WORDS = 30
MAX_WORD = 60


def _topic_names(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return sorted(services(context).settings.topics)


def topics_text(chat: Chat, lang: str) -> str:
    return ", ".join(chat.topics) if chat.topics else t(lang, "all_topics")


def _args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return [a for a in (context.args or []) if a]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a new chat and say how to subscribe."""
    chat = own_chat(update, context)
    if not chat.active:
        services(context).store.chats.update(chat.chat_id, active=True, inactive_reason=None)
    await reply(
        update, context, t(lang_of(update, context), "start", time=chat.digest_time, timezone=chat.timezone)
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands."""
    chat = own_chat(update, context)
    await reply(
        update, context, t(lang_of(update, context), "help", time=chat.digest_time, timezone=chat.timezone)
    )


def _known_topics(context: ContextTypes.DEFAULT_TYPE, wanted: list[str]) -> tuple[list[str], str | None]:
    names = {name.casefold(): name for name in _topic_names(context)}
    found = []
    for word in wanted:
        if word.casefold() not in names:
            return [], word
        found.append(names[word.casefold()])
    return found, None


async def _topics_and_target(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str
) -> tuple[list[str], Chat, str] | None:
    """The topics named in the command and the chat whose settings change, or None after a reply."""
    topics, unknown = _known_topics(context, _args(context))
    if unknown is not None:
        await reply(
            update, context, t(lang, "unknown_topic", topic=unknown, topics=", ".join(_topic_names(context)))
        )
        return None
    target = await settings_target(update, context)
    if target is None:
        return None
    chat, note = target
    return topics, chat, note


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe the chat to the daily digest, for all topics or the ones named."""
    lang = lang_of(update, context)
    chosen_target = await _topics_and_target(update, context, lang)
    if chosen_target is None:
        return
    topics, chat, note = chosen_target
    chosen = sorted(set(chat.topics) | set(topics)) if topics and chat.topics else topics or list(chat.topics)
    values: dict[str, Any] = {"subscribed": True, "active": True, "inactive_reason": None, "topics": chosen}
    if not chat.subscribed or chat.next_due_at is None:
        values["next_due_at"] = next_due(utcnow(), chat.digest_time, chat.timezone)
    if chat.kind != ChatType.CHANNEL and chat.chat_id == update.effective_chat.id:  # type: ignore[union-attr]
        values["thread_id"] = thread_of(update)
    chat = services(context).store.chats.update(chat.chat_id, **values) or chat
    text = t(
        lang, "subscribed", time=chat.digest_time, timezone=chat.timezone, topics=topics_text(chat, lang)
    )
    await reply(update, context, text + note)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the daily digest, or drop only the topics named."""
    lang = lang_of(update, context)
    chosen_target = await _topics_and_target(update, context, lang)
    if chosen_target is None:
        return
    topics, chat, note = chosen_target
    store = services(context).store
    remaining = [name for name in (chat.topics or _topic_names(context)) if name not in topics]
    if topics and remaining:
        chat = store.chats.update(chat.chat_id, topics=remaining) or chat
        await reply(update, context, t(lang, "topics_left", topics=topics_text(chat, lang)) + note)
        return
    store.chats.update(chat.chat_id, subscribed=False, next_due_at=None)
    await reply(update, context, t(lang, "unsubscribed") + note)


def topics_keyboard(chat: Chat, names: list[str]) -> InlineKeyboardMarkup:
    """One button per topic, ticked when the chat follows it."""
    rows = [
        [InlineKeyboardButton(("✅ " if name in chat.topics else "▫️ ") + name, callback_data=f"topic:{name}")]
        for name in names
    ]
    return InlineKeyboardMarkup(rows)


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the topics as buttons to switch on and off."""
    target = await settings_target(update, context)
    if target is None:
        return
    chat, note = target
    text = t(lang_of(update, context), "topics_prompt") + note
    await reply(update, context, text, reply_markup=topics_keyboard(chat, _topic_names(context)))


async def on_topic_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Toggle the topic whose button was pressed, and redraw the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    name = query.data.split(":", 1)[1]
    lang = lang_of(update, context)
    chat_here = update.effective_chat
    in_group = chat_here is not None and chat_here.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    if (
        in_group
        and chat_here is not None
        and not await is_chat_admin(context, chat_here.id, query.from_user.id)
    ):
        await query.answer(t(lang, "admins_only"), show_alert=True)
        return
    target = await settings_target(update, context)
    if target is None or name not in _topic_names(context):
        await query.answer()
        return
    chat, note = target
    chosen = set(chat.topics) ^ {name}
    chat = services(context).store.chats.update(chat.chat_id, topics=sorted(chosen)) or chat
    await query.answer(f"{name}: {'✅' if name in chosen else '▫️'}")
    try:
        await query.edit_message_text(
            t(lang, "topics_prompt") + note, reply_markup=topics_keyboard(chat, _topic_names(context))
        )
    except BadRequest as exc:  # "message is not modified" after a double tap
        logger.info("topics keyboard not redrawn: %s", exc)


async def _reschedule(context: ContextTypes.DEFAULT_TYPE, chat: Chat, **values: Any) -> Chat:
    digest_time = values.get("digest_time", chat.digest_time)
    timezone = values.get("timezone", chat.timezone)
    if chat.subscribed:
        values["next_due_at"] = next_due(utcnow(), digest_time, timezone)
    return services(context).store.chats.update(chat.chat_id, **values) or chat


async def time_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set when the daily digest comes (HH:MM, local time)."""
    lang = lang_of(update, context)
    args = _args(context)
    at = parse_hhmm(args[0]) if len(args) == 1 else None
    if at is None:
        await reply(update, context, t(lang, "time_bad"))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    chat = await _reschedule(context, target[0], digest_time=f"{at:%H:%M}")
    await reply(
        update, context, t(lang, "time_set", time=chat.digest_time, timezone=chat.timezone) + target[1]
    )


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
    lang = lang_of(update, context)
    args = _args(context)
    zone = valid_zone(args[0]) if len(args) == 1 else None
    if zone is None:
        await reply(update, context, t(lang, "tz_bad"))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    chat = await _reschedule(context, target[0], timezone=zone)
    await reply(update, context, t(lang, "tz_set", timezone=chat.timezone, time=chat.digest_time) + target[1])


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the digest language: zh or en."""
    args = _args(context)
    choice = args[0].lower() if len(args) == 1 else ""
    if choice not in ("zh", "en"):
        await reply(update, context, t(lang_of(update, context), "lang_bad"))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    services(context).store.chats.update(target[0].chat_id, lang=choice)
    # A chat switching its own language is answered in the new one; a managed channel's in ours.
    answer_in = lang_of(update, context)
    await reply(
        update, context, t(answer_in, "lang_set", language=t(answer_in, f"lang_name_{choice}")) + target[1]
    )


def parse_filter(args: list[str]) -> tuple[list[str], list[str]] | None:
    """`+word` to keep, `-word` to drop; None when a word has no sign (plain words, never patterns)."""
    include: list[str] = []
    exclude: list[str] = []
    for arg in args:
        word = arg[1:].strip()[:MAX_WORD]
        if arg[:1] not in "+-" or not word:
            return None
        (include if arg[0] == "+" else exclude).append(word)
    return include, exclude


async def filter_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep only articles with +words, drop those with -words; `clear` removes all; alone, show them."""
    lang = lang_of(update, context)
    args = _args(context)
    parsed = parse_filter(args) if args and args != ["clear"] else ([], [])
    if parsed is None:
        await reply(update, context, t(lang, "filter_bad"))
        return
    target = await settings_target(update, context)
    if target is None:
        return
    chat, note = target
    if args == ["clear"]:
        services(context).store.chats.update(chat.chat_id, include_words=[], exclude_words=[])
        await reply(update, context, t(lang, "filter_cleared") + note)
        return
    add_in, add_out = parsed
    include = [w for w in chat.include_words if w.casefold() not in {x.casefold() for x in add_out}]
    exclude = [w for w in chat.exclude_words if w.casefold() not in {x.casefold() for x in add_in}]
    include += [w for w in add_in if w.casefold() not in {x.casefold() for x in include}]
    exclude += [w for w in add_out if w.casefold() not in {x.casefold() for x in exclude}]
    include, exclude = include[:MAX_FILTER_WORDS], exclude[:MAX_FILTER_WORDS]
    if args:
        services(context).store.chats.update(chat.chat_id, include_words=include, exclude_words=exclude)
    none = t(lang, "filter_none")
    shown = t(lang, "filter_show", include=", ".join(include) or none, exclude=", ".join(exclude) or none)
    await reply(update, context, shown + note)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the digest now, covering everything since the chat's last one."""
    if not await may_change_digest(update, context):
        return
    chat = own_chat(update, context)
    outcome = await services(context).deliverer.deliver_now(chat, str(update.update_id), thread_of(update))
    if outcome == EMPTY:
        since = chat.last_window_end
        lang = lang_of(update, context)
        shown = format_time(since, lang, zone_of(chat.timezone)) if since else t(lang, "never")
        await reply(update, context, t(lang, "digest_empty", since=shown))


async def may_change_digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A digest moves the chat's window on, so in groups only admins ask for one."""
    return await may_change(update, context)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a command we do not know with a pointer to /help (in groups only when it is meant for us)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split()[0][1:]
    name, _, addressee = word.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # another bot's command
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE and not addressee:
        return  # in a group, a bare unknown command is likely for another bot
    await reply(update, context, t(lang_of(update, context), "unknown_command", command=name))


HANDLERS: dict[str, Handler] = {
    "start": start,
    "help": help_command,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "topics": topics,
    "time": time_command,
    "timezone": timezone_command,
    "lang": lang_command,
    "filter": filter_command,
    "digest": digest_command,
}
