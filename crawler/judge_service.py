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
from typing import Any, ClassVar

from crawler.config import Settings
from crawler.items import ArticleItem
from crawler.judge.core import Judge
from crawler.judge.embedding import ArticleVectors, EmbeddingError, lazy_encoder, story_threshold
from crawler.judge.story_clusters import FOLLOW_UP_WINDOWS, StoryItem, cluster_stories, keep_story_ids
from crawler.judge.types import Doc, Judgement
from crawler.seeds import load_matchers
from crawler.storage import JudgedRow, Store, StoryAssignment

logger = logging.getLogger(__name__)

# How long an id below the highest seen may still appear: longer than any transaction storing an article.
GAP_PATIENCE = 600.0
MAX_GAP = 1000  # a larger jump is not transactions in flight (a restored sequence, say)
RESTORY_EVERY = 200  # articles a process stores between two re-clusterings of the recent stories
# How many story windows before the earliest article it is for a re-clustering reaches: a new article may
# join a story with a member up to FOLLOW_UP_WINDOWS windows before it (one more: that member's own window).
RESTORY_WINDOWS = FOLLOW_UP_WINDOWS + 1
RESTORY_MAX = 2000  # newest articles re-clustered at most (the pass holds a square matrix of them)


def doc_of(item: ArticleItem, key: int = 0) -> Doc:
    """An item as judgement sees it (key: its stored id, 0 before it is stored)."""
    return Doc(
        key=key,
        url=item.url,
        outlet=item.outlet,
        title=item.title,
        text=item.text,
        lang=item.lang,
        fetched=item.fetched_at,
        published=item.published_at,
        relevant=item.relevant,
        topics=tuple(item.topics),
    )


def doc_of_row(row: JudgedRow) -> Doc:
    """A stored article as judgement sees it."""
    return Doc(
        key=row.id,
        url=row.url,
        outlet=row.outlet,
        title=row.title,
        text=row.text,
        lang=row.lang,
        fetched=row.fetched_at,
        published=row.published_at,
        relevant=row.relevant,
        topics=row.topics,
        vectors=_vectors(row.id, row.embedding),
    )


def _vectors(key: int, data: bytes | None) -> ArticleVectors | None:
    if not data:
        return None
    try:
        return ArticleVectors.from_bytes(data)
    except EmbeddingError as exc:
        logger.warning("article %s: stored embeddings ignored (%s); rejudge to renew them", key, exc)
        return None


def judgement_values(judgement: Judgement) -> dict[str, Any]:
    """The judged columns of an article."""
    duplicate = judgement.duplicate
    return {
        "content_hash": judgement.content_hash,
        "minhash": judgement.signature,
        "duplicate_of_id": duplicate.of if duplicate else None,
        "duplicate_kind": duplicate.kind if duplicate else None,
        "duplicate_score": duplicate.score if duplicate else None,
        "duplicate_reason": duplicate.reason if duplicate else None,
        "story_id": judgement.story,
        "novelty": judgement.novelty,
        "embedding": judgement.embedding,
    }


def new_story_title(doc: Doc, judgement: Judgement) -> str | None:
    """The title of the story this article starts, when it starts one."""
    if doc.relevant and judgement.story is None and judgement.story_title:
        return judgement.story_title
    return None


class JudgeService:
    """The process's judge for one database, warm-started from it and kept in step with it."""

    _shared: ClassVar[dict[str, JudgeService]] = {}

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.database)
        self.judge = Judge(
            settings.judge, load_matchers(settings), lazy_encoder(settings.judge.embedding_backend)
        )
        self.users = 0
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
        service = cls._shared.get(settings.database)
        if service is None:
            service = cls._shared[settings.database] = cls(settings)
        service.users += 1
        return service

    @classmethod
    def current(cls, settings: Settings) -> JudgeService | None:
        """The shared service for this database, if one is open."""
        return cls._shared.get(settings.database)

    def release(self) -> None:
        """One user less; the last one closes it."""
        self.users -= 1
        if self.users <= 0:
            self._shared.pop(self.settings.database, None)
            try:
                self.restory(self._earliest)
            finally:
                self.store.close()

    def _observe(self, rows: Iterable[JudgedRow], track_gaps: bool = True) -> None:
        now = time.monotonic()
        for row in rows:
            self._gaps.pop(row.id, None)
            if track_gaps and self._seen_up_to + 1 < row.id <= self._seen_up_to + MAX_GAP:
                self._gaps.update(dict.fromkeys(range(self._seen_up_to + 1, row.id), now))
            self._seen_up_to = max(self._seen_up_to, row.id)
            if row.id in self._own:
                continue
            self.judge.observe(
                doc_of_row(row),
                signature=row.minhash,
                content_hash=row.content_hash,
                duplicate_of=row.duplicate_of_id,
                story=row.story_id,
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
        return self.judge.assess(doc_of(item), item.prepared)

    def index(self, item: ArticleItem, article_id: int, judgement: Judgement, story_id: int | None) -> None:
        """Take in an item just stored (and count its lines as the outlet's)."""
        self.judge.index(doc_of(item, article_id), judgement, story_id)
        self._own.add(article_id)
        self._gaps.pop(article_id, None)
        self.generation += 1
        if judgement.lines:
            self.store.judging.count_outlet_lines(item.outlet, judgement.lines)
        self._stored += 1
        when = doc_of(item).when
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
        doc = doc_of_row(row)
        judgement = judge.assess(doc)
        story_id = store.judging.apply(
            row.id, judgement_values(judgement), judgement.claims, new_story_title(doc, judgement)
        )
        judge.index(doc, judgement, story_id)
        for line in judgement.lines:
            lines[(doc.outlet, line)] = lines.get((doc.outlet, line), 0) + 1
        summary.articles += 1
        summary.duplicates += judgement.duplicate is not None
        summary.claims += len(judgement.claims)
        if story_id is not None:
            story_of[row.id] = story_id
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
        vectors = _vectors(member.id, member.embedding)
        if vectors is None or vectors.model != backend:
            continue
        items.append(StoryItem(member.id, member.canonical_url, member.appeared, member.lang, vectors.gist))
        by_id[member.id] = member
    items = sorted(items, key=lambda item: (item.when, item.stable))[-RESTORY_MAX:]
    clusters = cluster_stories(
        items, story_threshold(backend, settings.judge.story_embedding_threshold), window
    )
    kept = keep_story_ids(clusters, {m.id: m.story_id for m in by_id.values()})
    assignments = []
    for keys, story_id in zip(clusters, kept, strict=True):
        first, times = by_id[keys[0]], [by_id[k].appeared for k in keys]
        assignments.append(StoryAssignment(tuple(keys), story_id, first.title, min(times), max(times)))
    moved = store.judging.assign_stories(assignments)
    after = {m.id: m.story_id for m in store.judging.story_members(since)}
    titles = {a.members[0]: a.title for a in assignments}
    stories: dict[int, tuple[int, str]] = {}
    for assignment in assignments:
        for key in assignment.members:
            story = after.get(key)
            if story is not None:
                stories[key] = (story, titles[assignment.members[0]])
    logger.info("stories re-clustered: %d articles in %d stories, %d moved", len(items), len(clusters), moved)
    return moved, stories
