"""The Telegram bot: `build_application` wires every command handler, the flood limiter and the error handler.

Handlers are thin: they read the chat's settings, call the library (`bot.delivery`, `bot.prepare`, the store)
and reply in the chat's language. User commands live in `bot.commands`, admin and channel set-up in
`bot.admin`; shared helpers (who may change what, where to reply) are here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram import Chat as TgChat
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.delivery import Deliverer
from bot.i18n import normalize_lang, t
from bot.ratelimit import FloodLimiter
from crawler.config import Settings
from crawler.storage import Chat, Store

logger = logging.getLogger(__name__)

CrawlLauncher = Callable[[], Awaitable[str]]
ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


@dataclass
class Services:
    """What the handlers use, kept in `application.bot_data`."""

    settings: Settings
    store: Store
    deliverer: Deliverer
    crawl: CrawlLauncher
    crawl_task: asyncio.Task[str] | None = None


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of the application handling this update."""
    found = context.application.bot_data["seedwatch"]
    assert isinstance(found, Services)
    return found


def deliverer_of(application: Application) -> Deliverer:  # type: ignore[type-arg]
    """The application's `Deliverer`, for the daemon's scheduled passes."""
    found = application.bot_data["seedwatch"]
    assert isinstance(found, Services)
    return found.deliverer


# -- chats, languages, permissions --------------------------------------------------------------------


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


def own_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Chat:
    """The stored row of the chat this update came from (created on first contact)."""
    chat = update.effective_chat
    assert chat is not None
    user = update.effective_user
    defaults = chat_defaults(services(context).settings, chat, user.language_code if user else None)
    return services(context).store.chats.ensure(chat.id, defaults)


def lang_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language to answer in: the chat's own."""
    return normalize_lang(own_chat(update, context).lang, services(context).settings.bot.default_lang)


def thread_of(update: Update) -> int | None:
    """The forum topic the update came from, so replies and digests go back there."""
    message = update.effective_message
    return message.message_thread_id if message is not None and message.is_topic_message else None


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, **kwargs: object) -> None:
    """Answer in the same chat and forum topic (HTML, no link previews: the application's defaults)."""
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text, message_thread_id=thread_of(update), **kwargs)  # type: ignore[arg-type]


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
        await reply(update, context, t(lang_of(update, context), "admins_only"))
    return False


async def settings_target(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Chat, str] | None:
    """The chat a settings command changes, and a note naming it when it is a managed channel.

    A private chat that set up a channel (`/channel`) changes the channel's settings, as long as its user is
    still an admin there. None when the user may not change anything (already answered).
    """
    if not await may_change(update, context):
        return None
    own = own_chat(update, context)
    store = services(context).store
    channel = store.chats.managing(own.chat_id) if own.kind == ChatType.PRIVATE else None
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


# -- the application --------------------------------------------------------------------------------


COMMANDS = {
    "en": [
        ("subscribe", "Get the daily digest"),
        ("unsubscribe", "Stop the daily digest"),
        ("topics", "Choose topics"),
        ("digest", "The digest now"),
        ("time", "Digest time, HH:MM"),
        ("timezone", "Time zone, Area/City"),
        ("lang", "Language: zh or en"),
        ("filter", "Keep or drop words: +word -word"),
        ("claims", "The seed's claims in the coverage"),
        ("sources", "How the sources are doing"),
        ("status", "This chat's settings"),
        ("help", "What I can do"),
    ],
    "zh": [
        ("subscribe", "订阅每日摘要"),
        ("unsubscribe", "取消订阅"),
        ("topics", "选择话题"),
        ("digest", "立即获取摘要"),
        ("time", "推送时间 HH:MM"),
        ("timezone", "时区 地区/城市"),
        ("lang", "语言 zh 或 en"),
        ("filter", "筛选词 +词 -词"),
        ("claims", "原文论断追踪"),
        ("sources", "信息源状况"),
        ("status", "本聊天设置"),
        ("help", "帮助"),
    ],
}


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    for lang, commands in COMMANDS.items():
        menu = [BotCommand(name, text) for name, text in commands]
        await application.bot.set_my_commands(menu, language_code=None if lang == "en" else lang)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler failure once and tell the chat briefly."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await reply(update, context, t(lang_of(update, context), "error"))
        except Exception as exc:  # the chat may be the problem itself; never loop on errors
            logger.info("could not report the error to chat %d: %s", update.effective_chat.id, exc)


async def no_crawl() -> str:
    """/crawl where no crawl launcher was given (tests, embedding): says how to crawl instead."""
    return "no crawl launcher in this process; run `seedwatch crawl` or `seedwatch run`"


def build_application(
    settings: Settings,
    store: Store,
    *,
    limiter: FloodLimiter | None = None,
    crawl: CrawlLauncher | None = None,
    deliverer_options: dict[str, object] | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot: every command handler, the flood limiter and one error handler, at `settings.bot.base_url`."""
    from bot import admin, commands, reports

    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ValueError("no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather)")
    bot_settings = settings.bot
    limiter = limiter or FloodLimiter(
        bot_settings.overall_per_second,
        bot_settings.per_chat_per_second,
        bot_settings.per_group_per_minute,
        max_retry_after=bot_settings.max_retry_after,
    )
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(bot_settings.base_url)
        .base_file_url(bot_settings.base_file_url)
        .rate_limiter(limiter)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .post_init(_post_init)
        .build()
    )
    deliverer = Deliverer(settings, store, application.bot, **(deliverer_options or {}))  # type: ignore[arg-type]
    application.bot_data["seedwatch"] = Services(settings, store, deliverer, crawl or no_crawl)
    only_messages = filters.UpdateType.MESSAGE
    handlers = {**commands.HANDLERS, **reports.HANDLERS, **admin.HANDLERS}
    for name, callback in handlers.items():
        application.add_handler(CommandHandler(name, callback, filters=only_messages))
    application.add_handler(CallbackQueryHandler(commands.on_topic_button, pattern=r"^topic:"))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, admin.on_migrate))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.FORWARDED & only_messages, admin.on_forward)
    )
    application.add_handler(ChatMemberHandler(admin.on_bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    # Last in its group, so it sees only the commands no handler above took.
    application.add_handler(MessageHandler(filters.COMMAND & only_messages, commands.unknown_command))
    application.add_error_handler(on_error)
    return application
