"""`Judge`: every judgement applied to one article at a time, in the order articles arrive.

For each article, `assess` says (without changing anything):
- `duplicate`: an exact copy (same normalised text), a near copy (MinHash/LSH over character shingles
  after the outlet's boilerplate lines are removed) or a translation (zh <-> en) of an earlier article.
  `of` is always the *first-seen* article of the group (the root), never a copy of a copy: stored verdicts
  stay right when more copies arrive, and the digest picks the most complete copy of a group itself;
- for a relevant article: `story` (an existing story id, or None for a new story titled `story_title`; a
  copy joins its original's story), `claims` from the seeds' matchers, `novelty` (a translation is 0);
- `lines`: the hashes of its lines, for the caller to count in `outlet_lines`.

The caller stores the article (creating the story row when `story` is None and `story_title` is set) and
then calls `index` with the stored id and story id. At start-up it rebuilds the state from storage:
`load_outlet_lines` with the stored counts, then `observe` for each stored article in the order they were
judged; articles older than `text_window` before the newest one may be observed with an empty text (only
their signature and hash are needed). All state is in memory; nothing here does I/O.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crawler.config import JudgeSettings
from crawler.judge.claim_finder import SentenceVectors, semantic_matching
from crawler.judge.dedup import NearDuplicateIndex, OutletLines, exact_key
from crawler.judge.embedding import ArticleVectors, Encoder, embed_article, story_threshold
from crawler.judge.features import Anchors, anchors, term_counts
from crawler.judge.minhash import Signature, SignatureError
from crawler.judge.novelty import NoveltyIndex
from crawler.judge.stories import SemanticStoryIndex, StoryIndex, Vector
from crawler.judge.text import content_hash, split_sentences
from crawler.judge.translation import TranslationIndex
from crawler.judge.types import ClaimMatch, ClaimMatcher, DuplicateVerdict, Judgement, StoredArticle

logger = logging.getLogger(__name__)

_PENDING = 256  # assessed articles whose intermediate results are kept until they are indexed
_NOTHING = content_hash("")  # pages that failed to extract are not copies of each other


@dataclass(frozen=True)
class Prepared:
    """The judging that needs one article alone (features, sentences, seed claims): computed anywhere,
    e.g. beside extraction in a worker process, and handed to `Judge.assess`. It is used only while the
    article's text is judged unchanged (no outlet boilerplate line removed from it)."""

    key: str
    anchors: Anchors
    counts: dict[str, int]
    sentences: tuple[str, ...]
    claims: tuple[ClaimMatch, ...]
    covered: frozenset[str]
    vectors: ArticleVectors | None = None


def _prepared_key(title: str, text: str, lang: str, year: int) -> str:
    return content_hash(f"{year}\x00{lang}\x00{title}\x00{text}")


def prepare(
    title: str,
    text: str,
    lang: str,
    year: int,
    matchers: Sequence[ClaimMatcher],
    min_score: float = 0.0,
    encoder: Encoder | None = None,
) -> Prepared:
    """Everything about a relevant article that no other article changes (embeddings with an encoder)."""
    found = anchors(f"{title}\n{text}", lang, year)
    sentences = tuple(split_sentences(text))
    cache: SentenceVectors | None = None
    if encoder is not None:
        # Claims and the article's embeddings share one cache: a sentence is encoded once.
        cache, matchers = semantic_matching(matchers, encoder)
    claims = tuple(
        m for matcher in matchers for m in matcher.match(title, text, lang) if m.score >= min_score
    )
    covered = frozenset(s for s in sentences if any(matcher.covers(s) for matcher in matchers))
    vectors = None
    if encoder is not None:
        vectors = embed_article(cache or encoder, title, sentences, [c.evidence for c in claims])
    return Prepared(
        key=_prepared_key(title, text, lang, year),
        anchors=found,
        counts=dict(term_counts(title, text, lang, found)),
        sentences=sentences,
        claims=claims,
        covered=covered,
        vectors=vectors,
    )


@dataclass(frozen=True)
class _Work:
    """What `assess` computed that `index` needs again."""

    text: str
    lines: tuple[str, ...]
    signature: Signature
    anchors: Anchors | None
    counts: dict[str, int] | None
    vector: Vector | None
    sentences: tuple[str, ...]
    prepared: Prepared | None = None
    vectors: ArticleVectors | None = None


