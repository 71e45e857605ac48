"""`seedwatch status`: the daemon, crawls, sources, subscribers and deliveries at a glance."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import click

from bot.cli.common import open_store, settings_options
from crawler.config import Settings


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object (for monitoring).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@settings_options
def status(settings: Settings, as_json: bool, lang: str) -> None:
    """How seedwatch is doing: the daemon, last and next crawl, every source's health, subscribers,
    digests sent today and deliveries pending (admins get the same from the bot's /status).

    \b
    Example: seedwatch status --config /etc/seedwatch/seedwatch.toml
    """
    from bot.status import collect_status, render_status

    store = open_store(settings, existing=True)
    try:
        report = collect_status(settings, store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(_jsonable(dataclasses.asdict(report)), ensure_ascii=False, indent=2))
        return
    click.echo(render_status(report, lang, UTC))
