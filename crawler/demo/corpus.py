"""The demo corpus on disk: outlets (``corpus/outlets.yaml``) and articles (``corpus/articles/*/*.md``).

Each article is a Markdown file with YAML front matter (see ``plan/DEMO_FORMAT.md``); the front matter
is the ground truth the tests and ``DemoSite.expectations()`` are built from.

Errors::

    CorpusError        a file that cannot be used; the message names the file, the key and what is expected
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"

# The 22 seed claim ids of ../shared/seeds/claims-reference.yaml (fixed for the whole project).
CLAIM_IDS = frozenset(
    {
        "r1-release-jan20", "stargate-signed-jan21", "stargate-500b", "cnbc-leapfrogged",
        "nadella-take-seriously", "zuckerberg-needs-help", "quant-fund-origin", "young-domestic-team",
        "closed-source-camp", "openai-closed-source", "musk-data-exhausted", "gpt5-delayed-data",
        "r1-2000-gpus", "under-6m-cost", "china-price-cuts", "openai-price-cut-coming", "r1-open-low-cost",
        "liang-state-council", "r1-matches-openai", "nvidia-threatened", "sanctions-forced-innovation",
        "domestic-gpus-viable",
    }
)  # fmt: skip
STORY_KEYS = frozenset(
    {
        "r1-release", "stargate-announce", "musk-doubts-stargate", "app-store-top", "nvidia-selloff",
        "cyberattack-signups", "janus-pro", "trump-wakeup-call", "openai-distillation", "wiz-database-leak",
        "italy-garante", "azure-aws-host-r1", "semianalysis-gpus", "o3-mini-response", "softbank-openai-40b",
        "government-bans", "china-price-cuts", "liang-symposium", "stargate-abilene", "south-korea-suspends",
        "huawei-ascend", "cost-debate", "deepseek-open-source-week",
    }
)  # fmt: skip
STANCES = frozenset({"supports", "disputes", "mentions"})
COPY_KINDS = frozenset({"exact", "edited", "translation"})
TOPICS = frozenset({"deepseek", "stargate"})
FEED_KINDS = frozenset({"rss", "atom", "json", "sitemap"})

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)(.*)\Z", re.DOTALL)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CorpusError(ValueError):
    """A corpus file that cannot be used."""


@dataclass(frozen=True)
class FeedSpec:
    """One machine-readable feed or sitemap of an outlet."""

    kind: str
    path: str


@dataclass(frozen=True)
class Outlet:
    """A fictional news site: its name, language, encoding, URL scheme and page furniture."""

    key: str
    name: str
    lang: str
    charset: str
    timezone: ZoneInfo
    date_format: str
    home: str
    article_path: str
    template: str
    feeds: tuple[FeedSpec, ...] = ()
    listing: Mapping[str, str] | None = None
    amp_path: str | None = None
    canonical: bool = True
    og: bool = True
    jsonld: bool = False
    meta_charset_only: str | None = None
    page_size: int = 20
    tagline: str = ""


@dataclass(frozen=True)
class Article:
    """One page of the corpus with its ground truth."""

    id: str
    outlet: str
    lang: str
    title: str
    author: str
    published: datetime
    section: str
    topics: tuple[str, ...]
    relevant: bool
    story: str | None
    claims: Mapping[str, str]
    body: str
    source_file: Path
    copy_of: str | None = None
    copy_kind: str | None = None
    canonical_to_original: bool = False

    @cached_property
    def blocks(self) -> tuple[str, ...]:
        """The body split into blocks (paragraphs, headings, lists) at blank lines."""
        return tuple(b.strip() for b in re.split(r"\n\s*\n", self.body.strip()) if b.strip())

    @property
    def summary(self) -> str:
        """The first real paragraph, used as a feed description."""
        for block in self.blocks:
            if not block.startswith(("#", "- ")):
                return block
        return self.title


@dataclass
class Corpus:
    """All outlets and articles, articles newest first."""

    outlets: dict[str, Outlet]
    articles: dict[str, Article]
    comments: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def by_outlet(self, key: str) -> list[Article]:
        """The outlet's articles, newest first."""
        return [a for a in self.articles.values() if a.outlet == key]

    def path(self, article: Article) -> str:
        """The URL path (with query, for outlets that use one) of an article."""
        return _fill(self.outlets[article.outlet].article_path, article, self.outlets[article.outlet])

    def amp_path(self, article: Article) -> str | None:
        """The URL path of the article's AMP variant, when its outlet has them."""
        outlet = self.outlets[article.outlet]
        return _fill(outlet.amp_path, article, outlet) if outlet.amp_path else None

    def canonical_target(self, article: Article) -> Article:
        """The article whose URL the page declares canonical (the original, for some syndicated copies)."""
        if article.canonical_to_original and article.copy_of:
            return self.articles[article.copy_of]
        return article


