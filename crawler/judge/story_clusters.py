"""Stories as a clustering of a set of articles: the same articles give the same stories in any order.

Streaming assignment (`crawler.judge.stories`) sees articles one at a time, so what it decides depends on
the order they arrive. This pass looks at every article of a period at once and is a pure function of
that set: the articles are sorted by a stable key (when they appeared, then their URL), the similarity of
every pair is computed from the articles alone, and average-linkage agglomerative clustering merges the
two most similar clusters while their mean pairwise similarity reaches the threshold. Ties go to the
first pair in the sorted order. Two clusters can merge only when some member of one appeared within the
story window of some member of the other: a story takes in its follow-ups, day after day, as streaming
does. A follow-up that comes later still (within `FOLLOW_UP_WINDOWS` story windows of its story) joins it
only when it is clearly about the same thing: its mean similarity must exceed the threshold by
`FOLLOW_UP_MARGIN` of the way from there to 1. So a site's opening and the reports on it two weeks later
can be one story in the digest, while a new event on a familiar subject stays a story of its own. (A pass
covers only the period it is given: `crawler.judge_service` gives it every story its articles may join.)

Similarity is the cosine of the articles' title-and-lead embeddings (`crawler.judge.embedding`), which
compares articles in any language; without embeddings (backend ``none``) stories stay as streamed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

Similarity = npt.NDArray[np.float64]

FOLLOW_UP_WINDOWS = 5  # how many story windows after its story a late follow-up may still join it
# How much closer than the story threshold a late follow-up must be, as a share of the way from the
# threshold to 1 (models' cosine scales differ): 0.45 -> 0.60 for use-multilingual, above 0.55, from which
# the stories sweep in results.md ("Semantic layer") merged no two labelled events; 0.88 -> 0.913 for
# e5-small.
FOLLOW_UP_MARGIN = 3 / 11


def follow_up_threshold(threshold: float) -> float:
    """The mean similarity from which a late follow-up (beyond the story window) joins a story."""
    return threshold + (1.0 - threshold) * FOLLOW_UP_MARGIN


@dataclass(frozen=True)
class StoryItem:
    """One article to cluster: a stable identity, when it appeared, and what it is compared by."""

    key: int
    stable: str  # e.g. its canonical URL: the same whatever order articles were stored in
    when: datetime
    lang: str
    gist: npt.NDArray[np.float32]  # unit vector of title and lead


def cluster_stories(items: Sequence[StoryItem], threshold: float, window: timedelta) -> list[list[int]]:
    """The stories of a set of articles: lists of keys, each in stable order, stories ordered likewise."""
    ordered = sorted(items, key=lambda item: (item.when, item.stable, item.key))
    if not ordered:
        return []
    similarity = embedding_similarity(ordered)
    seconds = np.array([item.when.timestamp() for item in ordered])
    apart = np.abs(seconds[:, None] - seconds[None, :])
    reach = apart <= window.total_seconds()
    late = apart <= FOLLOW_UP_WINDOWS * window.total_seconds()
    groups = average_linkage(similarity, threshold, reach, late, follow_up_threshold(threshold))
    return [[ordered[i].key for i in group] for group in groups]


def embedding_similarity(items: Sequence[StoryItem]) -> Similarity:
    """Cosine of every pair of gists."""
    gists = np.vstack([item.gist for item in items]).astype(np.float64)
    return gists @ gists.T


def average_linkage(
    similarity: Similarity,
    threshold: float,
    reach: npt.NDArray[np.bool_] | None = None,
    late: npt.NDArray[np.bool_] | None = None,
    late_threshold: float = 1.0,
) -> list[list[int]]:
    """Average-linkage clusters (index lists, each sorted; ordered by first index) of a similarity matrix.

    Merges the most similar pair of clusters while their mean pairwise similarity reaches `threshold`;
    a tie goes to the pair that comes first in index order (row-major). With `reach`, two clusters merge
    only when some pair of their members may (`reach[i, j]`); with `late` as well, two clusters out of
    reach but with some pair in `late` merge from `late_threshold` on (a pair's margin over its own
    threshold decides which merges first).

    Each row's best pair is kept and only the rows a merge touches are looked at again, so a pass over n
    articles costs about n^2 steps, not n^3 (a crawl's pass may hold a couple of thousand).
    """
    n = len(similarity)
    if n == 0:
        return []
    near = np.ones((n, n), dtype=bool) if reach is None else reach.copy()
    far = np.zeros((n, n), dtype=bool) if late is None else late.copy()
    extra = max(0.0, late_threshold - threshold)
    sums = similarity.astype(np.float64).copy()
    np.fill_diagonal(sums, 0.0)
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    score = np.where(near, sums, sums - extra)
    score[~(near | far)] = -np.inf
    np.fill_diagonal(score, -np.inf)
    best = score.argmax(axis=1)  # each row's first best column
    top = score[np.arange(n), best]
    while True:
        a = int(np.argmax(top))  # the first row holding the best pair: row-major order
        if not top[a] >= threshold:
            break
        a, b = min(a, int(best[a])), max(a, int(best[a]))
        _merge_rows(sums, near, far, a, b)
        sizes[a] += sizes[b]
        alive[b] = False
        members[a].extend(members.pop(b))
        row = sums[a] / (sizes[a] * sizes)
        row = np.where(near[a], row, row - extra)
        row[~(alive & (near[a] | far[a]))] = -np.inf
        row[a] = -np.inf
        score[a, :] = row
        score[:, a] = row
        score[b, :] = -np.inf
        score[:, b] = -np.inf
        _update_best(score, best, top, a, b)
        top[~alive] = -np.inf
    return [sorted(group) for _, group in sorted(members.items())]


def _merge_rows(
    sums: Similarity, near: npt.NDArray[np.bool_], far: npt.NDArray[np.bool_], a: int, b: int
) -> None:
    """Fold cluster b's row and column into cluster a's."""
    sums[a, :] += sums[b, :]
    sums[:, a] += sums[:, b]
    sums[a, a] = 0.0
    sums[b, :] = 0.0
    sums[:, b] = 0.0
    for linked in (near, far):
        linked[a, :] |= linked[b, :]
        linked[:, a] |= linked[:, b]


def _update_best(score: Similarity, best: npt.NDArray[np.intp], top: Similarity, a: int, b: int) -> None:
    """Each row's best pair again after a merge into a of b: only rows whose best was a or b, or that a's
    new column now beats (a tie to the earlier column), change."""
    stale = (best == a) | (best == b)
    stale[a] = True
    rows = np.flatnonzero(stale)
    if len(rows):
        best[rows] = score[rows].argmax(axis=1)
        top[rows] = score[rows, best[rows]]
    column = score[:, a]
    better = ~stale & ((column > top) | ((column == top) & (a < best)))
    best[better] = a
    top[better] = column[better]


def keep_story_ids(stories: Sequence[Sequence[int]], current: dict[int, int | None]) -> list[int | None]:
    """For each new story (key lists, in order), the existing story id it keeps, or None for a new row.

    A story keeps the id most of its members already have, unless an earlier story took it: ids change as
    little as possible, and which articles share a story never depends on them.
    """
    taken: set[int] = set()
    out: list[int | None] = []
    for members in stories:
        votes = Counter(current[k] for k in members if current.get(k) is not None)
        choice = next(
            (sid for sid, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])) if sid not in taken),
            None,
        )
        if choice is not None:
            taken.add(choice)
        out.append(choice)
    return out
