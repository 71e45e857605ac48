"""Item pipelines: thin adapters that apply the pure judgements and store the result.

Order (ITEM_PIPELINES): RelevancePipeline 300 → JudgePipeline 400 → StoragePipeline 500.
Only an article whose URL proves to be stored already is dropped (`DropItem`); irrelevant articles are
stored too, with the reason, so `seedwatch export` shows everything the crawl saw.

Judging and storing run on one thread per process (`JudgeThread`), never on the reactor's: the reactor
keeps downloading and renewing leases while the database answers. One thread, so the judge's state is
touched by one thread only and articles are judged and stored in the order they arrive, as before.

When `StoragePipeline` follows, `JudgePipeline` leaves the assessment to it: an article is then judged on
the thread just before it is stored, against everything stored before it. Judged earlier, it was judged
again there whenever another article had been stored in between (nearly always, with pages in flight).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.exceptions import DropItem

from crawler.analysis import topic_terms
from crawler.config import Settings
from crawler.items import ArticleItem
from crawler.judge.relevance import score_relevance
from crawler.judge.text import content_hash
from crawler.judge.types import StoredArticle, TopicTerms
from crawler.judge_service import JudgeService, article_of, new_story_title
from crawler.settings import seedwatch_settings
from crawler.shared import ProcessShared
from crawler.storage import DuplicateArticle, Store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

T = TypeVar("T")


class JudgeThread(ProcessShared):
    """The process's one thread for the judge and the article writes, shared by every spider."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="seedwatch-judge")

    @classmethod
    def acquire(cls) -> JudgeThread:
        """The process's thread (started on first use)."""
        return cls.acquire_shared(cls)

    def close(self) -> None:
        """End the thread once its work is done (the last user's `release` calls it)."""
        self.executor.shutdown(wait=True)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on the thread, after everything submitted before it."""
        return await asyncio.wrap_future(self.executor.submit(function, *args))


class RelevancePipeline:
    """Scores each article against the watched topics (title and extracted body only)."""

    def __init__(self, topics: Sequence[TopicTerms], threshold: float) -> None:
        self.topics = topics
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        settings = seedwatch_settings(crawler)
        return cls(topic_terms(settings), settings.relevance.threshold)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and not item.relevance_judged:
            item.set_relevance(score_relevance(item.title, item.text, self.topics, self.threshold))
        return item


class JudgePipeline:
    """Finds copies, the story, the seed claims and the novelty of each article (before it is stored)."""

    def __init__(self, settings: Settings, storage_follows: bool = False) -> None:
        self.settings = settings
        self.storage_follows = storage_follows  # then StoragePipeline judges each item just before storing
        self.service: JudgeService | None = None
        self.thread: JudgeThread | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JudgePipeline:
        own, storage = _order(crawler, cls), _order(crawler, StoragePipeline)
        follows = storage is not None and (own is None or storage > own)
        return cls(seedwatch_settings(crawler), storage_follows=follows)

    async def open_spider(self) -> None:
        self.thread = JudgeThread.acquire()
        # The warm start reads the stored articles: on the thread, while the first feeds download.
        self.service = await self.thread.run(JudgeService.acquire, self.settings)

    async def close_spider(self) -> None:
        if self.thread is None:
            return
        if self.service is not None:
            await self.thread.run(self.service.release)
            self.service = None
        self.thread.release()
        self.thread = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or self.service is None or self.thread is None:
            return item
        if self.storage_follows:
            item.judge_when_stored = True
        else:
            await self.thread.run(self._assess, self.service, item)
        return item

    @staticmethod
    def _assess(service: JudgeService, item: ArticleItem) -> None:
        item.judgement = service.assess(item)
        item.judged_generation = service.generation


class StoragePipeline:
    """Stores each article in its own transaction, with its URLs, claims and (new) story."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store | None = None
        self.thread: JudgeThread | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(seedwatch_settings(crawler))

    async def open_spider(self) -> None:
        self.thread = JudgeThread.acquire()
        self.store = await self.thread.run(Store, self.settings.database)

    async def close_spider(self) -> None:
        if self.thread is None:
            return
        if self.store is not None:
            await self.thread.run(self.store.close)
            self.store = None
        self.thread.release()
        self.thread = None

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or self.store is None or self.thread is None:
            return item
        return await self.thread.run(self._store, self.store, item)

    def _store(self, store: Store, item: ArticleItem) -> ArticleItem:
        """Judge again if needed, then store (on the judge thread)."""
        service = JudgeService.current(self.settings)
        if service is not None and (
            item.judge_when_stored
            or (item.judgement is not None and item.judged_generation != service.generation)
        ):
            # Left to us by JudgePipeline, or another article was stored between this one's assessment and
            # now: judge it against everything stored so far.
            JudgePipeline._assess(service, item)
        article = article_of(item)
        judgement = item.judgement
        new_story = None
        if judgement is not None:
            article = replace(article.with_judgement(judgement), judged_at=item.fetched_at)
            new_story = new_story_title(article, judgement)
        else:
            article = replace(article, content_hash=content_hash(item.text))
        try:
            stored = store.articles.add(stored_form(article), urls=item.urls, new_story_title=new_story)
        except DuplicateArticle as duplicate:
            if duplicate.existing_id is not None:
                store.articles.add_urls(duplicate.existing_id, item.urls)
            raise DropItem(
                f"already stored as article #{duplicate.existing_id}: {item.canonical_url}"
            ) from None
        item.article_id = stored.article_id
        if service is not None and judgement is not None:
            service.index(item, stored.article_id, judgement, stored.story_id)
        return item


def _order(crawler: Crawler, component: type) -> Any:
    """A pipeline's order in ITEM_PIPELINES (named by class or by path); None when it is not enabled."""
    path = f"{component.__module__}.{component.__qualname__}"
    pipelines: dict[Any, Any] = dict(crawler.settings.getwithbase("ITEM_PIPELINES"))
    for key, order in pipelines.items():
        if key is component or key == path:
            return order
    return None


def stored_form(article: StoredArticle) -> StoredArticle:
    """An article cut to the column sizes of its outlet and author."""
    author = article.author[:500] if article.author else None
    return replace(article, outlet=article.outlet[:300], author=author)
