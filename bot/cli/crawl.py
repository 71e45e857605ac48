"""`seedwatch crawl`, `seedwatch export` and `seedwatch sources`."""

from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from bot.cli.common import (
    INTERRUPTED_EXIT,
    check_output_file,
    configure_logging,
    open_store,
    parse_since,
    settings_options,
)
from crawler.config import Settings
from crawler.runner import CrawlSetupError, CrawlSummary, Progress, check_frontier, run_crawl
from crawler.schedule import due_sources
from crawler.source_admin import current_sources
from crawler.sources import (
    SourceListError,
    SourceSpec,
    load_sources,
    merge_sources,
    source_from_url,
)
from crawler.storage import EXPORT_FIELDS, safe_url

logger = logging.getLogger(__name__)


def choose_sources(settings: Settings, urls: Iterable[str], files: Iterable[str]) -> list[SourceSpec]:
    """The sources of a crawl: --source URLs and --sources files, else the configured source list."""
    urls, files = list(urls), list(files)
    try:
        given = [source_from_url(url) for url in urls]
        from_files = [spec for path in files for spec in load_sources(Path(path))]
        if not given and not from_files:
            store = open_store(settings)
            try:
                return current_sources(settings, store)
            finally:
                store.close()
    except SourceListError as exc:
        raise click.UsageError(str(exc)) from None
    return merge_sources(given, from_files)


def _progress_table(progress: Progress) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_row(
        f"[bold]sources[/] {progress.sources_done}/{progress.sources_total}"
        + (f" ([red]{progress.sources_failed} failed[/])" if progress.sources_failed else ""),
        f"[green]new {progress.new}[/]",
        f"[yellow]copies {progress.duplicate}[/]",
        f"[yellow]seen before {progress.seen}[/]",
        f"[dim]off-topic {progress.irrelevant}[/]",
        f"[red]failed {progress.failed}[/]",
    )
    for event in progress.last_events:
        table.add_row(f"[dim]{event}[/]")
    return table


@contextmanager
def live_progress(console: Console) -> Iterator[tuple[Progress, Any]]:
    """A live display on a terminal; plain log lines (one per finished source) otherwise."""
    progress = Progress()
    if console.is_terminal:
        with Live(_progress_table(progress), console=console, refresh_per_second=4, transient=True) as live:
            yield progress, lambda p: live.update(_progress_table(p))
        return
    last = [0]

    def log_line(p: Progress) -> None:
        if p.sources_done != last[0]:
            last[0] = p.sources_done
            click.echo(
                f"sources {p.sources_done}/{p.sources_total} new {p.new} copies {p.duplicate} "
                f"seen before {p.seen} off-topic {p.irrelevant} failed {p.failed}",
                err=True,
            )

    yield progress, log_line


# The words for a crawl's counts, the same in the crawl table, the demo's summary and the copies table.
COUNT_MEANINGS = (
    ("pages", "every HTTP answer (feeds, listings, articles, redirects, robots.txt)"),
    ("new", "articles stored, about the watched topics"),
    ("copies", "articles stored as a copy of another (same text, near-same, translation)"),
    ("off-topic", "articles stored with the reason they are off the watched topics"),
    ("seen before", "links to an article stored already, not stored again"),
    ("failed", "article pages that could not be fetched or read (see Failures)"),
)


def print_summary(console: Console, summary: CrawlSummary) -> None:
    """The end-of-crawl summary table, and the failures with their reasons."""
    counts = summary.counts
    title = (
        f"Crawl run #{summary.run_id}: {summary.status}, {counts['sources_done']}/{counts['sources_total']} "
        f"sources ({counts['sources_failed']} failed, {counts['sources_not_modified']} unchanged)"
    )
    table = Table(title=title, show_header=True)
    for word, _ in COUNT_MEANINGS:
        table.add_column(word, justify="right", min_width=max(len(part) for part in word.split()))
    table.add_row(
        str(counts["pages_fetched"]),
        str(counts["articles_new"]),
        str(counts["articles_duplicate"]),
        str(counts["articles_irrelevant"]),
        str(counts["articles_seen"]),
        str(counts["articles_failed"]),
    )
    console.print(table)
    for word, meaning in COUNT_MEANINGS:
        console.print(f"  [bold]{word}[/]: {meaning}", style="dim", highlight=False)
    if summary.errors:
        errors = Table(title="Failures", show_header=True)
        for column in ("scope", "reason", "url", "detail"):
            errors.add_column(column, overflow="fold")
        for error in summary.errors[:50]:
            errors.add_row(error["scope"], error["reason"], error["url"], error["detail"][:160])
        if len(summary.errors) > 50:
            errors.caption = f"{len(summary.errors) - 50} more: seedwatch sources"
        console.print(errors)


