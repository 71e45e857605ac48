"""Stories with embeddings: the same articles give the same stories in any arrival order, across languages.

The articles are encoded once with the real packaged encoder; each run streams them in another order
through the judge into a fresh database, as a crawl does, then re-clusters as a crawl does when it ends.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from crawler.config import Settings
from crawler.judge.core import Judge
from crawler.judge.embedding import embed_article, load_encoder
from crawler.judge.story_clusters import (
    StoryItem,
    average_linkage,
    cluster_stories,
    follow_up_threshold,
    keep_story_ids,
)
from crawler.judge.text import split_sentences
from crawler.judge.types import StoredArticle
from crawler.judge_service import new_story_title, restory
from crawler.storage import Store
from tests.judge.samples import (
    ITALY,
    ITALY_NEWS,
    ITALY_NEWS_TITLE,
    ITALY_TITLE,
    ITALY_ZH,
    ITALY_ZH_TITLE,
    KOREA,
    KOREA_TITLE,
    KOREA_ZH,
    KOREA_ZH2,
    KOREA_ZH2_TITLE,
    KOREA_ZH_TITLE,
    MARKET_ZH,
    MARKET_ZH_TITLE,
    R1_EN,
    R1_EN_TITLE,
    doc,
)

ARTICLES = [
    doc(1, R1_EN, R1_EN_TITLE, outlet="a"),
    doc(2, MARKET_ZH, MARKET_ZH_TITLE, outlet="b", lang="zh", hours=1),
    doc(3, ITALY, ITALY_TITLE, outlet="c", hours=2),
    doc(4, KOREA, KOREA_TITLE, outlet="d", hours=3),
    doc(5, ITALY_NEWS, ITALY_NEWS_TITLE, outlet="e", hours=20),
    doc(6, ITALY_ZH, ITALY_ZH_TITLE, outlet="f", lang="zh", hours=5),
    doc(7, KOREA_ZH, KOREA_ZH_TITLE, outlet="g", lang="zh", hours=4),
    doc(8, KOREA_ZH2, KOREA_ZH2_TITLE, outlet="h", lang="zh", hours=6),
]


@pytest.fixture(scope="module")
def embedded() -> list[StoredArticle]:
    """The articles with their embeddings, stored and read back as a crawl stores them."""
    encoder = load_encoder("use-multilingual")
    assert encoder is not None
    out = []
    for article in ARTICLES:
        vectors = embed_article(encoder, article.title, split_sentences(article.text)[:4])
        out.append(replace(article, embedding=vectors.to_bytes()))
    return out


def crawl_in_order(docs: list[StoredArticle], settings: Settings, path: Path) -> frozenset[frozenset[str]]:
    """Judge and store the articles in this order, re-cluster, and read the stories back (by URL)."""
    store = Store(f"sqlite:///{path}")
    judge = Judge(settings.judge)
    try:
        for article in docs:
            judgement = judge.assess(article)
            judged = replace(article.with_judgement(judgement), relevant=True, topics=("deepseek",))
            stored = store.articles.add(judged, new_story_title=new_story_title(article, judgement))
            judge.index(replace(article, key=stored.article_id), judgement, stored.story_id)
        restory(settings, store, None)
        stories: dict[int, set[str]] = {}
        for row in store.judging.judged(0):
            assert row.story is not None
            stories.setdefault(row.story, set()).add(row.url)
        return frozenset(frozenset(urls) for urls in stories.values())
    finally:
        store.close()


def test_any_arrival_order_gives_the_same_stories(
    embedded: list[StoredArticle], settings: Settings, tmp_path: Path
) -> None:
    runs = []
    for seed in range(5):
        order = embedded[:]
        random.Random(seed).shuffle(order)
        runs.append(crawl_in_order(order, settings, tmp_path / f"run{seed}.db"))
    assert all(run == runs[0] for run in runs)
    url = {a.key: a.url for a in embedded}
    story_of = {u: story for story in runs[0] for u in story}
    # one event in English and Chinese is one story; other events are not in it
    assert story_of[url[3]] == story_of[url[6]] == story_of[url[5]]
    assert story_of[url[4]] == story_of[url[7]] == story_of[url[8]]
    assert story_of[url[3]] != story_of[url[4]]
    assert story_of[url[1]] != story_of[url[3]]


def test_the_none_backend_leaves_streamed_stories_alone(settings: Settings, tmp_path: Path) -> None:
    off = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"embedding_backend": "none"})}
    )
    store = Store(f"sqlite:///{tmp_path / 'none.db'}")
    try:
        assert restory(off, store, None) == (0, {})
    finally:
        store.close()


def test_average_linkage_needs_the_mean_not_one_strong_link() -> None:
    # 0 and 1 are alike, 2 is like 1 only: single linkage would chain all three, average linkage does not.
    similarity = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.7], [0.1, 0.7, 1.0]])
    assert average_linkage(similarity, 0.5) == [[0, 1], [2]]
    assert average_linkage(similarity, 0.35) == [[0, 1, 2]]


def test_a_re_clustered_story_keeps_the_id_most_of_its_members_had() -> None:
    current: dict[int, int | None] = {1: 10, 2: 10, 3: 11, 4: 11, 5: None}
    assert keep_story_ids([[1, 2, 3], [4, 5], [6]], current) == [10, 11, None]
    assert keep_story_ids([[1, 3], [2, 4]], current) == [10, 11]


def test_a_late_follow_up_joins_its_story_only_when_clearly_about_the_same_thing() -> None:
    # 0 and 1 are one event; 2 comes two weeks later (beyond the window, within the follow-up horizon).
    similarity = np.array([[1.0, 0.8, 0.62], [0.8, 1.0, 0.62], [0.62, 0.62, 1.0]])
    reach = np.array([[True, True, False], [True, True, False], [False, False, True]])
    late = np.ones((3, 3), dtype=bool)
    assert average_linkage(similarity, 0.45, reach) == [[0, 1], [2]]
    assert average_linkage(similarity, 0.45, reach, late, follow_up_threshold(0.45)) == [[0, 1, 2]]
    # The margin is a share of the way to 1: the same for a model whose cosines crowd near 1 (e5-small).
    assert follow_up_threshold(0.45) == pytest.approx(0.60)
    assert 0.88 < follow_up_threshold(0.88) < 0.95
    # Alike enough for one story within the window, not enough for a late follow-up.
    looser = np.where(similarity == 0.62, 0.55, similarity)
    assert average_linkage(looser, 0.45, reach, late, follow_up_threshold(0.45)) == [[0, 1], [2]]


def _items(docs: list[StoredArticle], days_after: dict[str, float]) -> list[StoryItem]:
    """The articles as clustered, each moved the given number of days later (by title)."""
    out = []
    for d in docs:
        assert d.vectors is not None
        when = d.when + timedelta(days=days_after.get(d.title, 0.0))
        out.append(StoryItem(d.key, d.url, when, d.lang, d.vectors.gist))
    return out


def test_follow_ups_weeks_later_join_their_story_when_clearly_about_it(embedded: list[StoredArticle]) -> None:
    korea = [d for d in embedded if d.title in (KOREA_TITLE, KOREA_ZH_TITLE, KOREA_ZH2_TITLE)]
    window = timedelta(days=4)
    assert len(cluster_stories(_items(korea, {}), 0.45, window)) == 1
    # Another outlet's report two weeks later is folded in; three months later it is another story.
    assert len(cluster_stories(_items(korea, {KOREA_ZH2_TITLE: 14}), 0.45, window)) == 1
    assert len(cluster_stories(_items(korea, {KOREA_ZH2_TITLE: 90}), 0.45, window)) == 2
    # A looser match (the investigation after the block) joins within the window only.
    italy = [d for d in embedded if d.title in (ITALY_TITLE, ITALY_ZH_TITLE, ITALY_NEWS_TITLE)]
    assert len(cluster_stories(_items(italy, {}), 0.45, window)) == 1
    assert len(cluster_stories(_items(italy, {ITALY_NEWS_TITLE: 14}), 0.45, window)) == 2


def plain_average_linkage(
    similarity: np.ndarray, threshold: float, reach: np.ndarray, late: np.ndarray, late_threshold: float
) -> list[list[int]]:
    """The definition, step by step: every cluster pair's mean looked at again after each merge."""
    n = len(similarity)
    clusters = [[i] for i in range(n)]
    while True:
        found: tuple[float, int, int] | None = None
        for x, y in itertools.permutations(range(len(clusters)), 2):
            first, second = clusters[x], clusters[y]
            mean = float(np.mean(similarity[np.ix_(first, second)]))
            pairs = reach[np.ix_(first, second)]
            if pairs.any():
                margin = mean - threshold
            elif late[np.ix_(first, second)].any():
                margin = mean - late_threshold
            else:
                continue
            key = (min(first), min(second))
            if found is None or margin > found[0] or (margin == found[0] and key < found[1:]):
                found = (margin, *key)
        if found is None or not found[0] >= 0:
            return sorted(sorted(c) for c in clusters)
        _, a, b = found
        into = next(c for c in clusters if min(c) == min(a, b))
        out = next(c for c in clusters if min(c) == max(a, b))
        into.extend(out)
        clusters.remove(out)


@pytest.mark.parametrize("seed", range(12))
def test_average_linkage_agrees_with_its_plain_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 16))
    points = rng.normal(size=(n, 5))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    similarity = np.round(points @ points.T, 1)  # coarse values: many ties, decided by index order
    days = np.sort(rng.uniform(0, 30, n))
    apart = np.abs(days[:, None] - days[None, :])
    reach, late = apart <= 4, apart <= 20
    expected = plain_average_linkage(similarity, 0.2, reach, late, 0.5)
    assert average_linkage(similarity, 0.2, reach, late, 0.5) == expected
