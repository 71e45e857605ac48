"""/subscribe, /unsubscribe, /topics and the topic buttons."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.digest_time import next_due
from bot.handlers.common import (
    args_of,
    db,
    is_chat_admin,
    lang_of,
    reply,
    services,
    settings_target,
    thread_of,
    topics_text,
)
from bot.i18n import t
from crawler.storage import Chat, utcnow

logger = logging.getLogger(__name__)


def topic_names(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    """The configured topics, sorted."""
    return sorted(services(context).settings.topics)


def _known_topics(context: ContextTypes.DEFAULT_TYPE, wanted: list[str]) -> tuple[list[str], str | None]:
    names = {name.casefold(): name for name in topic_names(context)}
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
    topics, unknown = _known_topics(context, args_of(context))
    if unknown is not None:
        names = ", ".join(topic_names(context))
        await reply(update, context, t(lang, "unknown_topic", topic=unknown, topics=names))
        return None
    target = await settings_target(update, context)
    if target is None:
        return None
    chat, note = target
    return topics, chat, note


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe the chat to the daily digest, for all topics or the ones named."""
    lang = await lang_of(update, context)
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
    updated = await db(services(context).store.chats.update, chat.chat_id, **values)
    chat = updated or chat
    text = t(
        lang, "subscribed", time=chat.digest_time, timezone=chat.timezone, topics=topics_text(chat, lang)
    )
    await reply(update, context, text + note)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the daily digest, or drop only the topics named."""
    lang = await lang_of(update, context)
    chosen_target = await _topics_and_target(update, context, lang)
    if chosen_target is None:
        return
    topics, chat, note = chosen_target
    store = services(context).store
    remaining = [name for name in (chat.topics or topic_names(context)) if name not in topics]
    if topics and remaining:
        updated = await db(store.chats.update, chat.chat_id, topics=remaining)
        chat = updated or chat
        await reply(update, context, t(lang, "topics_left", topics=topics_text(chat, lang)) + note)
        return
    await db(store.chats.update, chat.chat_id, subscribed=False, next_due_at=None)
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
    text = t(await lang_of(update, context), "topics_prompt") + note
    await reply(update, context, text, reply_markup=topics_keyboard(chat, topic_names(context)))


async def on_topic_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Toggle the topic whose button was pressed, and redraw the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    name = query.data.split(":", 1)[1]
    lang = await lang_of(update, context)
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
    if target is None or name not in topic_names(context):
        await query.answer()
        return
    chat, note = target
    chosen = set(chat.topics) ^ {name}
    updated = await db(services(context).store.chats.update, chat.chat_id, topics=sorted(chosen))
    chat = updated or chat
    await query.answer(f"{name}: {'✅' if name in chosen else '▫️'}")
    try:
        await query.edit_message_text(
            t(lang, "topics_prompt") + note, reply_markup=topics_keyboard(chat, topic_names(context))
        )
    except BadRequest as exc:  # "message is not modified" after a double tap
        logger.info("topics keyboard not redrawn: %s", exc)
