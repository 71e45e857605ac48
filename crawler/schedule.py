"""When each source is crawled next: intervals, backoff of failing sources, jitter. Pure functions.

The daemon (`seedwatch run`) and its crawl child share these rules, so what the daemon plans is what the
child does: a source is due when its `next_crawl_at` has come (or it was never crawled); after a cycle
its next time is the cycle's start plus its interval, doubled for every failure in a row up to
`backoff_max_factor` times. All sources of one cycle share that start, so healthy sources stay together
in one child process instead of drifting apart into many small crawls.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.sources import SourceSpec


@dataclass(frozen=True)
class SourceState:
    """What the database knows of a source's schedule and health."""

    url: str
    source_id: int | None = None
    name: str = ""
    consecutive_failures: int = 0
    empty_runs: int = 0
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    next_crawl_at: datetime | None = None
    last_error: str | None = None


def backoff_factor(failures: int, max_factor: int) -> int:
    """How many intervals a source waits after `failures` failures in a row: 1, 2, 4, … up to the cap."""
    if failures <= 0:
        return 1
    return max(1, min(max_factor, 1 << min(failures, 62)))


def source_interval(options: Mapping[str, object], base_minutes: float) -> timedelta:
    """A source's own interval (`interval_minutes` in the source list), else the configured one."""
    value = options.get("interval_minutes")
    minutes = float(value) if isinstance(value, int | float) and value > 0 else base_minutes
    return timedelta(minutes=minutes)


def next_crawl_time(cycle_start: datetime, interval: timedelta, failures: int, max_factor: int) -> datetime:
    """When a source crawled in the cycle that began at `cycle_start` is due again."""
    return cycle_start + interval * backoff_factor(failures, max_factor)


def is_due(state: SourceState | None, now: datetime, horizon: timedelta = timedelta(0)) -> bool:
    """Whether a source is due by `now + horizon` (one never crawled always is)."""
    return state is None or state.next_crawl_at is None or state.next_crawl_at <= now + horizon


def due_sources(
    specs: Iterable[SourceSpec],
    states: Mapping[str, SourceState],
    now: datetime,
    horizon: timedelta = timedelta(0),
) -> list[SourceSpec]:
    """The sources to crawl now; those due within `horizon` ride along instead of waking a cycle later."""
    return [spec for spec in specs if is_due(states.get(spec.url), now, horizon)]


def next_wake(
    specs: Sequence[SourceSpec],
    states: Mapping[str, SourceState],
    now: datetime,
    jitter_seconds: float,
    rng: random.Random,
) -> datetime | None:
    """When the next crawl cycle starts: the earliest due time (not before now) plus a random jitter.

    None when there is no source at all.
    """
    if not specs:
        return None
    earliest = min(_due_at(states.get(spec.url), now) for spec in specs)
    return max(earliest, now) + timedelta(seconds=rng.uniform(0, jitter_seconds) if jitter_seconds else 0)


def _due_at(state: SourceState | None, now: datetime) -> datetime:
    if state is None or state.next_crawl_at is None:
        return now
    return state.next_crawl_at


def plan_next(
    specs: Sequence[SourceSpec],
    states: Mapping[str, SourceState],
    crawled: Iterable[str],
    cycle_start: datetime,
    base_minutes: float,
    max_factor: int,
) -> dict[str, datetime]:
    """Next crawl times of the sources a cycle covered (by URL), from their health after the cycle."""
    by_url = {spec.url: spec for spec in specs}
    plan: dict[str, datetime] = {}
    for url in crawled:
        spec = by_url.get(url)
        if spec is None:
            continue
        state = states.get(url)
        failures = state.consecutive_failures if state is not None else 0
        plan[url] = next_crawl_time(
            cycle_start, source_interval(spec.options, base_minutes), failures, max_factor
        )
    return plan
