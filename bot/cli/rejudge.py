"""`seedwatch rejudge`: apply the current judging to every stored article again."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.cli.common import configure_logging, open_store, settings_options
from crawler.config import Settings
from crawler.judge_service import rejudge
from crawler.seeds import SeedError


@click.command("rejudge")
@click.option("-v", "--verbose", count=True, help="More log output.")
@settings_options
def rejudge_command(settings: Settings, verbose: int) -> None:
    """Judge every stored article again: copies, stories, seed claims and novelty.

    Use it after editing a seed's claims file or a threshold in the config, so the change takes effect
    without a new crawl. Each article's new judgement replaces the old one in its own transaction.

    \b
    Example: seedwatch rejudge --db sqlite:///data/seedwatch.db
    """
    configure_logging(settings, verbose)
    store = open_store(settings, existing=True)
    console = Console(stderr=True)
    try:
        total = store.articles.count()
        with Progress(
            TextColumn("rejudging"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("rejudge", total=total)
            summary = rejudge(settings, store, on_article=lambda n: bar.update(task, completed=n))
    except SeedError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    click.echo(
        f"rejudged {summary.articles} articles: {summary.duplicates} copies, {summary.stories} stories, "
        f"{summary.claims} claim matches ({summary.stories_removed} old stories removed)"
    )
