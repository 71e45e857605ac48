"""Composing a digest: a pure function over stored articles, one chat and one time window.

`compose_digest` takes the stored articles of a window (`crawler.judge.types.StoredArticle`, as
`crawler.storage.digest` reads them) and returns a `Digest`: one entry per story, led by its best copy,
ranked by novelty then recency; the seed's claims that were disputed or newly supported in the window; and
how much was left out. Rendering is `bot.render`.
No I/O, no framework imports.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crawler.judge.text import split_paragraphs, split_sentences
from crawler.judge.types import ClaimMatch, StoredArticle

SNIPPET_CHARS = 240  # columns; a Chinese character takes two
SNIPPET_MIN = 80  # a shorter opening ("DeepSeek isn't done.") takes the next paragraph's sentences too


@dataclass(frozen=True)
class ChatFilter:
    """What one chat wants: topics (none means all) and plain words to require or refuse."""

    topics: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimWording:
    """How a seed claim is shown to readers, in each language."""

    id: str
    en: str = ""
    zh: str = ""

    def text(self, lang: str) -> str:
        """The wording in `lang`, else the other language, else the id."""
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or second or self.id


@dataclass(frozen=True)
class OtherCopy:
    """Another outlet's article on the same story."""

    outlet: str
    url: str


@dataclass(frozen=True)
class StoryEntry:
    """One story in the digest: its best copy, the other outlets, and the claims it takes a side on."""

    lead: StoredArticle
    snippet: str
    others: tuple[OtherCopy, ...]
    articles: int
    novelty: float | None
    latest: datetime
    disputes: tuple[str, ...] = ()
    supports: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimUpdate:
    """A seed claim disputed (or newly supported) in the window, with its best evidence."""

    claim_id: str
    stance: str
    evidence: str
    url: str
    outlet: str
    articles: int


@dataclass(frozen=True)
class Digest:
    """Everything one chat is told about one window."""

    start: datetime | None
    end: datetime
    entries: tuple[StoryEntry, ...]
    claims: tuple[ClaimUpdate, ...]
    wording: Mapping[str, ClaimWording] = field(default_factory=dict)
    articles: int = 0
    more_entries: int = 0
    more_claims: int = 0
    left_out_duplicates: int = 0
    left_out_irrelevant: int = 0
    left_out_filtered: int = 0

    @property
    def empty(self) -> bool:
        """Nothing to tell: no story and no claim news."""
        return not self.entries and not self.claims

    def claim_text(self, claim_id: str, lang: str) -> str:
        """A claim's wording for readers of `lang` (its id when the claims file lacks it)."""
        wording = self.wording.get(claim_id)
        return wording.text(lang) if wording else claim_id


def contains_word(text: str, word: str) -> bool:
    """Whether `word` is in `text`, ignoring case; Latin words must stand alone (`AI` is not in `said`)."""
    needle = word.casefold().strip()
    if not needle:
        return False
    haystack = text.casefold()
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if not (_latin_alnum(needle[0]) and _latin_alnum(before)) and not (
            _latin_alnum(needle[-1]) and _latin_alnum(after)
        ):
            return True
        start = haystack.find(needle, start + 1)
    return False


def _latin_alnum(char: str) -> bool:
    # Only Latin letters and digits join into words; CJK text has no spaces, so any CJK match counts.
    return char.isascii() and char.isalnum()


def passes_filter(article: StoredArticle, chat_filter: ChatFilter) -> bool:
    """Whether a relevant article is one this chat wants."""
    if chat_filter.topics and not set(article.topics) & set(chat_filter.topics):
        return False
    text = f"{article.title}\n{article.text}"
    if chat_filter.include and not any(contains_word(text, w) for w in chat_filter.include):
        return False
    return not any(contains_word(text, w) for w in chat_filter.exclude)


