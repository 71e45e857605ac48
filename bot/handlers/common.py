"""What every handler shares: the services, the chat an update comes from, replies, who may change what."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from telegram import Chat as TgChat
from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.delivery import Deliverer
from bot.i18n import normalize_lang, t
from crawler.config import Settings
from crawler.storage import Chat, Store

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
CrawlLauncher = Callable[[], Awaitable[str]]
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


@dataclass(frozen=True)
class Command:
    """One bot command: its handler, and where it is listed (the menu, /help; admins' commands apart)."""

    name: str
    callback: Handler
    menu: bool = True  # in Telegram's command menu (setMyCommands), wording `cmd_<name>`
    help: bool = True  # a line of /help, wording `help_<name>`
    admin: bool = False  # seedwatch admins only: listed in /help for them alone, never in the menu


@dataclass
class Services:
    """What the handlers use, kept in `application.bot_data`."""

    settings: Settings
    store: Store
    deliverer: Deliverer
    crawl: CrawlLauncher
    commands: tuple[Command, ...] = ()
    crawl_task: asyncio.Task[str] | None = None


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of the application handling this update."""
    found = context.application.bot_data["seedwatch"]
    assert isinstance(found, Services)
    return found


async def db(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a (synchronous) store call in a worker thread, so a locked database never blocks the loop."""
    return await asyncio.to_thread(func, *args, **kwargs)


# -- chats, languages ----------------------------------------------------------------------------


def chat_defaults(settings: Settings, chat: TgChat, language_code: str | None = None) -> dict[str, object]:
    """Settings a chat starts with; a private chat starts in its user's language when we have it."""
    lang: str = settings.bot.default_lang
    if chat.type == ChatType.PRIVATE and language_code:
        lang = normalize_lang(language_code, lang)
    title = chat.title or (f"@{chat.username}" if chat.username else chat.full_name or "")
    return {
        "kind": chat.type,
        "title": title[:300],
        "lang": lang,
        "timezone": settings.bot.default_timezone,
        "digest_time": settings.bot.default_time,
    }


async def own_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Chat:
    """The stored row of the chat this update came from (created on first contact)."""
    chat = update.effective_chat
    assert chat is not None
    user = update.effective_user
    svc = services(context)
    defaults = chat_defaults(svc.settings, chat, user.language_code if user else None)
    return await db(svc.store.chats.ensure, chat.id, defaults)


def lang_of_chat(chat: Chat, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language a stored chat is answered in."""
    return normalize_lang(chat.lang, services(context).settings.bot.default_lang)


async def lang_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language to answer in: the chat's own."""
    return lang_of_chat(await own_chat(update, context), context)


def thread_of(update: Update) -> int | None:
    """The forum topic the update came from, so replies and digests go back there."""
    message = update.effective_message
    return message.message_thread_id if message is not None and message.is_topic_message else None


def args_of(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    """The command's non-empty arguments."""
    return [a for a in (context.args or []) if a]


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, **kwargs: object) -> None:
    """Answer in the same chat and forum topic (HTML, no link previews: the application's defaults)."""
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text, message_thread_id=thread_of(update), **kwargs)  # type: ignore[arg-type]


# -- permissions ----------------------------------------------------------------------------------


async def is_chat_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    """Whether a user is an owner or administrator of a chat, as Telegram says now."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        logger.info("cannot check admin rights in chat %d: %s", chat_id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In groups only admins change settings (anonymous admins included); private chats always may."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if user is not None and await is_chat_admin(context, chat.id, user.id):
        return True
    if message is not None:
        await reply(update, context, t(await lang_of(update, context), "admins_only"))
    return False


async def settings_target(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Chat, str] | None:
    """The chat a settings command changes, and a note naming it when it is a managed channel.

    A private chat that set up a channel (`/channel`) changes the channel's settings, as long as its user is
    still an admin there. None when the user may not change anything (already answered).
    """
    if not await may_change(update, context):
        return None
    own = await own_chat(update, context)
    store = services(context).store
    channel = await db(store.chats.managing, own.chat_id) if own.kind == ChatType.PRIVATE else None
    if channel is None:
        return own, ""
    user = update.effective_user
    lang = normalize_lang(own.lang)
    if user is None or not await is_chat_admin(context, channel.chat_id, user.id):
        await reply(update, context, t(lang, "channel_user_not_admin", name=channel.title))
        return None
    return channel, t(lang, "for_channel", name=channel.title)


def is_bot_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the user is one of the seedwatch admins listed in config."""
    user = update.effective_user
    return user is not None and user.id in services(context).settings.bot.admin_ids


def topics_text(chat: Chat, lang: str) -> str:
    """The chat's topics as shown in replies."""
    return ", ".join(chat.topics) if chat.topics else t(lang, "all_topics")
