"""A synthetic news site of ordinary article pages, served on 127.0.0.1 for throughput benchmarks.

`SyntheticSite(pages=2000)` builds, deterministically from a seed, a site the way a small newspaper's CMS
writes it: every article page has a header with navigation, a cookie notice, the headline, a byline and a
publication time, 5–12 paragraphs of English prose, a share bar, a "related stories" list and a footer;
a quarter of the articles are about the watched topics of the default config (so relevance and claim
matching do real work), the rest about other news. One RSS 2.0 feed lists every article, and robots.txt
allows everything. Used by `benchmarks.ingest`; nothing here is tuned on the extractor.

    with SyntheticSite(pages=2000) as site:
        feed = site.feed_url
"""

from __future__ import annotations

import html
import random
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import TracebackType

from tests.fakes.loopback import serving, static_pages

_SUBJECTS = (
    "The council",
    "The regional government",
    "A local company",
    "The university",
    "Residents",
    "The transport authority",
    "Investors",
    "The health service",
    "Farmers in the valley",
    "The port operator",
)
_VERBS = (
    "announced",
    "criticised",
    "approved",
    "postponed",
    "welcomed",
    "questioned",
    "published",
    "rejected",
    "discussed",
    "defended",
)
_OBJECTS = (
    "a new budget for road repairs",
    "plans for a second ferry terminal",
    "the results of a year-long survey",
    "a proposal to extend opening hours",
    "the cost of the new housing scheme",
    "a report on water quality",
    "the timetable for the bridge works",
    "a programme of evening classes",
    "changes to parking rules in the centre",
    "an agreement with neighbouring towns",
)
_TAILS = (
    "after months of debate.",
    "on Tuesday evening.",
    "despite objections from several members.",
    "in a statement released to the press.",
    "according to documents seen by this newspaper.",
    "at a crowded public meeting.",
    "for the second time this year.",
    "following a review by independent experts.",
)
_QUOTES = (
    "We have listened carefully and this is the best option we have",
    "Nobody asked the people who actually live here",
    "The numbers simply do not add up",
    "It is a good day for the whole community",
    "We will keep a close eye on how the money is spent",
)
# Sentences on the default config's watched topics (DeepSeek, Stargate), so that a quarter of the
# pages go through relevance, claim matching and judging as a real crawl's would.
_TOPIC_SENTENCES = (
    "DeepSeek released its R1 reasoning model as open weights under the MIT licence.",
    "The Chinese start-up DeepSeek said training its V3 model cost about 5.6 million dollars.",
    "OpenAI, SoftBank and Oracle announced the Stargate project to build data centres in the United States.",
    "The Stargate venture plans to invest up to 500 billion dollars over four years.",
    "Shares of Nvidia fell sharply after investors weighed the efficiency of DeepSeek's models.",
    "Analysts questioned whether DeepSeek's figures included the cost of earlier research.",
)
_SECTIONS = ("local", "business", "technology", "politics", "culture", "sport")


