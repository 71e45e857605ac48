"""`seedwatch run`: the daemon (bot, schedule, crawls, deliveries) in one process."""

from __future__ import annotations

import asyncio
import os

import click

from bot.cli.common import configure_logging, open_store, settings_options
from crawler.config import Settings


@click.command("run")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@settings_options
def run_daemon(settings: Settings, verbose: int) -> None:
    """Run seedwatch for real: the bot, crawls on a schedule, each digest at its subscriber's local time.

    One long-lived process: the Telegram bot (long polling, or a webhook when bot.webhook_url is set), a
    crawl of the due sources every crawl.interval_minutes in a child process, digest delivery, and
    housekeeping. Stop it with SIGTERM or Ctrl-C: the message being sent finishes and is recorded.
    Everything lives in the database, so a restart sends what fell due meanwhile, once.

    \b
    Example:
      TELEGRAM_BOT_TOKEN=123:abc seedwatch run --config /etc/seedwatch/seedwatch.toml
    """
    from telegram.error import TelegramError

    from bot.daemon import Daemon, DaemonError
    from bot.supervise import ChildCommand

    configure_logging(settings, verbose)
    config_file = click.get_current_context().params.get("config_file")
    command = ChildCommand.for_settings(settings, os.environ, config_file)
    store = open_store(settings)
    try:
        try:
            daemon = Daemon(settings, store, command)
        except ValueError as exc:  # no bot token
            raise click.UsageError(str(exc)) from None
        try:
            daemon.claim()
        except DaemonError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            asyncio.run(daemon.run())
        except TelegramError as exc:  # the Bot API unreachable at start, a revoked token
            raise click.ClickException(f"Telegram ({settings.bot.base_url}): {exc}") from None
        finally:
            daemon.release()
    finally:
        store.close()
