"""The Telegram bot: `build_application` registers every handler from one command table.

`COMMANDS` is the one list of the bot's commands: it registers their handlers, fills Telegram's command
menu (`setMyCommands`, per language) and writes `/help`. The handlers live in `bot.handlers` (one module
per command family) and never import this module.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
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
from bot.handlers import admin, channels, chat_settings, digest, reports, sources, start, subscription
from bot.handlers.common import Command, CrawlLauncher, Services, lang_of, reply
from bot.i18n import LANGS, t
from bot.ratelimit import FloodLimiter
from bot.updates import ChatOrderedProcessor
from crawler.config import Settings
from crawler.storage import Store

logger = logging.getLogger(__name__)

# In menu and /help order.
COMMANDS: tuple[Command, ...] = (
    Command("subscribe", subscription.subscribe),
    Command("unsubscribe", subscription.unsubscribe),
    Command("topics", subscription.topics),
    Command("digest", digest.digest_command),
    Command("time", chat_settings.time_command),
    Command("timezone", chat_settings.timezone_command),
    Command("lang", chat_settings.lang_command),
    Command("filter", chat_settings.filter_command),
    Command("claims", reports.claims),
    Command("sources", reports.sources),
    Command("status", reports.status),
    Command("channel", channels.channel, menu=False),
    Command("help", start.help_command, help=False),
    Command("start", start.start, menu=False, help=False),
    Command("crawl", admin.crawl, menu=False, admin=True),
    Command("stats", admin.stats, menu=False, admin=True),
    Command("broadcast", admin.broadcast, menu=False, admin=True),
    Command("addsource", sources.addsource, menu=False, admin=True),
    Command("removesource", sources.removesource, menu=False, admin=True),
)


def command_menu(commands: tuple[Command, ...], lang: str) -> list[BotCommand]:
    """Telegram's command menu in one language, from the command table."""
    return [BotCommand(c.name, t(lang, f"cmd_{c.name}")) for c in commands if c.menu and not c.admin]


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    for lang in LANGS:
        menu = command_menu(COMMANDS, lang)
        await application.bot.set_my_commands(menu, language_code=None if lang == "en" else lang)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any handler failure once and tell the chat briefly."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await reply(update, context, t(await lang_of(update, context), "error"))
        except Exception as exc:  # the chat (or the database) may be the problem itself; never loop
            logger.info("could not report the error to chat %d: %s", update.effective_chat.id, exc)


async def no_crawl() -> str:
    """/crawl where no crawl launcher was given (tests, embedding): says how to crawl instead."""
    return "no crawl launcher in this process; run `seedwatch crawl` or `seedwatch run`"


def deliverer_of(application: Application) -> Deliverer:  # type: ignore[type-arg]
    """The application's `Deliverer`, for the daemon's scheduled passes."""
    found = application.bot_data["seedwatch"]
    assert isinstance(found, Services)
    return found.deliverer


def _add_handlers(application: Application) -> None:  # type: ignore[type-arg]
    only_messages = filters.UpdateType.MESSAGE
    for command in COMMANDS:
        application.add_handler(CommandHandler(command.name, command.callback, filters=only_messages))
    application.add_handler(CallbackQueryHandler(subscription.on_topic_button, pattern=r"^topic:"))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, channels.on_migrate))
    private = filters.ChatType.PRIVATE & only_messages
    application.add_handler(MessageHandler(private & filters.FORWARDED, channels.on_forward))
    application.add_handler(ChatMemberHandler(channels.on_bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    # Last, so they see only what no handler above took.
    application.add_handler(MessageHandler(filters.COMMAND & only_messages, start.unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, start.plain_text))


def build_application(
    settings: Settings,
    store: Store,
    *,
    limiter: FloodLimiter | None = None,
    crawl: CrawlLauncher | None = None,
    deliverer_options: dict[str, object] | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot: every command handler, the flood limiter and one error handler, at `settings.bot.base_url`."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ValueError("no bot token: set TELEGRAM_BOT_TOKEN (from @BotFather)")
    bot_settings = settings.bot
    limiter = limiter or FloodLimiter(
        bot_settings.overall_per_second,
        bot_settings.per_chat_per_second,
        bot_settings.per_group_per_minute,
        max_retry_after=bot_settings.max_retry_after,
    )
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(bot_settings.base_url)
        .base_file_url(bot_settings.base_file_url)
        .rate_limiter(limiter)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .post_init(_post_init)
    )
    if bot_settings.concurrent_updates > 1:  # else PTB's default: one update at a time
        builder = builder.concurrent_updates(ChatOrderedProcessor(bot_settings.concurrent_updates))
    application = builder.build()
    deliverer = Deliverer(settings, store, application.bot, **(deliverer_options or {}))  # type: ignore[arg-type]
    application.bot_data["seedwatch"] = Services(settings, store, deliverer, crawl or no_crawl, COMMANDS)
    _add_handlers(application)
    application.add_error_handler(on_error)
    return application
