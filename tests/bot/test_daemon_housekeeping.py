"""Housekeeping and the daemon's records, on SQLite and PostgreSQL: retention keeps what is still used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.daemon import housekeeping
from crawler.config import load_settings
from crawler.judge.text import content_hash
from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage import Store
from tests.bot.conftest import subscribe_chat
from tests.store_reads import article_row, deliveries_of

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=120)


def article(store: Store, name: str, fetched: datetime, **values: Any) -> int:
    url = f"https://news.example/{name}"
    row = StoredArticle(
        url=url,
        canonical_url=url,
        title=name,
        text=f"{name} text about DeepSeek",
        fetched=fetched,
        content_hash=content_hash(name),
        relevant=True,
        claims=(ClaimMatch("cost", "disputes", 0.9, f"{name} says"),),
        **values,
    )
    story = name if row.story is None else None
    return store.articles.add(row, urls=[f"{url}?amp=1"], new_story_title=story).article_id


def test_retention_deletes_old_articles_but_keeps_originals_of_newer_copies(db_url: str) -> None:
    settings = load_settings(environ={}, overrides={"database_url": db_url, "daemon.retention_days": 90})
    with Store(db_url) as store:
        lonely = article(store, "old-and-alone", OLD)
        original = article(store, "old-original", OLD)
        copy_of_copy = article(store, "old-copy", OLD, duplicate_of=original)
        fresh_copy = article(store, "fresh-copy", NOW, duplicate_of=copy_of_copy)
        fresh = article(store, "fresh", NOW)
        pk = subscribe_chat(store, 77)
        old_delivery, _ = store.deliveries.begin(pk, "daily:old", ["sent long ago"])
        store.deliveries.finish(old_delivery.id, "sent")
        pending, _ = store.deliveries.begin(pk, "daily:pending", ["still to send"])
        with store.db.session() as session:  # age the records as time would
            from crawler.storage import Delivery

            for row in session.query(Delivery).all():
                row.created_at = NOW - timedelta(days=400)
        run = store.runs.start(trigger="scheduled")
        store.runs.record_error(run, "https://x.example/", "source", "timeout")
        store.runs.finish(run)
        with store.db.session() as session:
            from crawler.storage import CrawlRun

            session.get(CrawlRun, run).started_at = OLD  # type: ignore[union-attr]

        done = housekeeping(settings, store, NOW)

        assert done["articles"] == 1 and article_row(store, lonely) is None
        for kept in (original, copy_of_copy, fresh_copy, fresh):
            assert article_row(store, kept) is not None
        kept_copy = article_row(store, fresh_copy)
        assert kept_copy is not None and kept_copy.duplicate_of_id == copy_of_copy
        assert store.articles.known(["https://news.example/old-and-alone?amp=1"]) is None
        assert {k for k, v in store.articles.claims_of([lonely, original]).items() if v} == {original}
        assert done["deliveries"] == 1
        assert [d.id for d in deliveries_of(store, pk)] == [pending.id]  # pending is never deleted
        assert done["runs"] == 1 and store.runs.get(run) is None and store.runs.errors(run) == []
        with store.db.session() as session:
            from crawler.storage import Story

            titles = {story.title for story in session.query(Story).all()}
        assert "old-and-alone" not in titles and {"old-original", "fresh"} <= titles
        assert housekeeping(settings, store, NOW)["articles"] == 0  # nothing more to do


def test_facts_and_notices(db_url: str) -> None:
    with Store(db_url) as store:
        daemon = store.daemon
        assert daemon.fact("daemon") is None
        daemon.put_fact("daemon", {"pid": 1})
        daemon.put_fact("daemon", {"pid": 2})
        assert daemon.fact("daemon") == {"pid": 2}
        daemon.drop_fact("daemon")
        assert daemon.fact("daemon") is None

        assert daemon.open_notice("k", "first") is True
        assert daemon.open_notice("k", "again") is False
        assert daemon.unsent_notices() == [("k", "first")]
        daemon.mark_notice_sent("k")
        assert daemon.unsent_notices() == []
        assert daemon.resolve_notices(["k", "other"]) == ["k"]
        assert daemon.resolve_notices(["k"]) == []
        assert daemon.open_notice("k", "new streak") is True
        assert daemon.unsent_notices() == [("k", "new streak")]
        assert daemon.open_notice("k", "still open") is False
        daemon.resolve_notices(["k"])
        assert daemon.prune_notices(NOW + timedelta(days=1)) == 1


def test_next_crawl_times_and_running_runs(db_url: str) -> None:
    with Store(db_url) as store:
        store.sources.upsert("https://a.example/feed", "A", "rss")
        store.sources.upsert("https://b.example/feed", "B", "rss")
        store.sources.set_next_crawls({"https://a.example/feed": NOW + timedelta(hours=1)})
        states = store.sources.source_states(["https://a.example/feed", "https://b.example/feed"])
        assert states["https://a.example/feed"].next_crawl_at == NOW + timedelta(hours=1)
        assert states["https://b.example/feed"].next_crawl_at is None
        run = store.runs.start(trigger="scheduled", pid=4242)
        assert [(r.run_id, r.pid) for r in store.runs.running_runs()] == [(run, 4242)]
        assert store.runs.close_run(run, "failed", "killed") is True
        assert store.runs.close_run(run, "failed", "again") is False
        closed = store.runs.get(run)
        assert closed is not None and (closed.status, closed.error) == ("failed", "killed")