class SyntheticSite:
    """A generated news site served by a thread of this process; a context manager."""

    def __init__(self, pages: int = 2000, seed: int = 20) -> None:
        self.count = pages
        self.seed = seed
        self._serving = ExitStack()
        self.base_url = ""
        self.content: dict[str, tuple[str, bytes]] = {}

    @property
    def feed_url(self) -> str:
        """The RSS feed listing every article."""
        return f"{self.base_url}/feed.xml"

    def article_urls(self) -> list[str]:
        """Every article page's URL."""
        return [f"{self.base_url}{path}" for path in self.content if path.startswith("/news/")]

    def start(self) -> str:
        """Build the pages, start serving, return the base URL."""
        self._serving = ExitStack()
        self.base_url = self._serving.enter_context(serving(static_pages(self.content)))
        self.content.update(build_site(self.base_url, self.count, self.seed))  # read at each request
        return self.base_url

    def stop(self) -> None:
        """Stop serving."""
        self._serving.close()

    def __enter__(self) -> SyntheticSite:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def build_site(base: str, count: int, seed: int) -> dict[str, tuple[str, bytes]]:
    """Path -> (content type, body) of every page of the site."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 20, 6, 0, tzinfo=UTC)
    articles = []
    for number in range(count):
        section = _SECTIONS[number % len(_SECTIONS)]
        published = start + timedelta(minutes=37 * number)
        title = _headline(rng, on_topic=number % 4 == 0)
        path = f"/news/{section}/{published:%Y/%m/%d}/story-{number}.html"
        articles.append((path, title, published, section, number % 4 == 0))
    content: dict[str, tuple[str, bytes]] = {
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
    }
    for index, (path, title, published, section, on_topic) in enumerate(articles):
        related = [articles[(index + step) % count] for step in (1, 7, 19, 43)]
        page = _article_page(base, path, title, published, section, on_topic, related, rng)
        content[path] = ("text/html; charset=utf-8", page.encode("utf-8"))
    content["/feed.xml"] = ("application/rss+xml; charset=utf-8", _feed(base, articles).encode("utf-8"))
    return content


def _headline(rng: random.Random, on_topic: bool) -> str:
    if on_topic:
        return (
            rng.choice(
                (
                    "DeepSeek model rattles markets",
                    "What Stargate means for the region",
                    "Chip makers slide as DeepSeek gains users",
                    "Stargate data centre plans draw questions",
                )
            )
            + f" ({rng.randrange(1000)})"
        )
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"


def _paragraph(rng: random.Random, on_topic: bool) -> str:
    sentences = []
    for _ in range(rng.randint(2, 5)):
        if on_topic and rng.random() < 0.3:
            sentences.append(rng.choice(_TOPIC_SENTENCES))
        elif rng.random() < 0.15:
            sentences.append(
                f'"{rng.choice(_QUOTES)}," said {rng.choice(_SUBJECTS).lower()}\'s spokesperson.'
            )
        else:
            sentences.append(
                f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}"
            )
    return " ".join(sentences)


def _article_page(
    base: str,
    path: str,
    title: str,
    published: datetime,
    section: str,
    on_topic: bool,
    related: list[tuple[str, str, datetime, str, bool]],
    rng: random.Random,
) -> str:
    paragraphs = "\n".join(
        f"<p>{html.escape(_paragraph(rng, on_topic))}</p>" for _ in range(rng.randint(5, 12))
    )
    nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in _SECTIONS)
    links = "".join(f'<li><a href="{p}">{html.escape(t)}</a></li>' for p, t, *_rest in related)
    author = rng.choice(("Mara Lindqvist", "Tom Okafor", "Li Wei", "Ana Souza", "Peter Hall"))
    when = published.isoformat()
    safe_title = html.escape(title)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{safe_title} | The Valley Courier</title>
<link rel="canonical" href="{base}{path}">
<meta property="og:site_name" content="The Valley Courier"><meta property="og:type" content="article">
<meta property="og:title" content="{safe_title}"><meta name="author" content="{author}">
<meta property="article:published_time" content="{when}">
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js" defer></script>
</head><body>
<header class="site-header"><a class="logo" href="/">The Valley Courier</a>
<nav class="main-menu"><ul>{nav}<li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<div class="cookie-consent"><p>We use cookies to improve your experience. By continuing to browse you
agree to our cookie policy.</p><button>Accept all cookies</button></div>
<main><article class="story">
<p class="kicker"><a href="/{section}/">{section.title()}</a></p>
<h1>{safe_title}</h1>
<p class="byline">By <a rel="author" href="/authors/{author.split()[0].lower()}">{author}</a>
<time datetime="{when}">{published:%d %B %Y, %H:%M}</time></p>
<div class="story-body">
{paragraphs}
</div>
<div class="share-bar"><a href="#">Share</a> <a href="#">Tweet</a> <a href="#">Email</a></div>
</article>
<aside class="related"><h3>Related stories</h3><ul>{links}</ul></aside></main>
<footer class="site-footer"><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li></ul><p>© 2025 The Valley Courier. All rights reserved.</p>
</footer></body></html>"""


def _feed(base: str, articles: list[tuple[str, str, datetime, str, bool]]) -> str:
    items = "".join(
        f"<item><title>{html.escape(title)}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
        for path, title, published, _section, _topic in reversed(articles)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>The Valley Courier</title>'
        f"<link>{base}/</link><description>All stories</description>{items}</channel></rss>"
    )
