"""`seedwatch demo`: the whole job, offline, on a bundled news web served on 127.0.0.1."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from bot.cli.common import check_output_file, config_option, configure_logging
from bot.cli.crawl import exit_for, live_progress, print_summary
from bot.cli.findings import print_findings
from crawler.config import ConfigError, Settings, load_settings
from crawler.demo import DemoSiteProcess
from crawler.runner import CrawlSetupError, run_crawl
from crawler.sources import parse_sources

# Everything is on one loopback host, which answers at once: no delay, and short timeouts so the
# deliberately slow page costs seconds, not minutes. One request at a time (and one spider at a time):
# pages then arrive in the same order on every run, so the same corpus gives the same pages, copies,
# stories, claims and digest.
DEMO_OVERRIDES: dict[str, Any] = {
    "crawl.download_delay": 0,
    "crawl.autothrottle": False,
    "crawl.concurrent_requests": 1,
    "crawl.concurrent_per_domain": 1,
    "crawl.extract_processes": 0,  # one page at a time: a pool of extracting processes would only wait
    "crawl.download_timeout": 5,
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


DEMO_DB = "demo.db"


def demo_database(config_file: str | None, keep: str | None) -> Path:
    """Where the demo keeps its database: `demo.db` in --keep FOLDER, else in data_dir (data/)."""
    if keep:
        return Path(keep) / DEMO_DB
    try:
        settings = load_settings(config_file)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    return settings.resolve(settings.data_dir) / DEMO_DB


def _shown(path: Path) -> str:
    """A path as a user in the current folder would type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the demo database (demo.db) in this folder (default: data_dir, i.e. data/).",
)
@click.option("--temporary", is_flag=True, help="Use a temporary database, deleted afterwards.")
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
    keep: str | None,
    temporary: bool,
    lang: str | None,
    html_file: Path | None,
    config_file: str | None,
    verbose: int,
) -> None:
    """Run the whole job offline: serve the bundled news web on 127.0.0.1, crawl it, judge it, show it.

    Nothing leaves this machine and your own database is not touched: the demo's is data/demo.db,
    replaced on every run (the same corpus gives the same result every time). Look at it with the
    other commands by naming it: export SEEDWATCH_DATABASE_URL=sqlite:///data/demo.db

    \b
    Examples:
      seedwatch demo
      seedwatch demo --lang zh --html digest.html
      seedwatch demo --keep demo-data     # then: seedwatch export --db sqlite:///demo-data/demo.db
    """
    if keep and temporary:
        raise click.UsageError("--keep and --temporary exclude each other")
    if html_file is not None:
        check_output_file(html_file, "--html")
    console = Console()
    with tempfile.TemporaryDirectory(prefix="seedwatch-demo-") as scratch:
        database = Path(scratch) / DEMO_DB if temporary else demo_database(config_file, keep)
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            where = f"{str(database.parent)!r}"
            raise click.BadParameter(f"cannot create {where}: {exc.strerror}", param_hint="--keep") from None
        for stale in (database, database.with_name(DEMO_DB + "-wal"), database.with_name(DEMO_DB + "-shm")):
            stale.unlink(missing_ok=True)
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
        if summary.status == "interrupted":
            exit_for(summary)
        print_findings(console, settings, lang or settings.bot.default_lang, html_file)
        if not temporary:
            url = f"sqlite:///{_shown(database)}"
            console.print(
                f"\nThe demo's database is {_shown(database)}. To look at it with the other commands:\n"
                f"  export SEEDWATCH_DATABASE_URL={url}",
                markup=False,
                highlight=False,
            )
