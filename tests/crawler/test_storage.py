"""Storage on SQLite and PostgreSQL: migrations on first use, atomic writes, nothing stored twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage import DuplicateArticle, StorageError, Store


def article(canonical: str = "https://x.test/a", **extra: Any) -> StoredArticle:
    values: dict[str, Any] = {
        "url": canonical + "?utm_source=rss",
        "canonical_url": canonical,
        "title": "DeepSeek R1",
        "text": "Body",
        "content_hash": "h",
        "lang": "en",
        "relevant": True,
        "topics": ("deepseek",),
        "published": datetime(2025, 1, 20, 14, tzinfo=UTC),
    }
    values.update(extra)
    return StoredArticle(**values)


def test_schema_is_created_and_reopening_is_a_no_op(db_url: str) -> None:
    with Store(db_url) as store:
        store.articles.add(article())
    with Store(db_url) as store:
        assert store.articles.count() == 1


def test_an_article_is_never_stored_twice_and_keeps_its_url_variants(db_url: str) -> None:
    with Store(db_url) as store:
        stored = store.articles.add(article(), urls=["https://x.test/amp/a"])
        with pytest.raises(DuplicateArticle) as caught:
            store.articles.add(article())
        assert caught.value.existing_id == stored.article_id
        assert store.articles.known(["https://x.test/amp/a"]) == stored.article_id
        assert store.articles.known(["https://x.test/a?utm_source=rss"]) == stored.article_id
        assert store.articles.known(["https://x.test/other"]) is None
        assert store.articles.count() == 1


def test_a_failed_write_leaves_no_half_article(db_url: str) -> None:
    with Store(db_url) as store:
        store.articles.add(article("https://x.test/first"))
        bad_claims = [ClaimMatch("c1", "supports", 0.9, "e"), ClaimMatch("c2", "supports", "high", "e")]  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            store.articles.add(article("https://x.test/second", claims=tuple(bad_claims)))
        assert store.articles.count() == 1
        assert store.articles.known(["https://x.test/second"]) is None


def test_new_story_claims_and_export_round_trip(db_url: str) -> None:
    with Store(db_url) as store:
        first = store.articles.add(
            article(
                claims=(ClaimMatch("r1-release-jan20", "supports", 0.92, "R1 was released on 20 January."),)
            ),
            new_story_title="R1 released",
        )
        assert first.story_id is not None
        copy = store.articles.add(
            article(
                "https://y.test/copy",
                duplicate_of=first.article_id,
                duplicate_kind="exact",
                story=first.story_id,
            )
        )
        assert copy.story_id == first.story_id
        rows = list(store.articles.export_rows())
        assert [r["canonical_url"] for r in rows] == ["https://x.test/a", "https://y.test/copy"]
        assert rows[0]["claims"] == [
            {
                "id": "r1-release-jan20",
                "stance": "supports",
                "score": 0.92,
                "evidence": "R1 was released on 20 January.",
            }
        ]
        assert rows[1]["duplicate_of"] == "https://x.test/a?utm_source=rss"
        assert rows[0]["published"] == "2025-01-20T14:00:00+00:00"
        assert list(store.articles.export_rows(since=datetime(2025, 2, 1, tzinfo=UTC))) == []


def test_source_health_and_run_records(db_url: str) -> None:
    with Store(db_url) as store:
        source = store.sources.upsert("https://x.test/feed", "X", "rss", "en")
        assert store.sources.record_failure(source.id, "timeout") == 1
        assert store.sources.record_failure(source.id, "timeout") == 2
        store.sources.record_success(
            source.id, etag='"v1"', last_modified="Mon, 20 Jan 2025 00:00:00 GMT", entries=0
        )
        again = store.sources.get("https://x.test/feed")
        assert again is not None
        assert (again.consecutive_failures, again.etag, again.empty_runs) == (0, '"v1"', 1)
        assert again.last_error == "timeout" and again.last_success_at is not None
        run = store.runs.start(sources_total=1)
        store.runs.add_counts(run, articles_new=2, articles_failed=1)
        store.runs.record_error(run, "https://x.test/404", "page", "not_found", "HTTP 404", 404, source.id)
        store.runs.finish(run)
        finished = store.runs.get(run)
        assert finished is not None and (finished.status, finished.articles_new) == ("completed", 2)
        assert [e.reason for e in store.runs.errors(run)] == ["not_found"]


def test_an_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot open database"):
        Store("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="not a database URL"):
        Store("not a url")


def test_stores_of_one_process_share_one_connection_pool(sqlite_url: str) -> None:
    first = Store(sqlite_url)
    second = Store(sqlite_url)
    try:
        assert first.db.engine is second.db.engine
    finally:
        first.close()
    assert second.articles.count() == 0  # still open for its other user
    engine = second.db.engine
    second.close()
    third = Store(sqlite_url)
    assert third.db.engine is not engine  # the last user closed it; the next one opens a new pool
    third.close()
