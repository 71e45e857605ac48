"""The crawl recorder counts page failures into source health: a source whose every page fails is failing."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.config import Settings
from crawler.extensions import CrawlRecorder
from crawler.items import ArticleItem
from crawler.settings import scrapy_settings
from crawler.sources import SourceSpec
from crawler.spiders.feed import FeedSpider
from crawler.storage import Store


def recorder_for(settings: Settings, store: Store) -> tuple[CrawlRecorder, int, SourceSpec, SourceSpec]:
    run_id = store.runs.start(sources_total=2)
    crawler = get_crawler(FeedSpider, scrapy_settings(settings, run_id))
    recorder = build_from_crawler(CrawlRecorder, crawler)
    recorder.spider_opened()
    specs = []
    for name in ("dead-pages", "fine"):
        row = store.sources.upsert(f"https://{name}.test/feed.xml", name, "rss")
        specs.append(SourceSpec(name=name, kind="rss", url=row.url, source_id=row.id))
    return recorder, run_id, specs[0], specs[1]


def item(url: str, source: SourceSpec, extraction: str = "full") -> ArticleItem:
    return ArticleItem(
        url=url, canonical_url=url, source_name=source.name, outlet=source.name, title="T", text="Body",
        lang="en", fetched_at=datetime.now(UTC), source_id=source.source_id, extraction=extraction,
    )  # fmt: skip


def one_run(recorder: CrawlRecorder, dead: SourceSpec, fine: SourceSpec, reason: str = "finished") -> None:
    for source in (dead, fine):
        recorder.source_succeeded(source, entries=2)
    recorder.page_failed("https://dead-pages.test/1", dead, "http_500", "server error", 500)
    recorder.page_failed("https://dead-pages.test/2", dead, "no_article", "only 17 words")
    # The feed's summary kept for a failed page is not a page that worked.
    recorder.item_scraped(item("https://dead-pages.test/2", dead, "summary"))
    recorder.page_failed("https://fine.test/1", fine, "http_404", "gone", 404)
    recorder.item_scraped(item("https://fine.test/2", fine))
    recorder.spider_closed(reason)


def test_a_source_whose_every_page_failed_is_failing_and_counts_a_streak(settings: Settings) -> None:
    with Store(settings.database) as store:
        recorder, run_id, dead, fine = recorder_for(settings, store)
        one_run(recorder, dead, fine)
        states = store.sources.source_states()
        assert states[fine.url].consecutive_failures == 0
        assert states[dead.url].consecutive_failures == 1
        assert states[dead.url].last_error == "every page failed (2 of 2: http_500 1, no_article 1)"
        errors = [(e.scope, e.reason, e.url) for e in store.runs.errors(run_id)]
        assert ("source", "pages_failed", dead.url) in errors
        run = store.runs.get(run_id)
        assert run is not None and run.sources_failed == 1

        recorder, _, dead, fine = recorder_for(settings, store)
        one_run(recorder, dead, fine)
        assert store.sources.source_states()[dead.url].consecutive_failures == 2

        recorder, _, dead, fine = recorder_for(settings, store)
        recorder.source_succeeded(dead, entries=1)
        recorder.page_skipped(url="https://dead-pages.test/1", source=dead, article_id=1)
        recorder.spider_closed("finished")
        assert store.sources.source_states()[dead.url].consecutive_failures == 0


def test_a_crawl_cut_short_judges_no_source_by_its_pages(settings: Settings) -> None:
    with Store(settings.database) as store:
        recorder, _, dead, fine = recorder_for(settings, store)
        one_run(recorder, dead, fine, reason="shutdown")
        assert store.sources.source_states()[dead.url].consecutive_failures == 0