class Judge:
    """Judges articles one at a time, in the order they arrive; holds only in-memory state."""

    def __init__(
        self, settings: JudgeSettings, matchers: Sequence[ClaimMatcher] = (), encoder: Encoder | None = None
    ) -> None:
        self.settings = settings
        # Embeddings count only when made by the configured backend (stored ones may predate a switch).
        self.backend = settings.embedding_backend
        self.encoder = encoder if encoder is not None and encoder.name == self.backend else None
        self.matchers = tuple(matchers)
        self._cache: SentenceVectors | None = None
        if self.encoder is not None:
            # Claims and embeddings share one cache (see `prepare`).
            self._cache, self.matchers = semantic_matching(self.matchers, self.encoder)
            self.encoder = self._cache
        self.window = timedelta(days=settings.story_window_days)
        self.near = NearDuplicateIndex(
            settings.num_perm,
            settings.shingle_size,
            settings.near_duplicate_threshold,
            settings.containment_threshold,
        )
        self.lines = OutletLines(settings.boilerplate_min_pages)
        self.stories = StoryIndex(self.window, settings.story_threshold)
        self.semantic = SemanticStoryIndex(
            self.window,
            story_threshold(self.backend, settings.story_embedding_threshold)
            if self.backend != "none"
            else 1.0,
        )
        self.translations = TranslationIndex(self.window)
        self.novelty = NoveltyIndex(self.window)
        self._exact: dict[int, int] = {}
        self._roots: dict[int, int] = {}
        self._story_of: dict[int, int] = {}
        self._pending: OrderedDict[tuple[str, str], _Work] = OrderedDict()
        self._newest: datetime | None = None

    @property
    def text_window(self) -> timedelta:
        """How far back from the newest article `observe` needs full texts (stories, novelty, translation)."""
        return 2 * self.window

    # --- warm start --------------------------------------------------------------------------------

    def load_outlet_lines(self, rows: Iterable[tuple[str, str, int]]) -> None:
        """Stored boilerplate counts: (outlet, line hash, pages), as in table `outlet_lines`."""
        self.lines.load(rows)

    def observe(
        self,
        doc: StoredArticle,
        *,
        signature: bytes | None,
        content_hash: str,
        duplicate_of: int | None,
        story: int | None,
    ) -> None:
        """Take an article judged in an earlier run into the state without judging it again."""
        self._remember_hash(content_hash, doc.key)
        if duplicate_of is not None:
            self._roots[doc.key] = self._roots.get(duplicate_of, duplicate_of)
        if signature:
            try:
                self.near.add(doc.key, Signature.from_bytes(signature), doc.outlet, doc.title)
            except SignatureError as exc:
                logger.warning("article %s: stored signature ignored (%s); rejudge to renew it", doc.key, exc)
        if story is not None:
            self._story_of[doc.key] = story
        self._newest = doc.when if self._newest is None else max(self._newest, doc.when)
        if doc.relevant and doc.text and doc.when >= self._newest - self.text_window:
            work = self._work(doc)
            self._remember(doc, work, story)

    # --- judging -----------------------------------------------------------------------------------

    def assess(self, doc: StoredArticle, prepared: Prepared | None = None) -> Judgement:
        """Everything judged about an article, against what is indexed so far; changes nothing."""
        digest = content_hash(doc.text)
        work = self._work(doc, prepared)
        if work.prepared is None:
            prepared = None
        self._pending[(doc.url, digest)] = work
        while len(self._pending) > _PENDING:
            self._pending.popitem(last=False)
        duplicate = self._duplicate(doc, digest, work)
        counted = () if duplicate and duplicate.kind != "translation" else work.lines
        judgement = Judgement(
            content_hash=digest, signature=work.signature.to_bytes(), duplicate=duplicate, lines=counted
        )
        if not doc.relevant or work.vector is None:
            return judgement
        embedding = work.vectors.to_bytes() if work.vectors is not None else None
        story, title = self._story(doc, duplicate, work)
        covered: Callable[[str], bool] = self._covered
        if prepared is not None:
            claims = tuple(c for c in prepared.claims if c.score >= self.settings.claim_min_score)
            covered = prepared.covered.__contains__
        else:
            claims = self._claims(doc, work.text)
        if duplicate and duplicate.kind == "translation":
            novelty = 0.0
        else:
            novelty = self.novelty.novelty(work.sentences, story, covered, work.vectors)
        return Judgement(
            content_hash=digest,
            signature=judgement.signature,
            duplicate=duplicate,
            story=story,
            story_title=title,
            claims=claims,
            novelty=novelty,
            lines=counted,
            embedding=embedding,
        )

    def index(self, doc: StoredArticle, judgement: Judgement, story_id: int | None) -> None:
        """Add an assessed (and stored) article to the state, under its stored id and story."""
        work = self._pending.pop((doc.url, judgement.content_hash), None) or self._work(doc)
        self._remember_hash(judgement.content_hash, doc.key)
        if judgement.duplicate is not None:
            self._roots[doc.key] = self._roots.get(judgement.duplicate.of, judgement.duplicate.of)
        self.near.add(doc.key, work.signature, doc.outlet, doc.title)
        self.lines.count(doc.outlet, judgement.lines)
        if story_id is not None:
            self._story_of[doc.key] = story_id
        self._newest = doc.when if self._newest is None else max(self._newest, doc.when)
        self._remember(doc, work, story_id)

    # --- parts -------------------------------------------------------------------------------------

    def _work(self, doc: StoredArticle, prepared: Prepared | None = None) -> _Work:
        text, lines = self.lines.split(doc.outlet, doc.text)
        signature = self.near.signature(text)
        if not doc.relevant:
            return _Work(text, lines, signature, None, None, None, ())
        usable = (
            prepared is not None
            and text == doc.text
            and prepared.key == _prepared_key(doc.title, text, doc.lang, doc.when.year)
        )
        if prepared is not None and usable:
            vector = self.stories.vector(prepared.counts)
            return _Work(
                text,
                lines,
                signature,
                prepared.anchors,
                prepared.counts,
                vector,
                prepared.sentences,
                prepared,
                self._vectors(doc, prepared, prepared.sentences),
            )
        found = anchors(f"{doc.title}\n{text}", doc.lang, doc.when.year)
        counts = dict(term_counts(doc.title, text, doc.lang, found))
        vector = self.stories.vector(counts)
        sentences = tuple(split_sentences(text))
        vectors = self._vectors(doc, prepared, sentences)
        return _Work(text, lines, signature, found, counts, vector, sentences, None, vectors)

    def _vectors(
        self, doc: StoredArticle, prepared: Prepared | None, sentences: Sequence[str]
    ) -> ArticleVectors | None:
        """The article's embeddings by the configured backend: given, prepared, or encoded now."""
        for given in (doc.vectors, prepared.vectors if prepared is not None else None):
            if given is not None and given.model == self.backend:
                return given
        if self.encoder is not None:
            return embed_article(self.encoder, doc.title, sentences)
        return None

    def _remember_hash(self, digest: str, key: int) -> None:
        if digest != _NOTHING:
            self._exact.setdefault(exact_key(digest), key)

    def _root(self, key: int) -> int:
        return self._roots.get(key, key)

    def _duplicate(self, doc: StoredArticle, digest: str, work: _Work) -> DuplicateVerdict | None:
        same = self._exact.get(exact_key(digest))
        usable = self.near.usable(work.signature)
        matches = self.near.matches(work.signature, doc.outlet, doc.title, limit=1) if usable else []
        # Same text under an unlike title on the same outlet is the outlet's chrome extracted twice, not a
        # copy: the near index applies that title rule, so an exact match must be among its matches.
        if same is not None and (
            not usable or self.near.matches(work.signature, doc.outlet, doc.title, key=same)
        ):
            root = self._root(same)
            return DuplicateVerdict(
                root, "exact", 1.0, f"same text as #{same} after normalisation" + _via(same, root)
            )
        if matches:
            best = matches[0]
            root = self._root(best.key)
            return DuplicateVerdict(root, "near", round(best.score, 3), best.reason() + _via(best.key, root))
        if work.anchors is None:
            return None
        found = self.translations.find(work.anchors, doc.lang, len(work.text), doc.when, work.vectors)
        if found is None:
            return None
        root = self._root(found.key)
        return DuplicateVerdict(root, "translation", found.score, found.reason() + _via(found.key, root))

    def _story(
        self, doc: StoredArticle, duplicate: DuplicateVerdict | None, work: _Work
    ) -> tuple[int | None, str]:
        if duplicate is not None:
            # A copy reports its original's event whenever it appears (a backfilled feed or a warm start
            # can bring it long after the story left the window).
            story = self._story_of.get(duplicate.of)
            if story is not None:
                return story, self.stories.title(story) or self.semantic.title(story) or doc.title
        assert work.vector is not None
        if work.vectors is not None:
            match = self.semantic.best(work.vectors.gist, doc.when)
        else:
            match = self.stories.best(work.vector, doc.lang, doc.when)
        if match is None:
            return None, doc.title
        return match.story, match.title

    def _claims(self, doc: StoredArticle, text: str) -> tuple[ClaimMatch, ...]:
        if self._cache is not None and doc.vectors is not None and doc.vectors.model == self._cache.name:
            # Stored embeddings (rejudge): their sentences need not be encoded again.
            self._cache.give(doc.vectors.sentences, doc.vectors.sentence_vectors)
        found: list[ClaimMatch] = []
        for matcher in self.matchers:
            found.extend(
                m
                for m in matcher.match(doc.title, text, doc.lang)
                if m.score >= self.settings.claim_min_score
            )
        return tuple(found)

    def _covered(self, sentence: str) -> bool:
        return any(matcher.covers(sentence) for matcher in self.matchers)

    def _remember(self, doc: StoredArticle, work: _Work, story: int | None) -> None:
        """Stories, translations and novelty learn a relevant article."""
        if not doc.relevant or work.anchors is None or work.counts is None or work.vector is None:
            return
        self.stories.learn(work.counts)
        self.translations.add(doc.key, work.anchors, doc.lang, len(work.text), doc.when, work.vectors)
        if story is None:
            return
        self.stories.add(doc.key, story, title=doc.title, lang=doc.lang, vector=work.vector, when=doc.when)
        if work.vectors is not None:
            self.semantic.add(doc.key, story, work.vectors.gist, title=doc.title, when=doc.when)
        self.novelty.add(story, work.sentences, doc.when, work.vectors)

    def reassign_stories(self, stories: dict[int, tuple[int, str]]) -> None:
        """Take in a re-clustering of stories: article key -> (story id, story title)."""
        for key, (story, _) in stories.items():
            self._story_of[key] = story
        self.semantic.reassign(stories)


def _via(matched: int, root: int) -> str:
    return f" (a copy of #{root}, seen first)" if matched != root else ""
