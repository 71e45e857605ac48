"""The daemon's crawl planning: which sources a scheduled crawl takes, when each is due next, and when the
next crawl cycle starts. The rules are `crawler.schedule` (pure); this class reads and writes what they need.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.supervise import CrawlOutcome
from crawler.config import Settings
from crawler.schedule import due_sources, next_wake, plan_next, source_interval
from crawler.source_admin import current_sources
from crawler.sources import SourceListError, SourceSpec
from crawler.storage import Store, utcnow

RETRY_BUSY = timedelta(seconds=60)  # another crawl was running: look again this soon


class CrawlPlanner:
    """Plans the daemon's crawl cycles from the source list and each source's stored health."""

    def __init__(self, settings: Settings, store: Store, rng: random.Random) -> None:
        self.settings = settings
        self.store = store
        self.rng = rng

    def sources(self) -> list[SourceSpec]:
        """The sources to crawl (the sources file and those added from Telegram); SourceListError."""
        return current_sources(self.settings, self.store)

    def due(self, specs: list[SourceSpec], started: datetime) -> list[SourceSpec]:
        """The sources due at `started` (with the configured jitter)."""
        states = self.store.sources.source_states([spec.url for spec in specs])
        return due_sources(specs, states, started, timedelta(seconds=self.settings.crawl.jitter_seconds))

    def plan_next(self, specs: list[SourceSpec], due: list[SourceSpec], started: datetime) -> None:
        """After a crawl: store when each source crawled (or tried) is due next, from its health."""
        crawl = self.settings.crawl
        attempted = self.store.sources.attempted_since(started)
        after = self.store.sources.source_states([spec.url for spec in specs])
        crawled = {spec.url for spec in due} | attempted
        plan = plan_next(specs, after, crawled, started, crawl.interval_minutes, crawl.backoff_max_factor)
        self.store.sources.set_next_crawls(plan)

    def wake_after(self, outcome: CrawlOutcome | None, started: datetime) -> datetime:
        """When the next cycle starts, from the sources' next times; a failed cycle waits an interval."""
        now = utcnow()
        base = timedelta(minutes=self.settings.crawl.interval_minutes)
        try:
            specs = self.sources()
        except SourceListError:
            return now + base
        if not specs:
            return now + base
        states = self.store.sources.source_states([spec.url for spec in specs])
        wake = next_wake(specs, states, now, self.settings.crawl.jitter_seconds, self.rng) or now + base
        if outcome is not None and outcome.status == "skipped":
            wake = max(wake, now + min(RETRY_BUSY, base))
        elif outcome is not None and not outcome.ok:
            # Sources the child never reached are still due: without this a crash would loop at once.
            base_minutes = self.settings.crawl.interval_minutes
            shortest = min(source_interval(spec.options, base_minutes) for spec in specs)
            wake = max(wake, started + shortest)
        return max(wake, now + timedelta(seconds=1))
