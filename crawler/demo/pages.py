"""HTML pages of the demo web: each outlet's article pages, AMP variants and front pages.

Every outlet has its own template file (``corpus/templates/<outlet>.html``) made of named parts, each
introduced by a line ``<!-- @part NAME -->`` and filled with :class:`string.Template` placeholders.
``page`` (an article), ``home`` (the paginated front page, which is also the listing page that feedless
outlets are crawled from), ``home_item``, ``headline`` (sidebar entries), ``related``, ``comment`` and
``next`` are required; ``para`` and ``amp`` are optional.
"""

from __future__ import annotations

import html
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from string import Template

from crawler.demo.corpus import CORPUS_DIR, Article, Corpus, Outlet

TEMPLATE_DIR = CORPUS_DIR / "templates"
_PART = re.compile(r"^<!-- @part (\w+) -->\s*$", re.MULTILINE)
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MOST_READ = 6
RELATED = 3


@lru_cache(maxsize=32)
def template_parts(path: Path) -> dict[str, Template]:
    """The named parts of one template file."""
    text = path.read_text(encoding="utf-8")
    pieces = _PART.split(text)
    return {pieces[i]: Template(pieces[i + 1].strip("\n") + "\n") for i in range(1, len(pieces) - 1, 2)}


def format_date(moment: datetime, outlet: Outlet) -> str:
    """A date as the outlet prints it, in the outlet's time zone."""
    local = moment.astimezone(outlet.timezone)
    hour12 = local.hour % 12 or 12
    return outlet.date_format.format(
        yyyy=f"{local.year:04d}", mm=f"{local.month:02d}", dd=f"{local.day:02d}", m=local.month, d=local.day,
        HH=f"{local.hour:02d}", MM=f"{local.minute:02d}", h12=hour12, ampm="AM" if local.hour < 12 else "PM",
        month=_MONTHS[local.month - 1], mon=_MONTHS[local.month - 1][:3], weekday=_WEEKDAYS[local.weekday()],
    )  # fmt: skip


def _inline(text: str) -> str:
    return html.escape(" ".join(text.split()))


def render_body(article: Article, para: Template | None = None) -> str:
    """The article body as HTML: paragraphs, ``##`` headings, ``-`` lists and ``>`` quotes."""
    out = []
    for block in article.blocks:
        lines = block.splitlines()
        if block.startswith("## "):
            out.append(f"<h2>{_inline(block[3:])}</h2>")
        elif all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        elif block.startswith("> "):
            out.append(f"<blockquote><p>{_inline(block.replace('> ', ''))}</p></blockquote>")
        elif para is not None:
            out.append(para.substitute(text=_inline(block)).rstrip("\n"))
        else:
            out.append(f"<p>{_inline(block)}</p>")
    return "\n".join(out)