def display_width(text: str) -> int:
    """Columns a text takes: Chinese characters count two, so snippets read alike in both languages."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def snippet(article: StoredArticle, limit: int = SNIPPET_CHARS) -> str:
    """The opening of an article, whole sentences up to `limit` columns, the title not repeated."""
    title = article.title.strip()
    out = ""
    for line in split_paragraphs(article.text):
        found = line.find(title) if title else -1
        # What precedes the title on its line is page furniture (breadcrumbs, datelines, bylines).
        paragraph = line[found + len(title) :].strip(" |»›>-—–:：·") if 0 <= found < 200 else line
        if not out:
            if len(paragraph) < 20:
                continue
            out = _sentences_upto("", paragraph, limit) or _cut(paragraph, limit)
        else:
            longer = _sentences_upto(out, paragraph, limit)
            if longer == out:
                break
            out = longer
        if out.endswith("…") or display_width(out) >= SNIPPET_MIN:
            break
    return out


def _sentences_upto(out: str, paragraph: str, limit: int) -> str:
    for sentence in split_sentences(paragraph):
        joined = f"{out} {sentence}".strip() if out and sentence[:1].isascii() else out + sentence
        if display_width(joined) > limit:
            break
        out = joined
    return out


def _cut(text: str, limit: int) -> str:
    width = 0
    for index, char in enumerate(text):
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if width > limit - 1:
            cut = text[:index]
            space = cut.rfind(" ")
            return (cut[:space] if space > len(cut) // 2 else cut).rstrip(" ,.;:，。；：") + "…"
    return text


def _group_key(article: StoredArticle, in_window: Mapping[int, StoredArticle]) -> tuple[str, int]:
    if article.story is not None:
        return ("story", article.story)
    root = article
    seen = {root.key}
    while root.duplicate_of is not None and root.duplicate_of in in_window and root.duplicate_of not in seen:
        root = in_window[root.duplicate_of]
        seen.add(root.key)
    return ("copy", root.duplicate_of if root.duplicate_of is not None else root.key)


def _is_repeat(article: StoredArticle, in_window: Mapping[int, StoredArticle]) -> bool:
    """A copy of an article from before the window: already told."""
    return article.duplicate_of is not None and article.duplicate_of not in in_window


def _stances(
    members: Sequence[StoredArticle], lead: StoredArticle, stance: str, order: Mapping[str, int]
) -> tuple[str, ...]:
    """The claims the story's articles take this stance on, what most of them say first: then what its
    lead says, the surer match, the seed's own order ("released on 20 January" before a passing remark
    of one article)."""
    articles: Counter[str] = Counter()
    best: dict[str, float] = {}
    for article in members:
        for claim_id, score in {c.claim_id: c.score for c in article.claims if c.stance == stance}.items():
            articles[claim_id] += 1
            best[claim_id] = max(score, best.get(claim_id, 0.0))
    said_by_lead = {c.claim_id for c in lead.claims if c.stance == stance}
    return tuple(
        sorted(
            articles,
            key=lambda i: (-articles[i], i not in said_by_lead, -best[i], order.get(i, len(order)), i),
        )
    )


def _entry(members: Sequence[StoredArticle], order: Mapping[str, int]) -> StoryEntry:
    # The best copy: the most complete text, then the earliest.
    lead = min(members, key=lambda a: (-len(a.text), a.when, a.key))
    others: dict[str, OtherCopy] = {}
    for article in sorted(members, key=lambda a: (a.when, a.key)):
        outlet = article.outlet.strip()
        if article is lead or not outlet or outlet == lead.outlet.strip() or outlet in others:
            continue
        others[outlet] = OtherCopy(outlet, article.url)
    novelties = [a.novelty for a in members if a.novelty is not None]
    return StoryEntry(
        lead=lead,
        snippet=snippet(lead),
        others=tuple(others.values()),
        articles=len(members),
        novelty=max(novelties) if novelties else None,
        latest=max(a.when for a in members),
        disputes=_stances(members, lead, "disputes", order),
        supports=_stances(members, lead, "supports", order),
    )


def _rank(entry: StoryEntry) -> tuple[float, float]:
    # Novelty in tenths, so that near-equal scores fall back to recency rather than noise.
    novelty = round(entry.novelty, 1) if entry.novelty is not None else -1.0
    return (-novelty, -entry.latest.timestamp())


def _claim_updates(
    articles: Sequence[StoredArticle], supported_before: Collection[str], order: Mapping[str, int]
) -> tuple[ClaimUpdate, ...]:
    by_claim: dict[tuple[str, str], list[tuple[ClaimMatch, StoredArticle]]] = defaultdict(list)
    for article in articles:
        for match in article.claims:
            if match.stance == "disputes" or (
                match.stance == "supports" and match.claim_id not in supported_before
            ):
                by_claim[(match.stance, match.claim_id)].append((match, article))
    updates = []
    for (stance, claim_id), found in by_claim.items():
        match, article = min(found, key=lambda pair: (-pair[0].score, pair[1].when, pair[1].key))
        count = len({a.key for _, a in found})
        updates.append(ClaimUpdate(claim_id, stance, match.evidence, article.url, article.outlet, count))
    updates.sort(key=lambda u: (u.stance != "disputes", order.get(u.claim_id, len(order)), u.claim_id))
    return tuple(updates)


def compose_digest(
    articles: Iterable[StoredArticle],
    *,
    start: datetime | None,
    end: datetime,
    chat_filter: ChatFilter | None = None,
    wording: Mapping[str, ClaimWording] | None = None,
    supported_before: Collection[str] = (),
    max_entries: int = 20,
    max_claims: int = 10,
) -> Digest:
    """The digest of the articles fetched in [start, end) for a chat with `chat_filter`.

    `wording` gives the claims' display text in claim-file order; `supported_before` holds the claims already
    supported before `start`, so only new support is reported. Disputes come first, then new support, at
    most `max_claims` in all.
    """
    chat_filter = chat_filter or ChatFilter()
    wording = dict(wording or {})
    window = [a for a in articles if (start is None or a.fetched >= start) and a.fetched < end]
    relevant = [a for a in window if a.relevant]
    wanted = [a for a in relevant if passes_filter(a, chat_filter)]
    in_window = {a.key: a for a in wanted}
    groups: dict[tuple[str, int], list[StoredArticle]] = defaultdict(list)
    repeats = 0
    for article in wanted:
        groups[_group_key(article, in_window)].append(article)
    order = {claim_id: index for index, claim_id in enumerate(wording)}
    entries = []
    for members in groups.values():
        fresh = [a for a in members if not _is_repeat(a, in_window)]
        if not fresh:
            repeats += len(members)
            continue
        entries.append(_entry(members, order))
    entries.sort(key=_rank)
    shown = entries[:max_entries]
    claims = _claim_updates(wanted, supported_before, order)
    return Digest(
        start=start,
        end=end,
        entries=tuple(shown),
        claims=claims[:max_claims],
        wording=wording,
        articles=len(window),
        more_entries=len(entries) - len(shown),
        more_claims=max(0, len(claims) - max_claims),
        left_out_duplicates=repeats + sum(e.articles - 1 for e in entries),
        left_out_irrelevant=len(window) - len(relevant),
        left_out_filtered=len(relevant) - len(wanted),
    )
