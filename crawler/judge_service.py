"""Judging as the crawl and `seedwatch rejudge` apply it: the pure `Judge` plus what it needs from storage.

`JudgeService` holds one `Judge` per process and database. It is warmed up from the stored judgements at
start, and before each assessment it takes in articles that other processes (other crawl workers) stored
since, so copies are recognised across spiders, runs and workers. `rejudge` runs a fresh `Judge` over every
stored article in order and replaces each article's judgement in its own transaction.

With embeddings on, `restory` re-clusters the stories of a period from what is stored (a pure function of
the stored articles, so every process and every arrival order agrees): every `RESTORY_EVERY` articles a
process stores, when its judge closes, and after `rejudge`. The period reaches back `RESTORY_WINDOWS` story
windows before the earliest article the pass is for (those stored since the previous pass; at close, all
the process stored; after `rejudge`, every stored article): far enough to hold every story such an article
may join, late follow-ups included. So when a crawl ends, its articles' stories depend on the set of
articles stored, not on the order they arrived in (up to `RESTORY_MAX` articles in the period).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.config import Settings
from crawler.items import ArticleItem
from crawler.judge.core import Judge
from crawler.judge.embedding import lazy_encoder, story_threshold
from crawler.judge.story_clusters import FOLLOW_UP_WINDOWS, StoryItem, cluster_stories, keep_story_ids
from crawler.judge.types import Judgement, StoredArticle
from crawler.seeds import load_matchers
from crawler.shared import ProcessShared
from crawler.storage import Store, StoryAssignment

logger = logging.getLogger(__name__)

# How long an id below the highest seen may still appear: longer than any transaction storing an article.
GAP_PATIENCE = 600.0
MAX_GAP = 1000  # a larger jump is not transactions in flight (a restored sequence, say)
RESTORY_EVERY = 200  # articles a process stores between two re-clusterings of the recent stories
# How many story windows before the earliest article it is for a re-clustering reaches: a new article may
# join a story with a member up to FOLLOW_UP_WINDOWS windows before it (one more: that member's own window).
RESTORY_WINDOWS = FOLLOW_UP_WINDOWS + 1
RESTORY_MAX = 2000  # newest articles re-clustered at most (the pass holds a square matrix of them)


def article_of(item: ArticleItem, key: int = 0) -> StoredArticle:
    """An item as the one article model (key: its stored id, 0 before it is stored), not yet judged."""
    return StoredArticle(
        key=key,
        url=item.url,
        canonical_url=item.canonical_url,
        outlet=item.outlet,
        title=item.title,
        text=item.text,
        lang=item.lang,
        fetched=item.fetched_at,
        published=item.published_at,
        relevant=item.relevant,
        topics=tuple(item.topics),
        source_id=item.source_id,
        author=item.author,
        summary=item.summary,
        extraction=item.extraction,
        extraction_note=item.extraction_note,
        relevance=item.relevance,
        irrelevant_reason=item.irrelevant_reason,
    )


def new_story_title(doc: StoredArticle, judgement: Judgement) -> str | None:
    """The title of the story this article starts, when it starts one."""
    if doc.relevant and judgement.story is None and judgement.story_title:
        return judgement.story_title
    return None


class JudgeService(ProcessShared):
    """The process's judge for one database, warm-started from it and kept in step with it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.database)
        self.judge = Judge(
            settings.judge, load_matchers(settings), lazy_encoder(settings.judge.embedding_backend)
        )
        self._stored = 0
        # The earliest appearance among the articles this process stored: since it started (the pass at
        # close is for all of them) and since the previous re-clustering (the pass every RESTORY_EVERY).
        self._earliest: datetime | None = None
        self._earliest_since_pass: datetime | None = None
        self.generation = 0
        self._seen_up_to = 0
        self._own: set[int] = set()
        # Ids below the highest seen that were not there yet: another process's transaction may still
        # commit them (ids are taken at insert, not at commit). Looked for again until GAP_PATIENCE passes.
        self._gaps: dict[int, float] = {}
        self._warm_start()

    @classmethod
    def acquire(cls, settings: Settings) -> JudgeService:
        """The shared service for this database (created on first use)."""
        return cls.acquire_shared(lambda: cls(settings), key=settings.database)

    @classmethod
    def current(cls, settings: Settings) -> JudgeService | None:
        """The shared service for this database, if one is open."""
        return cls.shared(settings.database)

    def close(self) -> None:
        """Re-cluster the recent stories one last time and close the database (the last `release`)."""
        try:
            self.restory(self._earliest)
        finally:
            self.store.close()

    def _observe(self, rows: Iterable[StoredArticle], track_gaps: bool = True) -> None:
        now = time.monotonic()
        for row in rows:
            self._gaps.pop(row.key, None)
            if track_gaps and self._seen_up_to + 1 < row.key <= self._seen_up_to + MAX_GAP:
                self._gaps.update(dict.fromkeys(range(self._seen_up_to + 1, row.key), now))
            self._seen_up_to = max(self._seen_up_to, row.key)
            if row.key in self._own:
                continue
            self.judge.observe(
                row,
                signature=row.signature,
                content_hash=row.content_hash,
                duplicate_of=row.duplicate_of,
                story=row.story,
            )
            self.generation += 1
        self._own = {key for key in self._own if key > self._seen_up_to}

    def _warm_start(self) -> None:
        self.judge.load_outlet_lines(self.store.judging.outlet_lines())
        highest = self.store.judging.newest_id()
        newest = self.store.judging.newest_time()
        text_since = since = None
        if newest is not None:
            text_since = newest - self.judge.text_window
            # Bounded memory: what appeared long before the newest article is not taken in.
            since = newest - max(timedelta(days=self.settings.judge.memory_days), self.judge.text_window)
        # What is committed now is all there is to warm up from; gaps below it are old rollbacks.
        rows = self.store.judging.judged(0, text_since, since=since)
        before = self.generation
        self._observe(rows, track_gaps=False)
        self._seen_up_to = max(self._seen_up_to, highest)
        logger.info("judge warmed up with %d of %d stored articles", self.generation - before, highest)

    def catch_up(self) -> None:
        """Take in articles other processes stored since we last looked (with their texts: they are new),
        including those whose transactions committed after a later id's."""
        now = time.monotonic()
        self._gaps = {key: since for key, since in self._gaps.items() if now - since < GAP_PATIENCE}
        self._observe(self.store.judging.judged(self._seen_up_to, also=self._gaps))

    def assess(self, item: ArticleItem) -> Judgement:
        """The judgement of an item about to be stored."""
        self.catch_up()
        return self.judge.assess(article_of(item), item.prepared)

    def index(self, item: ArticleItem, article_id: int, judgement: Judgement, story_id: int | None) -> None:
        """Take in an item just stored (and count its lines as the outlet's)."""
        self.judge.index(article_of(item, article_id), judgement, story_id)
        if article_id == self._seen_up_to + 1:
            # The next id, with nothing below it still to come: `catch_up` need not read it back.
            self._seen_up_to = article_id
        else:
            self._own.add(article_id)
        self._gaps.pop(article_id, None)
        self.generation += 1
        if judgement.lines:
            self.store.judging.count_outlet_lines(item.outlet, judgement.lines)
        self._stored += 1
        when = article_of(item).when
        self._earliest = min(when, self._earliest or when)
        self._earliest_since_pass = min(when, self._earliest_since_pass or when)
        if self._stored % RESTORY_EVERY == 0:
            self.restory(self._earliest_since_pass)

    def restory(self, earliest: datetime | None) -> int:
        """Re-cluster from storage the stories that articles from `earliest` on may belong to, and take the
        result in; returns articles moved (nothing to do when this process stored nothing)."""
        if earliest is None:
            return 0
        window = timedelta(days=self.settings.judge.story_window_days)
        moved, stories = restory(self.settings, self.store, earliest - RESTORY_WINDOWS * window)
        self._earliest_since_pass = None
        self.judge.reassign_stories(stories)
        return moved