@dataclass(frozen=True)
class Renderer:
    """Renders the pages of one running demo site (absolute URLs need its base URL)."""

    corpus: Corpus
    base_url: str
    template_dir: Path = TEMPLATE_DIR

    def parts(self, outlet: Outlet) -> dict[str, Template]:
        """The template parts of an outlet."""
        return template_parts(self.template_dir / outlet.template)

    def url(self, article: Article) -> str:
        """The absolute URL of an article."""
        return self.base_url + self.corpus.path(article)

    def _items(self, part: Template, outlet: Outlet, articles: Iterable[Article]) -> str:
        home_dir = outlet.home.rsplit("/", 1)[0] + "/"
        return "".join(
            part.substitute(
                url=html.escape(self.url(a)), rel=html.escape(_relative(self.corpus.path(a), home_dir)),
                title=html.escape(a.title), date=format_date(a.published, outlet),
                date_iso=a.published.isoformat(), summary=html.escape(_shorten(a.summary, 160)),
                section=html.escape(a.section), author=html.escape(a.author),
            )
            for a in articles
        )  # fmt: skip

    def most_read(self, article: Article) -> list[Article]:
        """The sidebar's 'most read' list: the outlet's topical headlines first, as on the real sites."""
        others = [a for a in self.corpus.by_outlet(article.outlet) if a.id != article.id]
        others.sort(key=lambda a: (not a.relevant, -a.published.timestamp()))
        return others[:MOST_READ]

    def related(self, article: Article) -> list[Article]:
        """The 'related' box: same story first, then same topics, newest first."""
        others = [
            a
            for a in self.corpus.by_outlet(article.outlet)
            if article.id not in (a.id, a.copy_of) and article.copy_of != a.id
        ]
        same_story = [a for a in others if article.story and a.story == article.story]
        same_topic = [a for a in others if a not in same_story and set(a.topics) & set(article.topics)]
        return (same_story + same_topic)[:RELATED]

    def _comments(self, article: Article, outlet: Outlet) -> tuple[str, int]:
        pool = self.corpus.comments.get(outlet.lang) or []
        seed = zlib.crc32(article.id.encode())
        count = seed % 4 if pool else 0
        part = self.parts(outlet)["comment"]
        chosen = [pool[(seed // 7 + i * 3) % len(pool)] for i in range(count)]
        text = "".join(
            part.substitute(
                author=html.escape(c["author"]), text=html.escape(c["text"]),
                when=format_date(article.published, outlet),
            )
            for c in chosen
        )  # fmt: skip
        return text, count

    def head(self, article: Article, outlet: Outlet, *, amp: bool = False) -> str:
        """Canonical, AMP, Open Graph and JSON-LD tags, as far as the outlet uses them."""
        own_url = self.url(article)
        canonical = self.url(self.corpus.canonical_target(article))
        tags = []
        if amp or outlet.canonical:
            tags.append(f'<link rel="canonical" href="{html.escape(own_url if amp else canonical)}">')
        amp_path = self.corpus.amp_path(article)
        if amp_path and not amp:
            tags.append(f'<link rel="amphtml" href="{html.escape(self.base_url + amp_path)}">')
        if outlet.og:
            og = {
                "og:type": "article", "og:title": article.title, "og:url": canonical,
                "og:site_name": outlet.name,
                "og:description": _shorten(article.summary, 200),
                "article:published_time": article.published.isoformat(), "article:section": article.section,
            }  # fmt: skip
            tags += [f'<meta property="{k}" content="{html.escape(v)}">' for k, v in og.items()]
        if outlet.jsonld:
            tags.append(_jsonld(article, outlet, canonical))
        return "\n".join(tags)

    def article_page(self, article: Article, *, amp: bool = False) -> str:
        """The full HTML of an article page (or of its AMP variant)."""
        outlet = self.corpus.outlets[article.outlet]
        parts = self.parts(outlet)
        comments, count = self._comments(article, outlet)
        values = {
            "lang": "zh-CN" if outlet.lang == "zh" else "en",
            "charset": outlet.charset,
            "site": html.escape(outlet.name),
            "tagline": html.escape(outlet.tagline),
            "home": self.base_url + outlet.home,
            "title": html.escape(article.title),
            "author": html.escape(article.author),
            "date": format_date(article.published, outlet),
            "date_iso": article.published.isoformat(),
            "section": html.escape(article.section),
            "summary": html.escape(_shorten(article.summary, 200)),
            "url": html.escape(self.url(article)),
            "canonical_url": html.escape(
                self.url(article) if amp else self.url(self.corpus.canonical_target(article))
            ),
            "head": self.head(article, outlet, amp=amp),
            "body": render_body(article, parts.get("para")),
            "most_read": self._items(parts["headline"], outlet, self.most_read(article)),
            "related": self._items(parts["related"], outlet, self.related(article)),
            "comments": comments,
            "comment_count": str(count),
            "year": "2025",
        }
        return parts["amp" if amp else "page"].substitute(values)

    def home_page(self, outlet: Outlet, page: int, extra: Iterable[Article] = ()) -> tuple[str, int]:
        """One page of the outlet's front page (newest first) and the number of pages."""
        articles = sorted(
            [*self.corpus.by_outlet(outlet.key), *extra], key=lambda a: a.published, reverse=True
        )
        pages = max(1, -(-len(articles) // outlet.page_size))
        chunk = articles[(page - 1) * outlet.page_size : page * outlet.page_size]
        parts = self.parts(outlet)
        pager = ""
        if page < pages:
            sep = "&" if "?" in outlet.home else "?"
            pager = parts["next"].substitute(
                url=html.escape(f"{outlet.home}{sep}page={page + 1}"), page=page + 1
            )
        values = {
            "lang": "zh-CN" if outlet.lang == "zh" else "en", "charset": outlet.charset,
            "site": html.escape(outlet.name), "tagline": html.escape(outlet.tagline),
            "home": self.base_url + outlet.home, "items": self._items(parts["home_item"], outlet, chunk),
            "pager": pager, "page": str(page), "pages": str(pages), "year": "2025",
        }  # fmt: skip
        return parts["home"].substitute(values), pages


def _relative(path: str, directory: str) -> str:
    """A link relative to the listing page's directory, as old sites write them."""
    return path[len(directory) :] if path.startswith(directory) and len(path) > len(directory) else path


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _jsonld(article: Article, outlet: Outlet, canonical: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "dateModified": article.published.isoformat(),
        "inLanguage": "zh-CN" if article.lang == "zh" else "en",
        "articleSection": article.section,
        "author": [{"@type": "Person", "name": article.author or outlet.name}],
        "publisher": {"@type": "Organization", "name": outlet.name},
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
    }
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'
