"""`seedwatch bot`: the Telegram bot alone, long polling until Ctrl-C."""

from __future__ import annotations

import logging
import os

import click

from bot.cli.common import configure_logging, open_store, settings_options
from crawler.config import Settings

logger = logging.getLogger(__name__)


@click.command("bot")
@click.option("-v", "--verbose", count=True, help="More log output.")
@settings_options
def bot_command(settings: Settings, verbose: int) -> None:
    """Run the Telegram bot alone (long polling) until Ctrl-C; digests are sent by `seedwatch run`.

    \b
    Example:
      TELEGRAM_BOT_TOKEN=123:abc seedwatch bot
    """
    from telegram import Update

    from bot.application import build_application
    from bot.supervise import ChildCommand, CrawlSupervisor

    configure_logging(settings, verbose)
    store = open_store(settings)
    # /crawl starts the same isolated, time-limited crawl child the daemon uses.
    config_file = click.get_current_context().params.get("config_file")
    supervisor = CrawlSupervisor(
        settings, store, ChildCommand.for_settings(settings, os.environ, config_file)
    )

    async def crawl() -> str:
        return (await supervisor.run(trigger="admin", due_only=False)).summary()

    try:
        application = build_application(settings, store, crawl=crawl)
    except ValueError as exc:
        store.close()
        raise click.UsageError(str(exc)) from None
    logger.info("bot polling %s (token hidden)", settings.bot.base_url)
    try:
        application.run_polling(timeout=int(settings.bot.poll_timeout), allowed_updates=Update.ALL_TYPES)
    finally:
        store.close()
