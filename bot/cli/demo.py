"""`seedwatch demo`: the whole job, offline, on a bundled news web served on 127.0.0.1."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from bot.cli import main
from bot.cli.common import config_option, configure_logging
from bot.cli.crawl import live_progress, print_summary
from bot.cli.findings import print_findings
from crawler.config import ConfigError, Settings, load_settings
from crawler.demo import DemoSiteProcess
from crawler.runner import CrawlSetupError, run_crawl
from crawler.sources import parse_sources

# Everything is on one loopback host, which answers at once: no delay, more parallel requests,
# and short timeouts so the deliberately slow page costs seconds, not minutes.
DEMO_OVERRIDES: dict[str, Any] = {
    "crawl.download_delay": 0,
    "crawl.autothrottle": False,
    "crawl.concurrent_requests": 16,
    "crawl.concurrent_per_domain": 16,
    "crawl.download_timeout": 8,
    "crawl.retry_times": 1,
    "crawl.retry_backoff": 0.2,
    "crawl.allowed_networks": ["127.0.0.1/32"],  # the demo web on loopback, and nothing else
}


def demo_settings(config_file: str | None, database_url: str) -> Settings:
    """The user's settings with the demo's database and loopback politeness."""
    try:
        return load_settings(config_file, overrides={**DEMO_OVERRIDES, "database_url": database_url})
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@main.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the demo database in this folder (default: a temporary one, deleted afterwards).",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the digest shown.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the digest as a self-contained web page.",
)
@config_option
@click.option("-v", "--verbose", count=True, help="More log output.")
def demo(
    keep: str | None, lang: str | None, html_file: Path | None, config_file: str | None, verbose: int
) -> None:
    """Run the whole job offline: serve the bundled news web on 127.0.0.1, crawl it, judge it, show it.

    Nothing leaves this machine and your own database is not touched.

    \b
    Examples:
      seedwatch demo
      seedwatch demo --lang zh --html digest.html
      seedwatch demo --keep demo-data     # then: seedwatch export --db sqlite:///demo-data/demo.db
    """
    console = Console()
    with tempfile.TemporaryDirectory(prefix="seedwatch-demo-") as scratch:
        folder = Path(keep) if keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "demo.db"
        if database.exists():
            database.unlink()
        settings = demo_settings(config_file, f"sqlite:///{database}")
        # The demo's tables say what happened; log lines only with -v.
        configure_logging(settings.model_copy(update={"log_level": "WARNING"}), verbose)
        with DemoSiteProcess() as site:
            base_url = site.start()
            sources = parse_sources(site.sources(), "the demo site")
            pages = len(site.expectations()["articles"])
            console.print(
                f"[bold]seedwatch demo[/]: a fictional news web of {pages} pages on {len(sources)} sources, "
                f"served at {base_url}"
            )
            try:
                with live_progress(Console(stderr=True)) as (progress, on_change):
                    summary = run_crawl(
                        settings, sources, trigger="demo", progress=progress, on_progress=on_change
                    )
            except CrawlSetupError as exc:
                raise click.ClickException(str(exc)) from None
        print_summary(console, summary)
        print_findings(console, settings, lang or settings.bot.default_lang, html_file)
        if keep:
            console.print(f"The demo database is kept: --db sqlite:///{database}")
