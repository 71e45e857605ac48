"""The daemon's crawl planning with 5,000 sources: every one is due the first time, is planned after the
cycle from its own health (a failing source backs off), and the next cycle starts when they fall due."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import yaml

from bot.crawl_plan import CrawlPlanner
from crawler.config import Settings, load_settings
from crawler.runner import register_sources
from crawler.storage import Store, utcnow
from crawler.storage.sources import SourceAnswer

FEEDS = 5000


def test_a_scheduled_crawl_plans_five_thousand_due_sources(tmp_path: Path, settings: Settings) -> None:
    listed = tmp_path / "sources.yaml"
    sources = [
        {
            "name": f"Feed {n}",
            "kind": "rss",
            "lang": "en",
            "url": f"https://pub{n // 20}.example/feeds/{n}.xml",
        }
        for n in range(FEEDS)
    ]
    listed.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    settings = load_settings(
        environ={}, overrides={"database_url": settings.database, "sources_file": str(listed)}
    )
    with Store(settings.database) as store:
        planner = CrawlPlanner(settings, store, random.Random(7))
        started = utcnow()
        specs = planner.sources()
        due = planner.due(specs, started)
        assert len(due) == FEEDS  # never crawled: all due

        # The crawl child's part: every source answers but one, which fails.
        registered = register_sources(store, due)
        answers = [SourceAnswer(spec.source_id, etag=f'"{n}"') for n, spec in enumerate(registered[1:])]
        assert answers[0].source_id is not None
        store.sources.record_successes(answers)
        assert registered[0].source_id is not None
        store.sources.record_failure(registered[0].source_id, "http_500")
        planner.plan_next(specs, due, started)

        interval = timedelta(minutes=settings.crawl.interval_minutes)
        assert planner.due(specs, started + interval / 2) == []
        later = planner.due(specs, started + interval)
        assert len(later) == FEEDS - 1 and registered[0].url not in {spec.url for spec in later}
        assert len(planner.due(specs, started + 2 * interval)) == FEEDS  # the failing one backed off once
        wake = planner.wake_after(None, started)
        assert (
            started + interval
            <= wake
            <= started + interval + timedelta(seconds=settings.crawl.jitter_seconds)
        )
        states = store.sources.source_states()
        assert len(states) == FEEDS and states[registered[1].url].consecutive_failures == 0
        assert store.sources.get(registered[1].url).etag == '"0"'  # type: ignore[union-attr]