@dataclass
class RejudgeSummary:
    """What `rejudge` changed."""

    articles: int = 0
    duplicates: int = 0
    stories: int = 0
    claims: int = 0
    stories_removed: int = 0


def rejudge(
    settings: Settings, store: Store, on_article: Callable[[int], None] | None = None
) -> RejudgeSummary:
    """Judge every stored article again, oldest first, with the current claims files and thresholds."""
    judge = Judge(settings.judge, load_matchers(settings), lazy_encoder(settings.judge.embedding_backend))
    summary = RejudgeSummary()
    story_of: dict[int, int] = {}
    lines: dict[tuple[str, str], int] = {}
    for row in store.judging.judged(0):
        judgement = judge.assess(row)
        story_id = store.judging.apply(row.with_judgement(judgement), new_story_title(row, judgement))
        judge.index(row, judgement, story_id)
        for line in judgement.lines:
            lines[(row.outlet, line)] = lines.get((row.outlet, line), 0) + 1
        summary.articles += 1
        summary.duplicates += judgement.duplicate is not None
        summary.claims += len(judgement.claims)
        if story_id is not None:
            story_of[row.key] = story_id
        if on_article is not None:
            on_article(summary.articles)
    store.judging.replace_outlet_lines((outlet, line, n) for (outlet, line), n in lines.items())
    _, moved = restory(settings, store, None)
    story_of.update({key: story for key, (story, _) in moved.items()})
    summary.stories = len(set(story_of.values()))
    summary.stories_removed = store.judging.delete_orphan_stories()
    return summary


def restory(
    settings: Settings, store: Store, since: datetime | None
) -> tuple[int, dict[int, tuple[int, str]]]:
    """Re-cluster the stories of the articles that appeared since `since` (None: every stored article) by
    their embeddings, and store the result.

    Returns how many articles changed story and each article's (story id, title). Nothing happens with
    the ``none`` backend: stories stay as the rules assigned them while streaming.
    """
    backend = settings.judge.embedding_backend
    if backend == "none":
        return 0, {}
    window = timedelta(days=settings.judge.story_window_days)
    members = store.judging.story_members(since)
    items, by_id = [], {}
    for member in members:
        vectors = member.vectors
        if vectors is None or vectors.model != backend:
            continue
        items.append(StoryItem(member.key, member.canonical_url, member.when, member.lang, vectors.gist))
        by_id[member.key] = member
    items = sorted(items, key=lambda item: (item.when, item.stable))[-RESTORY_MAX:]
    clusters = cluster_stories(
        items, story_threshold(backend, settings.judge.story_embedding_threshold), window
    )
    kept = keep_story_ids(clusters, {m.key: m.story for m in by_id.values()})
    assignments = []
    for keys, story_id in zip(clusters, kept, strict=True):
        first, times = by_id[keys[0]], [by_id[k].when for k in keys]
        assignments.append(StoryAssignment(tuple(keys), story_id, first.title, min(times), max(times)))
    moved = store.judging.assign_stories(assignments)
    after = {m.key: m.story for m in store.judging.story_members(since)}
    titles = {a.members[0]: a.title for a in assignments}
    stories: dict[int, tuple[int, str]] = {}
    for assignment in assignments:
        for key in assignment.members:
            story = after.get(key)
            if story is not None:
                stories[key] = (story, titles[assignment.members[0]])
    logger.info("stories re-clustered: %d articles in %d stories, %d moved", len(items), len(clusters), moved)
    return moved, stories