def _fill(pattern: str, article: Article, outlet: Outlet) -> str:
    local = article.published.astimezone(outlet.timezone)
    section = re.sub(r"[^a-z0-9]+", "-", article.section.lower()).strip("-") or "news"
    return pattern.format(
        id=article.id,
        yyyy=f"{local.year:04d}",
        mm=f"{local.month:02d}",
        dd=f"{local.day:02d}",
        section=section,
    )


def _fail(path: Path, key: str, expected: str, got: object) -> CorpusError:
    return CorpusError(f"{path}: key {key!r}: expected {expected}, got {got!r}")


def _load_outlet(path: Path, key: str, raw: Mapping[str, Any]) -> Outlet:
    try:
        feeds = tuple(FeedSpec(kind=str(f["kind"]), path=str(f["path"])) for f in raw.get("feeds") or ())
        outlet = Outlet(
            key=key,
            name=str(raw["name"]),
            lang=str(raw["lang"]),
            charset=str(raw["charset"]),
            timezone=ZoneInfo(str(raw["timezone"])),
            date_format=str(raw["date_format"]),
            home=str(raw["home"]),
            article_path=str(raw["article_path"]),
            template=str(raw["template"]),
            feeds=feeds,
            listing=dict(raw["listing"]) if raw.get("listing") else None,
            amp_path=raw.get("amp_path"),
            canonical=bool(raw.get("canonical", True)),
            og=bool(raw.get("og", True)),
            jsonld=bool(raw.get("jsonld", False)),
            meta_charset_only=raw.get("meta_charset_only"),
            page_size=int(raw.get("page_size", 20)),
            tagline=str(raw.get("tagline", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CorpusError(f"{path}: outlet {key!r}: missing or invalid setting ({exc})") from exc
    for feed in outlet.feeds:
        if feed.kind not in FEED_KINDS:
            raise _fail(path, f"outlets.{key}.feeds.kind", f"one of {sorted(FEED_KINDS)}", feed.kind)
    return outlet


def load_outlets(path: Path) -> tuple[dict[str, Outlet], dict[str, list[dict[str, str]]]]:
    """The outlets and the reader-comment pools of ``outlets.yaml``."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    if not isinstance(data, dict) or not isinstance(data.get("outlets"), dict):
        raise _fail(path, "outlets", "a mapping of outlet keys", type(data).__name__)
    outlets = {key: _load_outlet(path, key, raw) for key, raw in data["outlets"].items()}
    return outlets, dict(data.get("comments") or {})


def _as_datetime(path: Path, value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _fail(path, "published", "an ISO 8601 date-time with offset", value) from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _fail(path, "published", "an ISO 8601 date-time with offset", value)
    return value.astimezone(UTC)


def _claims(path: Path, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, "claims", "a mapping of claim id to stance", value)
    for claim, stance in value.items():
        if claim not in CLAIM_IDS:
            raise _fail(path, f"claims.{claim}", "one of the 22 seed claim ids", claim)
        if stance not in STANCES:
            raise _fail(path, f"claims.{claim}", f"one of {sorted(STANCES)}", stance)
    return {str(k): str(v) for k, v in value.items()}


def parse_article(path: Path, text: str, outlets: Mapping[str, Outlet]) -> Article:
    """One article file, validated against the format and the known outlets, claims and stories."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise CorpusError(f"{path}: expected YAML front matter between '---' lines at the top")
    meta = yaml.load(match.group(1), Loader=_YAML_LOADER)
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: the front matter is not a mapping")
    for key in ("id", "outlet", "lang", "title", "published", "relevant"):
        if meta.get(key) in (None, ""):
            raise _fail(path, key, "a value", meta.get(key))
    if not _ID.match(str(meta["id"])):
        raise _fail(path, "id", "lowercase letters, digits and hyphens", meta["id"])
    if meta["outlet"] not in outlets:
        raise _fail(path, "outlet", f"one of {sorted(outlets)}", meta["outlet"])
    if meta["lang"] not in ("en", "zh"):
        raise _fail(path, "lang", "en or zh", meta["lang"])
    topics = tuple(meta.get("topics") or ())
    if not set(topics) <= TOPICS:
        raise _fail(path, "topics", f"a list drawn from {sorted(TOPICS)}", topics)
    story = meta.get("story")
    if story is not None and story not in STORY_KEYS:
        raise _fail(path, "story", "one of the story keys of DEMO_FORMAT.md, or null", story)
    copy_kind = meta.get("copy_kind")
    if copy_kind is not None and copy_kind not in COPY_KINDS:
        raise _fail(path, "copy_kind", f"one of {sorted(COPY_KINDS)}, or null", copy_kind)
    if (copy_kind is None) != (meta.get("copy_of") is None):
        raise _fail(path, "copy_of", "copy_of and copy_kind both set or both null", meta.get("copy_of"))
    if not isinstance(meta["relevant"], bool):
        raise _fail(path, "relevant", "true or false", meta["relevant"])
    body = match.group(2).strip()
    if not body and copy_kind != "exact":
        raise _fail(path, "body", "article text (only an exact copy may leave it empty)", "")
    return Article(
        id=str(meta["id"]),
        outlet=str(meta["outlet"]),
        lang=str(meta["lang"]),
        title=str(meta["title"]),
        author=str(meta.get("author") or ""),
        published=_as_datetime(path, meta["published"]),
        section=str(meta.get("section") or "news"),
        topics=topics,
        relevant=meta["relevant"],
        story=story,
        claims=_claims(path, meta.get("claims")),
        body=body,
        source_file=path,
        copy_of=meta.get("copy_of"),
        copy_kind=copy_kind,
        canonical_to_original=bool(meta.get("canonical_to_original", False)),
    )


def _resolve_copies(articles: dict[str, Article]) -> dict[str, Article]:
    """Check every copy_of and give empty exact copies the original's body."""
    resolved = dict(articles)
    for article in articles.values():
        if article.copy_of is None:
            continue
        original = articles.get(article.copy_of)
        if original is None:
            raise _fail(article.source_file, "copy_of", "the id of an article in the corpus", article.copy_of)
        if original.copy_of is not None:
            raise _fail(article.source_file, "copy_of", "an original, not another copy", article.copy_of)
        if not article.body:
            resolved[article.id] = dataclasses.replace(article, body=original.body)
    return resolved


def load_corpus(root: Path | None = None) -> Corpus:
    """Every outlet and article under ``root`` (the packaged corpus by default), validated."""
    root = root or CORPUS_DIR
    outlets, comments = load_outlets(root / "outlets.yaml")
    articles: dict[str, Article] = {}
    for path in sorted((root / "articles").glob("*/*.md")):
        article = parse_article(path, path.read_text(encoding="utf-8"), outlets)
        if article.id in articles:
            raise _fail(path, "id", "an id unique across the corpus", article.id)
        articles[article.id] = article
    ordered = sorted(_resolve_copies(articles).values(), key=lambda a: (a.published, a.id), reverse=True)
    return Corpus(outlets=outlets, articles={a.id: a for a in ordered}, comments=comments)
