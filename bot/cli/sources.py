"""`seedwatch sources`: the sources crawled, their health, and adding, removing, importing and exporting them.

The source list file (`sources_file`) is what the project ships; sources added or removed here live in the
database, so every process sharing it (daemon, workers on other machines) crawls the same set.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from rich.console import Console
from rich.table import Table

from bot.cli.common import check_output_file, open_store, settings_options
from crawler.config import ConfigError, Settings, load_settings
from crawler.opml import parse_opml, write_opml
from crawler.probe import ProbeError
from crawler.source_admin import add_sources, current_sources, remove_source
from crawler.sources import KINDS, SourceListError, SourceSpec, check_url

F = TypeVar("F", bound=Callable[..., Any])


def sub_settings(func: F) -> F:
    """--config and --db on a subcommand, falling back to those given before it (`sources --db X add`)."""

    @click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="A TOML file overriding config/seedwatch.toml.",
    )
    @click.option("--db", "database_url", default=None, help="Database URL (default: SQLite in data_dir).")
    @functools.wraps(func)
    def wrapper(*args: Any, config_file: str | None, database_url: str | None, **kwargs: Any) -> Any:
        parent = click.get_current_context().parent
        given = parent.params if parent is not None else {}
        config_file = config_file or given.get("config_file")
        database_url = database_url or given.get("database_url")
        try:
            settings = load_settings(
                config_file, overrides={"database_url": database_url} if database_url else {}
            )
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        return func(*args, settings=settings, **kwargs)

    return cast(F, wrapper)


@click.group("sources", invoke_without_command=True)
@settings_options
@click.pass_context
def sources(ctx: click.Context, settings: Settings) -> None:
    """Show every source with its health; subcommands add, remove, import and export sources.

    \b
    Examples:
      seedwatch sources                                   # health: last success, failures, last error
      seedwatch sources add https://www.theverge.com/rss/index.xml --tag tech
      seedwatch sources import feeds.opml
      seedwatch sources export sources.opml
    """
    if ctx.invoked_subcommand is None:
        _show_health(settings)


@sources.command("list")
@sub_settings
def list_sources(settings: Settings) -> None:
    """Show every source with its health (the same as `seedwatch sources`).

    \b
    Example: seedwatch sources list --db sqlite:///tc.db
    """
    _show_health(settings)


def _show_health(settings: Settings) -> None:
    store = open_store(settings, existing=True)
    try:
        rows = store.sources.all()
    finally:
        store.close()
    columns = ("name", "kind", "state", "last success", "failures", "empty runs", "last error", "url")
    lines = [
        (
            source.name,
            source.kind,
            "removed" if not source.enabled else "ok" if source.consecutive_failures == 0 else "failing",
            source.last_success_at.strftime("%Y-%m-%d %H:%M") if source.last_success_at else "never",
            str(source.consecutive_failures),
            str(source.empty_runs),
            (source.last_error or "")[:120],
            source.url,
        )
        for source in rows
    ]
    console = Console()
    if not console.is_terminal:
        # Piped: one tab-separated line per source, for grep and cut.
        click.echo("\t".join(columns))
        for line in lines:
            click.echo("\t".join(line))
        return
    table = Table(show_header=True)
    for column in columns[:-1]:
        table.add_column(column, overflow="fold")
    for line in lines:
        table.add_row(*line[:-1])
    console.print(table)


def _add(settings: Settings, specs: Sequence[SourceSpec], check: bool) -> None:
    """Add the sources and say what became of each; exit 1 when every one was refused."""
    store = open_store(settings)
    try:
        outcome = add_sources(settings, store, specs, check=check)
    except SourceListError as exc:
        raise click.ClickException(str(exc)) from None
    except ProbeError as exc:
        raise click.ClickException(f"cannot check the sources: {exc}") from None
    finally:
        store.close()
    for line in outcome.added:
        click.echo(f"+ {line}")
    for line in outcome.present:
        click.echo(f"= {line}")
    for line in outcome.refused:
        click.echo(f"✗ {line}", err=True)
    click.echo(
        f"{len(outcome.added)} added, {len(outcome.present)} already there, {len(outcome.refused)} refused",
        err=True,
    )
    if outcome.refused and not outcome.added and not outcome.present:
        sys.exit(1)


@sources.command("add")
@click.argument("url")
@click.option("--name", default=None, help="A name for it (default: the feed's own title).")
@click.option(
    "--kind",
    type=click.Choice(sorted(KINDS)),
    default="auto",
    show_default=True,
    help="What it is (default: found from what it serves).",
)
@click.option("--lang", default="", help="Its language (en, zh, ...), if known.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable); tags become OPML folders.")
@click.option("--no-check", is_flag=True, help="Add without fetching it first.")
@sub_settings
def add(
    url: str,
    name: str | None,
    kind: str,
    lang: str,
    tags: tuple[str, ...],
    no_check: bool,
    settings: Settings,
) -> None:
    """Add a source after fetching it once under the crawl's fetch policy; a duplicate or dead one is refused.

    \b
    Example: seedwatch sources add https://www.theverge.com/rss/index.xml --tag tech
    """
    try:
        url = check_url(url)
    except SourceListError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    options = {"tags": list(dict.fromkeys(tags))} if tags else {}
    spec = SourceSpec(name=name or url, kind=kind, url=url, lang=lang, options=options)
    _add(settings, [spec], check=not no_check)


@sources.command("remove")
@click.argument("url")
@sub_settings
def remove(url: str, settings: Settings) -> None:
    """Stop crawling a source (its history is kept; `sources add` brings it back).

    \b
    Example: seedwatch sources remove https://www.theverge.com/rss/index.xml
    """
    store = open_store(settings)
    try:
        spec = remove_source(settings, store, url)
    except SourceListError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if spec is None:
        raise click.ClickException(f"{url} is not a source; `seedwatch sources` lists them")
    click.echo(f"- {spec.url}: removed ({spec.name})")


@sources.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-check", is_flag=True, help="Add without fetching each feed first.")
@sub_settings
def import_opml(path: Path, no_check: bool, settings: Settings) -> None:
    """Add the feeds of an OPML file (as feed readers export it); folders become tags.

    \b
    Example: seedwatch sources import feedly.opml
    """
    try:
        specs = parse_opml(path.read_bytes(), str(path))
    except SourceListError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{path} cannot be read: {exc.strerror}") from None
    if not specs:
        raise click.ClickException(f"{path}: no feeds in it (no <outline> with an xmlUrl)")
    _add(settings, specs, check=not no_check)


@sources.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@sub_settings
def export_opml(path: Path | None, settings: Settings) -> None:
    """Write every source crawled now as OPML 2.0 (to a file, or to standard output).

    \b
    Example: seedwatch sources export sources.opml
    """
    if path is not None:
        path = check_output_file(path, "PATH")
    store = open_store(settings, existing=True)
    try:
        data = write_opml(current_sources(settings, store))
    except SourceListError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if path is None:
        sys.stdout.buffer.write(data)
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    click.echo(f"sources written to {path}", err=True)
