"""`seedwatch digest`: print, write or send the digest."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import click

from bot.cli.common import (
    check_output_file,
    configure_logging,
    open_store,
    parse_since,
    settings_options,
)
from bot.digest import claims_timeline, preview_digest
from bot.render import render_page, render_text
from crawler.config import Settings
from crawler.storage import Store, utcnow

logger = logging.getLogger(__name__)


async def send_due(settings: Settings, store: Store) -> str:
    """Send every digest that is due now through the Bot API; a one-line report."""
    from telegram.ext import ExtBot

    from bot.delivery import Deliverer
    from bot.ratelimit import FloodLimiter

    assert settings.telegram_token is not None
    limiter = FloodLimiter(
        settings.bot.overall_per_second,
        settings.bot.per_chat_per_second,
        settings.bot.per_group_per_minute,
        max_retry_after=settings.bot.max_retry_after,
    )
    bot: ExtBot[int] = ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.bot.base_url,
        base_file_url=settings.bot.base_file_url,
        rate_limiter=limiter,
    )
    async with bot:
        deliverer = Deliverer(settings, store, bot)
        report = await deliverer.deliver_due()
    outcomes = ", ".join(f"{n} {name}" for name, n in sorted(report.outcomes.items())) or "nothing sent"
    return (
        f"{report.due} digests due, {report.resumed} resumed: {outcomes} "
        f"({deliverer.messages_sent} messages, {limiter.retries} flood waits)"
    )


@click.command("digest")
@click.option("--print", "print_it", is_flag=True, help="Show the digest in the terminal (the default).")
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write it as an HTML page."
)
@click.option("--send", is_flag=True, help="Send it now to every subscriber whose digest is due.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language (default: bot.default_lang).")
@click.option(
    "--since", metavar="DATE", help="Start of the window: YYYY-MM-DD[THH:MM] (default: 24 hours ago)."
)
@click.option("--topic", "topics", multiple=True, metavar="T", help="Only this topic (repeatable).")
@click.option("-v", "--verbose", count=True, help="More log output.")
@settings_options
def digest_command(
    *,
    settings: Settings,
    print_it: bool,
    html_file: Path | None,
    send: bool,
    lang: str | None,
    since: str | None,
    topics: tuple[str, ...],
    verbose: int,
) -> None:
    """Show the digest of what was crawled, write it as a web page, or send it to subscribers.

    \b
    Examples:
      seedwatch digest --print --lang zh --since 2025-01-27
      seedwatch digest --html digest.html --topic stargate
      TELEGRAM_BOT_TOKEN=... seedwatch digest --send
    """
    configure_logging(settings, verbose)
    unknown = [t for t in topics if t not in settings.topics]
    if unknown:
        known = ", ".join(sorted(settings.topics)) or "none configured"
        raise click.BadParameter(f"unknown topic {unknown[0]!r} (topics: {known})", param_hint="--topic")
    if send and (settings.telegram_token is None or not settings.telegram_token.get_secret_value()):
        raise click.UsageError("--send needs the bot token: set TELEGRAM_BOT_TOKEN")
    if html_file is not None:
        check_output_file(html_file, "--html")
    since_at = parse_since(since)
    store = open_store(settings, existing=True)
    try:
        now = utcnow()
        digest, view = preview_digest(
            settings,
            store,
            lang=lang,
            since=since_at or now - timedelta(hours=24),
            topics=topics,
            now=now,
        )
        if print_it or not (html_file or send):
            click.echo(render_text(digest, view.lang, view.zone), nl=False)
        if html_file is not None:
            timeline = claims_timeline(store, digest.wording)
            html_file.write_text(render_page(digest, view.lang, view.zone, timeline), encoding="utf-8")
            click.echo(f"wrote {html_file}", err=True)
        if send:
            click.echo(asyncio.run(send_due(settings, store)))
    finally:
        store.close()
