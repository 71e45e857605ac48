"""Story clusters: articles that report the same event, whatever their wording or language.

An article is a TF-IDF vector of its features (`crawler.judge.features`: words, Latin-script names,
quantities, dates, links; title features count three times), with document frequencies learnt from the
articles seen so far, so names every article of a watched topic carries (DeepSeek) weigh little and the
names and figures of one event weigh much. A story is the sum of its recent members' vectors. A new article
joins the story whose centroid is most similar (cosine) when that reaches `story_threshold`; stories whose
members are all further than `story_window_days` from it are out of reach. Across languages only names,
quantities, dates and links can agree, so there the cosine is taken over those alone, and it must reach
the threshold with at least `MIN_SHARED_ANCHORS` of them shared.

With sentence embeddings (`judge.embedding_backend`), `SemanticStoryIndex` replaces the TF-IDF rules: an
article joins the story whose members' title-and-lead embeddings are most like its own on average, in any
language; `crawler.judge.story_clusters` then re-clusters a whole period so arrival order does not matter.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from crawler.judge.features import unpost
from crawler.judge.story_clusters import FOLLOW_UP_WINDOWS, follow_up_threshold
from crawler.judge.window import SWEEP_EVERY, sweep_horizon

Vector = dict[str, float]

TOP_FEATURES = 80  # an article's vector keeps its heaviest features only: enough for an event, bounded cost
MIN_SHARED_ANCHORS = 3
_ANCHOR_PREFIXES = ("n:", "q:", "u:")


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(feature, 0.0) for feature, weight in a.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def anchors_only(vector: Mapping[str, float]) -> Vector:
    """The part of a vector that can agree across languages."""
    return {f: w for f, w in vector.items() if f.startswith(_ANCHOR_PREFIXES)}


@dataclass
class _Story:
    ident: int
    title: str
    langs: Counter[str] = field(default_factory=Counter)
    members: deque[tuple[datetime, int, Vector]] = field(default_factory=deque)
    centroid: Vector = field(default_factory=dict)
    last_seen: datetime | None = None

    def add(self, when: datetime, key: int, lang: str, vector: Vector) -> None:
        self.members.append((when, key, vector))
        self.langs[lang] += 1
        for feature, weight in vector.items():
            self.centroid[feature] = self.centroid.get(feature, 0.0) + weight
        self.last_seen = when if self.last_seen is None else max(self.last_seen, when)


@dataclass(frozen=True)
class StoryMatch:
    """The story an article joins and how alike they are."""

    story: int
    title: str
    similarity: float
    cross_lingual: bool


class StoryIndex:
    """Recent stories and the document frequencies of features; assigns articles to stories."""

    def __init__(self, window: timedelta, threshold: float) -> None:
        self.window = window
        self.threshold = threshold
        self._df: Counter[str] = Counter()
        self._docs = 0
        self._stories: dict[int, _Story] = {}
        self._postings: dict[str, set[int]] = {}
        self._newest: datetime | None = None
        self._added = 0

    def __len__(self) -> int:
        return len(self._stories)

    def vector(self, counts: Mapping[str, int]) -> Vector:
        """The TF-IDF vector of an article's feature counts, its heaviest features only."""
        total = self._docs + 1
        weights = {
            feature: (1.0 + math.log(count)) * math.log((total + 1) / (self._df.get(feature, 0) + 1))
            for feature, count in counts.items()
            if count > 0
        }
        top = heapq.nlargest(TOP_FEATURES, weights.items(), key=lambda item: item[1])
        return {feature: weight for feature, weight in top if weight > 0}

    def learn(self, counts: Mapping[str, int]) -> None:
        """Count one more article's features in the document frequencies."""
        self._docs += 1
        self._df.update(counts.keys())

    def title(self, story: int) -> str | None:
        """The title of a story still in reach, if known."""
        found = self._stories.get(story)
        return found.title if found else None

    def best(self, vector: Vector, lang: str, when: datetime) -> StoryMatch | None:
        """The story this article belongs to, or None when it starts a new one."""
        scores: Counter[int] = Counter()
        for feature in vector:
            for story in self._postings.get(feature, ()):
                scores[story] += 1
        anchors = anchors_only(vector)
        best: StoryMatch | None = None
        for ident, _shared in scores.most_common(50):
            candidate = self._stories.get(ident)
            if candidate is None or not self._in_reach(candidate, when):
                continue
            match = self._compare(candidate, vector, anchors, lang)
            if match and (best is None or match.similarity > best.similarity):
                best = match
        return best

    def _compare(self, story: _Story, vector: Vector, anchors: Vector, lang: str) -> StoryMatch | None:
        same = cosine(vector, story.centroid) if story.langs.get(lang) else 0.0
        if same >= self.threshold:
            return StoryMatch(story.ident, story.title, same, False)
        if len(story.langs) > 1 or lang not in story.langs:
            theirs = anchors_only(story.centroid)
            shared = sum(1 for f in anchors if f in theirs)
            across = cosine(anchors, theirs)
            if shared >= MIN_SHARED_ANCHORS and across >= self.threshold:
                return StoryMatch(story.ident, story.title, across, True)
        return None

    def in_reach(self, story: int, when: datetime) -> bool:
        """Whether an article at `when` may still join the story (a member within the window)."""
        found = self._stories.get(story)
        return found is not None and self._in_reach(found, when)

    def _in_reach(self, story: _Story, when: datetime) -> bool:
        return any(abs(member_when - when) <= self.window for member_when, _, _ in story.members)

    def add(self, key: int, story: int, *, title: str, lang: str, vector: Vector, when: datetime) -> None:
        """File an article under its story (a new story takes the article's title)."""
        found = self._stories.get(story)
        if found is None:
            found = self._stories[story] = _Story(story, title)
        found.add(when, key, lang, vector)
        for feature in vector:
            self._postings.setdefault(feature, set()).add(story)
        self._newest = when if self._newest is None else max(self._newest, when)
        self._expire()

    def _expire(self) -> None:
        """Forget stories that no new article can reach any more (every `SWEEP_EVERY` additions)."""
        self._added += 1
        horizon = sweep_horizon(self._added, self._newest, self.window)
        if horizon is None:
            return
        for ident in [i for i, s in self._stories.items() if s.last_seen and s.last_seen < horizon]:
            unpost(self._postings, self._stories.pop(ident).centroid, ident)


