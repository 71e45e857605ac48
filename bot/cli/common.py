"""What every command shares: loading the settings, logging, and turning our errors into usage errors."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from rich.console import Console
from rich.table import Table

from crawler.config import ConfigError, Settings, load_settings
from crawler.storage import MissingDatabase, StorageError, Store

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report a process stopped by Ctrl-C

QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.ext.Updater",
    "apscheduler.executors.default",
    "apscheduler.scheduler",  # "Added job"/"Removed job" at every crawl the daemon plans
    "jieba",
)
# Libraries that narrate every step at INFO (and trafilatura, which logs ordinary pages at ERROR):
# their records below the given level are shown only with -vv.
CHATTY_LOGGERS = {
    "scrapy": logging.WARNING,
    # A site that is down fails its robots.txt first; the crawl records the failure of the page itself.
    "scrapy.downloadermiddlewares.robotstxt": logging.CRITICAL,
    "scrapy.core.downloader.handlers.http11": logging.ERROR,  # size limits: recorded as too_large
    "alembic": logging.WARNING,
    "twisted": logging.WARNING,
    "protego": logging.WARNING,
    "py.warnings": logging.WARNING,
    "trafilatura": logging.CRITICAL,
    "htmldate": logging.CRITICAL,
    "courlan": logging.CRITICAL,
    "readability": logging.CRITICAL,
    "justext": logging.CRITICAL,
}


NOISY_BY_LENGTH = sorted(CHATTY_LOGGERS, key=len, reverse=True)


class LibraryNoiseFilter(logging.Filter):
    """Drops chatty libraries' records below their threshold; survives Scrapy resetting logger levels."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in NOISY_BY_LENGTH:  # the most specific logger name decides
            if record.name == name or record.name.startswith(name + "."):
                return record.levelno >= CHATTY_LOGGERS[name]
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per log line: time, level, logger, message and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(settings: Settings, verbose: int = 0) -> None:
    """Set up logging once, at the entry point; the Bot API token never reaches a log line."""
    level = (
        logging.DEBUG
        if verbose > 1
        else logging.INFO
        if verbose == 1
        else getattr(logging, settings.log_level)
    )
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    if verbose < 2:
        handler.addFilter(LibraryNoiseFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        # httpx logs every request URL, and every Bot API URL contains the token.
        logging.getLogger(name).setLevel(max(logging.WARNING, level))


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A TOML file overriding config/seedwatch.toml.",
)


def settings_options(func: F) -> F:
    """Add --config and --db to a command and hand it a `settings` argument."""

    @config_option
    @click.option("--db", "database_url", default=None, help="Database URL (default: SQLite in data_dir).")
    @functools.wraps(func)
    def wrapper(*args: Any, config_file: str | None, database_url: str | None, **kwargs: Any) -> Any:
        overrides = {"database_url": database_url} if database_url else {}
        try:
            settings = load_settings(config_file, overrides=overrides)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        return func(*args, settings=settings, **kwargs)

    return cast(F, wrapper)


def open_store(settings: Settings, *, existing: bool = False) -> Store:
    """Open (and migrate) the database, or stop with a message that says what is wrong.

    Commands that only read (`existing=True`) refuse a database that is not there instead of creating
    an empty one and printing nothing.
    """
    try:
        return Store(settings.database, must_exist=existing)
    except MissingDatabase as exc:
        raise click.ClickException(
            f"{exc}. Check --db / SEEDWATCH_DATABASE_URL, or crawl first (seedwatch crawl)"
        ) from None
    except StorageError as exc:
        raise click.ClickException(f"{exc}. Check --db / SEEDWATCH_DATABASE_URL.") from None


def check_output_file(path: str | Path, option: str) -> Path:
    """Refuse, before any work starts, a file the command could not write: its folder missing or not
    writable, or a folder in its place."""
    target = Path(path).expanduser()
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise click.BadParameter(f"{str(path)!r} is a folder; give a file name", param_hint=option)
    if not folder.is_dir():
        raise click.BadParameter(
            f"cannot write {str(path)!r}: the folder {str(folder)!r} does not exist (create it first)",
            param_hint=option,
        )
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise click.BadParameter(f"cannot write {str(path)!r}: permission denied", param_hint=option)
    return target


def parse_since(value: str | None) -> datetime | None:
    """A --since option as a moment: a date (midnight UTC) or an ISO date-time; None when not given."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM", param_hint="--since"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A rich table on a terminal, tab-separated lines otherwise."""
    console = Console()
    if console.is_terminal:
        table = Table(title=title, show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
