"""The crawl schedule with an injected clock: intervals, backoff growth and cap, due sources, jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from crawler.schedule import (
    SourceState,
    backoff_factor,
    due_sources,
    is_due,
    next_crawl_time,
    next_wake,
    plan_next,
    source_interval,
)
from crawler.sources import SourceSpec

T0 = datetime(2025, 1, 27, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def spec(url: str, **options: object) -> SourceSpec:
    return SourceSpec(name=url, kind="rss", url=f"https://{url}/feed", options=options)


def test_backoff_doubles_per_failure_up_to_the_cap() -> None:
    assert [backoff_factor(n, 16) for n in range(7)] == [1, 2, 4, 8, 16, 16, 16]
    assert backoff_factor(1000, 16) == 16
    assert backoff_factor(3, 1) == 1  # a cap of 1 switches backoff off
    assert backoff_factor(2, 10) == 4 and backoff_factor(4, 10) == 10


def test_a_failing_source_waits_longer_and_longer_but_never_beyond_the_cap() -> None:
    waits = [next_crawl_time(T0, HOUR, failures, 16) - T0 for failures in range(8)]
    assert waits == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 16 * HOUR, 16 * HOUR, 16 * HOUR]


def test_a_source_may_set_its_own_interval() -> None:
    assert source_interval({}, 60) == HOUR
    assert source_interval({"interval_minutes": 15.0}, 60) == timedelta(minutes=15)
    assert source_interval({"interval_minutes": 0}, 60) == HOUR  # nonsense falls back to the default


def test_due_sources_follow_their_next_time_and_never_crawled_ones_are_due() -> None:
    fresh, later, soon, past = spec("fresh"), spec("later"), spec("soon"), spec("past")
    states = {
        later.url: SourceState(later.url, next_crawl_at=T0 + HOUR),
        soon.url: SourceState(soon.url, next_crawl_at=T0 + timedelta(seconds=30)),
        past.url: SourceState(past.url, next_crawl_at=T0 - HOUR),
    }
    specs = [fresh, later, soon, past]
    assert due_sources(specs, states, T0) == [fresh, past]
    # Sources due within the horizon ride along with this cycle.
    assert due_sources(specs, states, T0, timedelta(minutes=1)) == [fresh, soon, past]
    assert is_due(None, T0) and is_due(SourceState("x"), T0)


def test_next_wake_is_the_earliest_due_time_plus_a_bounded_jitter() -> None:
    specs = [spec("a"), spec("b")]
    states = {
        specs[0].url: SourceState(specs[0].url, next_crawl_at=T0 + 2 * HOUR),
        specs[1].url: SourceState(specs[1].url, next_crawl_at=T0 + HOUR),
    }
    rng = random.Random(7)
    wakes = [next_wake(specs, states, T0, 60, rng) for _ in range(500)]
    offsets = [(wake - (T0 + HOUR)).total_seconds() for wake in wakes if wake is not None]
    assert len(offsets) == 500
    assert min(offsets) >= 0 and max(offsets) <= 60
    assert max(offsets) - min(offsets) > 30  # it really spreads
    assert next_wake(specs, states, T0, 0, rng) == T0 + HOUR
    assert next_wake([], states, T0, 60, rng) is None


def test_a_source_overdue_since_downtime_wakes_the_daemon_now_not_in_the_past() -> None:
    overdue = spec("overdue")
    states = {overdue.url: SourceState(overdue.url, next_crawl_at=T0 - 5 * HOUR)}
    assert next_wake([overdue], states, T0, 0, random.Random(1)) == T0


def test_after_a_cycle_healthy_sources_keep_together_and_failing_ones_back_off() -> None:
    ok, failing, quick = spec("ok"), spec("failing"), spec("quick", interval_minutes=10)
    after = {
        ok.url: SourceState(ok.url, consecutive_failures=0),
        failing.url: SourceState(failing.url, consecutive_failures=3),
        quick.url: SourceState(quick.url, consecutive_failures=0),
    }
    plan = plan_next([ok, failing, quick], after, [ok.url, failing.url, quick.url], T0, 60, 16)
    assert plan == {ok.url: T0 + HOUR, failing.url: T0 + 8 * HOUR, quick.url: T0 + timedelta(minutes=10)}
    # Only the sources the cycle covered are re-planned; unknown URLs are ignored.
    assert plan_next([ok, failing], after, [ok.url, "https://gone/feed"], T0, 60, 16) == {ok.url: T0 + HOUR}


def test_backoff_over_many_cycles_with_an_injected_clock() -> None:
    """A source failing every time is tried at 1, 2, 4, 8, 16, 16 … intervals; recovery resets it."""
    source = spec("flaky")
    now, failures, tries = T0, 0, []
    for cycle in range(8):
        failures = failures + 1 if cycle < 6 else 0
        state = {source.url: SourceState(source.url, consecutive_failures=failures)}
        upcoming = plan_next([source], state, [source.url], now, 60, 16)[source.url]
        tries.append((upcoming - now) / HOUR)
        now = upcoming
    assert tries == [2, 4, 8, 16, 16, 16, 1, 1]