class SemanticStoryIndex:
    """Recent articles' title-and-lead embeddings by story; assigns an article to a story as it arrives.

    The similarity of an article to a story is its mean cosine with the story's members, for a story with
    a member within the window: average linkage, as `crawler.judge.story_clusters` uses for the whole set.
    """

    def __init__(self, window: timedelta, threshold: float) -> None:
        self.window = window
        self.threshold = threshold
        self._gists: list[npt.NDArray[np.float32]] = []
        self._keys: list[int] = []
        self._story: list[int] = []
        self._when: list[float] = []
        self._titles: dict[int, str] = {}
        self._matrix: npt.NDArray[np.float32] | None = None

    def __len__(self) -> int:
        return len(self._titles)

    def best(self, gist: npt.NDArray[np.float32], when: datetime) -> StoryMatch | None:
        """The story this article belongs to, or None when it starts a new one."""
        if not self._gists:
            return None
        if self._matrix is None or len(self._matrix) != len(self._gists):
            self._matrix = np.vstack(self._gists)
        scores = self._matrix @ gist
        apart = np.abs(np.array(self._when) - when.timestamp())
        near = apart <= self.window.total_seconds()
        late = apart <= FOLLOW_UP_WINDOWS * self.window.total_seconds()
        if not late.any():
            return None
        stories = np.array(self._story)
        ids, inverse = np.unique(stories, return_inverse=True)
        totals = np.bincount(inverse, weights=scores, minlength=len(ids))
        sizes = np.bincount(inverse, minlength=len(ids))
        reachable = np.bincount(inverse, weights=near.astype(np.float64), minlength=len(ids)) > 0
        follows = np.bincount(inverse, weights=late.astype(np.float64), minlength=len(ids)) > 0
        # A late follow-up (beyond the window) must be closer by the margin, as in the re-clustering pass.
        extra = follow_up_threshold(self.threshold) - self.threshold
        means = np.where(reachable, totals / sizes, np.where(follows, totals / sizes - extra, -np.inf))
        best = int(np.argmax(means))
        if not means[best] >= self.threshold:
            return None
        story = int(ids[best])
        return StoryMatch(story, self._titles[story], round(float(means[best]), 3), False)

    def title(self, story: int) -> str | None:
        """The title of a known story."""
        return self._titles.get(story)

    def add(self, key: int, story: int, gist: npt.NDArray[np.float32], *, title: str, when: datetime) -> None:
        """File an article's gist under its story (a new story takes the article's title)."""
        self._titles.setdefault(story, title)
        self._gists.append(gist.astype(np.float32))
        self._keys.append(key)
        self._story.append(story)
        self._when.append(when.timestamp())
        if len(self._gists) % SWEEP_EVERY == 0:
            self._expire()

    def reassign(self, stories: Mapping[int, tuple[int, str]]) -> None:
        """Move articles (by key) to other stories, (story, title) each, as a re-clustering decided."""
        for index, key in enumerate(self._keys):
            if key in stories:
                story, title = stories[key]
                self._story[index] = story
                self._titles[story] = title

    def _expire(self) -> None:
        horizon = max(self._when) - max(2, FOLLOW_UP_WINDOWS + 1) * self.window.total_seconds()
        keep = [i for i, moment in enumerate(self._when) if moment >= horizon]
        self._gists = [self._gists[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]
        self._story = [self._story[i] for i in keep]
        self._when = [self._when[i] for i in keep]
        live = set(self._story)
        self._titles = {k: v for k, v in self._titles.items() if k in live}
        self._matrix = None