@click.command()
@click.option(
    "--source",
    "source_urls",
    multiple=True,
    metavar="URL",
    help="A feed, sitemap or article URL to crawl (repeatable).",
)
@click.option(
    "--sources",
    "source_files",
    multiple=True,
    metavar="FILE",
    type=click.Path(exists=True),
    help="A YAML source list (repeatable). Default: the configured sources_file.",
)
@click.option(
    "--worker",
    "join",
    flag_value=-1,
    type=int,
    default=None,
    help="Join the newest running crawl as a worker (needs redis_url: a shared frontier).",
)
@click.option("--join", "join", type=int, metavar="RUN_ID", help="Join crawl run RUN_ID as a worker.")
@click.option(
    "--workers",
    type=click.IntRange(0, 32),
    default=0,
    help="Start this many worker processes joined to this crawl (needs redis_url); the daemon's "
    "daemon.crawl_workers.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--trigger", type=click.Choice(["manual", "scheduled", "admin"]), default="manual", hidden=True)
@click.option("--due-only", is_flag=True, hidden=True, help="Only the sources due by the daemon's schedule.")
@settings_options
def crawl(
    settings: Settings,
    source_urls: tuple[str, ...],
    source_files: tuple[str, ...],
    join: int | None,
    verbose: int,
    workers: int = 0,
    trigger: str = "manual",
    due_only: bool = False,
) -> None:
    """Crawl sources once and store what they link to, extracted and judged.

    \b
    Examples:
      seedwatch crawl                                   # the configured source list
      seedwatch crawl --source https://techcrunch.com/feed/ --db sqlite:///tc.db
      seedwatch crawl --sources my-sources.yaml
      SEEDWATCH_REDIS_URL=redis://127.0.0.1:6379/0 seedwatch crawl --worker   # one more worker
      SEEDWATCH_REDIS_URL=redis://127.0.0.1:6379/0 seedwatch crawl --workers 2  # and two of its own

    Exits 0 when the run completed, even if some sources failed (they are listed); 1 when it could not
    run (bad configuration, unreachable database or Redis) or every source failed; 130 when stopped by
    Ctrl-C, 143 by SIGTERM (the run is recorded as interrupted; what was stored is kept).
    """
    configure_logging(settings, verbose)
    if workers and (join is not None or not settings.redis_url):
        raise click.UsageError(
            "--workers needs a shared frontier (redis_url) and a crawl of its own, not --join"
        )
    sources = [] if join is not None else choose_sources(settings, source_urls, source_files)
    if join is not None:
        if not settings.redis_url:
            raise click.UsageError("--worker and --join need a shared frontier: set redis_url")
        try:
            check_frontier(settings.redis_url)
        except CrawlSetupError as exc:
            raise click.ClickException(str(exc)) from None
    if join == -1:
        join = wait_for_running_run(settings)
    if due_only:
        sources = due_now(settings, sources)
        if not sources:
            click.echo("no source is due", err=True)
            return
    console = Console(stderr=True)
    helpers = CrawlWorkers(settings, workers, click.get_current_context().params.get("config_file"))
    try:
        with live_progress(console) as (progress, on_change):
            summary = run_crawl(
                settings,
                sources,
                trigger=trigger,
                progress=progress,
                on_progress=on_change,
                join_run=join,
                on_start=helpers.start,
            )
    except CrawlSetupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        helpers.finish()
    print_summary(Console(), summary)
    if join is not None:
        click.echo(
            f"this worker: new {progress.new}, copies {progress.duplicate}, seen before {progress.seen}, "
            f"off-topic {progress.irrelevant}, failed {progress.failed}"
        )
        if summary.status == "interrupted" and not summary.stopped_by:
            # The run was ended while this worker did its part (its starting process died): not a failure
            # of the worker's.
            click.echo(f"crawl run #{summary.run_id} ended: {summary.error or 'stopped elsewhere'}", err=True)
            return
    exit_for(summary)


