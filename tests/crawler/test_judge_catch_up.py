"""Copies are recognised across processes even when articles commit out of id order (PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.config import load_settings
from crawler.judge.text import content_hash
from crawler.judge.types import StoredArticle
from crawler.judge_service import JudgeService
from crawler.storage import Store
from crawler.storage.columns import article_columns
from crawler.storage.models import Article

pytestmark = pytest.mark.postgres

TEXT = {
    "slow": "DeepSeek said on Monday that R1 was trained for a fraction of the cost of rival models. " * 8,
    "fast": "OpenAI, SoftBank and Oracle announced Stargate, a $500 billion data centre venture. " * 8,
}


def values(service: JudgeService, name: str) -> StoredArticle:
    """An article as a crawl in another process stores it: with its text's signature."""
    return StoredArticle(
        signature=service.judge.assess(copy_of(name)).signature,
        url=f"https://wire.test/{name}",
        canonical_url=f"https://wire.test/{name}",
        outlet="wire.test",
        title=f"Report {name}",
        text=TEXT[name],
        content_hash=content_hash(TEXT[name]),
        lang="en",
        relevant=True,
        topics=("deepseek",),
        published=datetime(2025, 1, 27, 10, tzinfo=UTC),
        fetched=datetime(2025, 1, 27, 11, tzinfo=UTC),
    )


def copy_of(name: str) -> StoredArticle:
    return StoredArticle(
        key=0,
        url=f"https://elsewhere.test/{name}",
        outlet="elsewhere.test",
        title=f"Report {name}",
        text=TEXT[name],
        lang="en",
        fetched=datetime(2025, 1, 27, 12, tzinfo=UTC),
    )


def test_an_article_committed_after_a_later_id_is_still_seen(pg_url: str, tmp_path: Path) -> None:
    settings = load_settings(environ={}, overrides={"database_url": pg_url, "data_dir": str(tmp_path)})
    with Store(pg_url) as slow_writer, Store(pg_url) as fast_writer:
        service = JudgeService(settings)
        try:
            with slow_writer.db.session() as session:
                slow = Article(**article_columns(values(service, "slow")))
                session.add(slow)
                session.flush()  # the id is taken now; the commit comes later
                fast_id = fast_writer.articles.add(values(service, "fast")).article_id
                assert fast_id > slow.id
                service.catch_up()  # sees the later id first
                assert service.judge.assess(copy_of("fast")).duplicate is not None
            service.catch_up()
            found = service.judge.assess(copy_of("slow")).duplicate
            assert found is not None and found.of == slow.id
        finally:
            service.store.close()


def test_the_judge_starts_from_the_recent_articles_only(pg_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        environ={},
        overrides={"database_url": pg_url, "data_dir": str(tmp_path), "judge.memory_days": 30},
    )
    with Store(pg_url) as store:
        first = JudgeService(settings)
        try:
            old = replace(
                values(first, "slow"),
                published=datetime(2024, 6, 1, tzinfo=UTC),
                fetched=datetime(2024, 6, 1, tzinfo=UTC),
            )
            store.articles.add(old)
            store.articles.add(values(first, "fast"))
        finally:
            first.store.close()
        service = JudgeService(settings)  # a crawl process starting on this database
        try:
            assert service.generation == 1  # only the article of the last 30 days was taken in
            assert service.judge.assess(copy_of("fast")).duplicate is not None
            service.catch_up()
            assert service.generation == 1  # the old article is not read later either
        finally:
            service.store.close()