class CrawlWorkers:
    """The worker processes a crawl starts beside it (`--workers`), joined to its run; each one's count is
    reported when it ends. In the crawl's process group, so a signal to the crawl reaches them too."""

    WAIT = 120.0  # seconds for a worker to notice its run is over (it looks whenever it is idle)

    def __init__(self, settings: Settings, count: int, config_file: str | None) -> None:
        self.settings = settings
        self.count = count
        self.config_file = config_file
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, run_id: int) -> None:
        """Start the workers, joined to run `run_id`."""
        command = [sys.executable, "-m", "bot", "crawl", "--join", str(run_id)]
        if self.config_file:
            command += ["--config", self.config_file]
        env = {**os.environ, "SEEDWATCH_DATABASE_URL": self.settings.database}
        for _ in range(self.count):
            self.processes.append(
                subprocess.Popen(
                    command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
                )
            )

    def finish(self) -> None:
        """Wait for the workers (the run is over: each stops at its next idle check); say what each did."""
        for number, process in enumerate(self.processes, 1):
            try:
                out, _ = process.communicate(timeout=self.WAIT)
            except subprocess.TimeoutExpired:
                process.terminate()
                out, _ = process.communicate()
            done = next((line for line in out.splitlines() if line.startswith("this worker:")), "")
            status = f"exit {process.returncode}" if process.returncode else "done"
            click.echo(
                f"worker {number} (pid {process.pid}, {status}){done.removeprefix('this worker')}", err=True
            )


def exit_for(summary: CrawlSummary) -> None:
    """Stop with the run's outcome in one line and a non-zero status unless it completed."""
    if summary.status == "interrupted":
        click.echo(f"Interrupted: crawl run #{summary.run_id} {summary.error or 'was stopped'}", err=True)
        # 130 for Ctrl-C, 143 for SIGTERM: 128 + the signal, as a shell reports it.
        raise click.exceptions.Exit(128 + summary.stopped_by if summary.stopped_by else INTERRUPTED_EXIT)
    if summary.status not in ("completed", "running"):  # running: the run a worker joined goes on
        raise click.ClickException(
            f"crawl run #{summary.run_id} {summary.status}: {summary.error or 'see the log above'}"
        )


def due_now(settings: Settings, sources: list[SourceSpec]) -> list[SourceSpec]:
    """The sources the daemon's schedule says are due (failing ones back off); see crawler.schedule."""
    store = open_store(settings)
    try:
        states = store.sources.source_states([spec.url for spec in sources])
    finally:
        store.close()
    horizon = timedelta(seconds=settings.crawl.jitter_seconds)
    return due_sources(sources, states, datetime.now(UTC), horizon)


def wait_for_running_run(settings: Settings, timeout: float = 60.0) -> int:
    """The id of the newest running crawl, waiting up to `timeout` seconds for one to start."""
    import time

    store = open_store(settings)  # a worker may start before the crawl it joins creates the database
    try:
        deadline = time.monotonic() + timeout
        while True:
            running = [run.id for run in store.runs.latest(20) if run.status == "running"]
            if running:
                return running[0]
            if time.monotonic() > deadline:
                raise click.ClickException(
                    f"no crawl run started in {safe_url(settings.database)} within {timeout:.0f} s; "
                    "nothing to join (start one with `seedwatch crawl` on the same --db and redis_url)"
                )
            time.sleep(0.5)
    finally:
        store.close()


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> int:
    """Write export records as JSON lines or CSV; returns how many."""
    count = 0
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS), extrasaction="ignore")
    writer.writeheader()
    for record in records:
        row = dict(record)
        for key in ("topics", "claims"):
            row[key] = json.dumps(row.get(key), ensure_ascii=False)
        writer.writerow(row)
        count += 1
    return count


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option(
    "--since", default=None, help="Only articles published (or fetched) since this date, YYYY-MM-DD."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file instead of standard output.",
)
@settings_options
def export(settings: Settings, fmt: str, since: str | None, output: str | None) -> None:
    """Export every stored article (irrelevant ones included), one record each.

    \b
    Example: seedwatch export --format jsonl --since 2025-01-20 > articles.jsonl
    """
    since_at = parse_since(since)
    if output:
        check_output_file(output, "-o / --output")
    store = open_store(settings, existing=True)
    try:
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                count = write_records(store.articles.export_rows(since_at), fmt, handle)
            click.echo(f"{count} articles written to {output}", err=True)
        else:
            write_records(store.articles.export_rows(since_at), fmt, sys.stdout)
    finally:
        store.close()
