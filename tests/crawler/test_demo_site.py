"""The offline demo web (`crawler.demo.DemoSite`): feeds, listings, encodings, broken cases, ground truth."""

from __future__ import annotations

import html
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

import feedparser
import pytest
import yaml
from parsel import Selector

from crawler.config import PROJECT_ROOT
from crawler.demo import DemoSite, load_corpus
from crawler.demo.corpus import CLAIM_IDS, STORY_KEYS

OVERSIZE = 256 * 1024
ARTICLES_DIR = PROJECT_ROOT / "crawler" / "demo" / "corpus" / "articles"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_plain = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, Any, bytes]:
    """Status, headers and body of one GET, without following redirects."""
    try:
        with _plain.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    """One demo web for the module (slow page 30 s, huge page 256 KiB)."""
    with DemoSite(slow_delay=30.0, oversize_bytes=OVERSIZE) as running:
        yield running


@pytest.fixture(scope="module")
def truth(site: DemoSite) -> dict[str, Any]:
    """The site's expectations()."""
    return site.expectations()


def source(site: DemoSite, kind: str, name: str = "") -> dict[str, Any]:
    """The first source of this kind (whose name contains `name`)."""
    return next(s for s in site.sources() if s["kind"] == kind and name in s["name"])


def resolve(truth: dict[str, Any], link: str) -> str:
    """The article URL a feed link stands for (AMP, tracking and redirect variants resolved)."""
    return str(truth["variants"].get(link, link))


def expected_links(truth: dict[str, Any], source_url: str, outlet_path: str) -> set[str]:
    """The articles and broken pages a source should lead to."""
    broken = {u for u in truth["broken"] if f"/{outlet_path}/" in u and u != source_url}
    return set(truth["listed_in"][source_url]) | broken


# -- the server ----------------------------------------------------------------------------------------


def test_starts_on_a_free_port_and_serves_many_requests_at_once(
    site: DemoSite, truth: dict[str, Any]
) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
    with DemoSite() as other:
        assert other.base_url != site.base_url
    urls = [s["url"] for s in site.sources() if truth["broken"].get(s["url"]) != "connection_refused"]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda u: fetch(u)[0], urls * 3))
    assert statuses and set(statuses) == {200}


def test_the_slow_page_does_not_hold_up_other_requests(site: DemoSite, truth: dict[str, Any]) -> None:
    slow = next(u for u, r in truth["broken"].items() if r == "timeout")
    outcome: list[str] = []

    def slow_get() -> None:
        try:
            fetch(slow, timeout=20)
            outcome.append("answered")
        except (TimeoutError, urllib.error.URLError, OSError):
            outcome.append("timed out")

    waiting = threading.Thread(target=slow_get, daemon=True)
    waiting.start()
    status, _, _ = fetch(source(site, "rss", "TechWire")["url"])
    assert status == 200
    assert waiting.is_alive(), "the slow page answered before its delay"


def test_stop_releases_the_port() -> None:
    demo = DemoSite(slow_delay=30.0)
    base_url = demo.start()
    demo.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(base_url + "/robots.txt", timeout=2)
    with pytest.raises(RuntimeError, match="start"):
        demo.sources()


# -- feeds, sitemaps, listings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "outlet_path"),
    [("rss", "TechWire", "techwire"), ("rss", "Pacific", "pacificwire"), ("atom", "Ledger", "ledger"),
     ("rss", "数字前沿", "shuzi"), ("atom", "财经", "caijing"), ("rss", "华夏", "huaxia")],
)  # fmt: skip
def test_rss_and_atom_feeds_list_the_outlets_articles(
    site: DemoSite, truth: dict[str, Any], kind: str, name: str, outlet_path: str
) -> None:
    src = source(site, kind, name)
    status, _, body = fetch(src["url"])
    assert status == 200
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version.startswith(kind)
    links = {resolve(truth, entry.link) for entry in parsed.entries}
    assert links == expected_links(truth, src["url"], outlet_path)
    assert all(entry.get("published_parsed") for entry in parsed.entries)


def test_json_feed_has_amp_tracking_and_fragment_links_to_the_expected_articles(
    site: DemoSite, truth: dict[str, Any]
) -> None:
    src = source(site, "json")
    feed = json.loads(fetch(src["url"])[2])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    links = [item["url"] for item in feed["items"]]
    assert {resolve(truth, link) for link in links} == expected_links(truth, src["url"], "siliconpost")
    assert any("/amp/" in link for link in links)
    assert any("utm_source=" in link for link in links)
    assert any("#" in link for link in links)
    amp = next(link for link in links if "/amp/" in link)
    page = Selector(text=fetch(amp)[2].decode())
    assert page.css("link[rel=canonical]::attr(href)").get() == truth["variants"][amp]


def test_news_sitemap_and_atom_list_the_same_ledger_articles(site: DemoSite, truth: dict[str, Any]) -> None:
    sitemap = source(site, "sitemap", "Ledger")
    tree = ElementTree.fromstring(fetch(sitemap["url"])[2])
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "n": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    locs = [url.findtext("s:loc", namespaces=ns) for url in tree.findall("s:url", ns)]
    assert all(url.find("n:news/n:publication_date", ns) is not None for url in tree.findall("s:url", ns))
    assert set(locs) == set(truth["listed_in"][sitemap["url"]])
    atom = feedparser.parse(fetch(source(site, "atom", "Ledger")["url"])[2])
    assert set(locs) <= {entry.link for entry in atom.entries}


@pytest.mark.parametrize(("name", "outlet_path"), [("MarketPulse", "marketpulse"), ("AI研究社", "aiyanjiu")])
def test_listing_selectors_with_pagination_reach_every_article(
    site: DemoSite, truth: dict[str, Any], name: str, outlet_path: str
) -> None:
    src = source(site, "listing", name)
    selectors = src["options"]["selectors"]
    assert set(selectors) <= {"item", "link", "title", "date", "next"}
    url: str | None = src["url"]
    found: list[str] = []
    pages = 0
    while url:
        page = Selector(text=fetch(url)[2].decode("utf-8"))
        for item in page.css(selectors["item"]):
            found.append(urljoin(url, item.css(selectors["link"]).get()))
            assert item.css(selectors["title"]).get()
            assert item.css(selectors["date"]).get()
        nxt = page.css(selectors["next"]).get()
        url = urljoin(url, nxt) if nxt else None
        pages += 1
    assert pages >= 2
    assert set(found) == expected_links(truth, src["url"], outlet_path)


def test_news_search_links_redirect_to_articles_of_every_outlet(
    site: DemoSite, truth: dict[str, Any]
) -> None:
    parsed = feedparser.parse(fetch(source(site, "search", "DeepSeek")["url"])[2])
    assert len(parsed.entries) >= 40
    outlets = set()
    for entry in parsed.entries[:60]:
        assert "/search/r?url=" in entry.link
        status, headers, _ = fetch(entry.link)
        assert status == 302
        assert headers["Location"] == truth["variants"][entry.link]
        outlets.add(truth["articles"][headers["Location"]]["outlet"])
    assert len(outlets) >= 5


def test_conditional_get_answers_304(site: DemoSite) -> None:
    for src in (source(site, "rss", "TechWire"), source(site, "sitemap", "Ledger"), source(site, "json")):
        status, headers, _ = fetch(src["url"])
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        assert fetch(src["url"], {"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(src["url"], {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        old = format_datetime(datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)
        assert fetch(src["url"], {"If-Modified-Since": old})[0] == 200
        assert fetch(src["url"], {"If-None-Match": '"something-else"'})[0] == 200


# -- encodings ------------------------------------------------------------------------------------------


def test_gbk_outlet_pages_and_feed_decode_as_gbk(site: DemoSite, truth: dict[str, Any]) -> None:
    gbk = {url: enc for url, enc in truth["encodings"].items() if enc["charset"] == "gbk"}
    pages = [url for url in gbk if url in truth["articles"]]
    if not pages:
        pytest.skip("no huaxia articles in the corpus yet")
    feed_url = source(site, "rss", "华夏")["url"]
    status, headers, body = fetch(feed_url)
    assert status == 200 and "GBK" in headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert body.decode("gbk").startswith('<?xml version="1.0" encoding="GBK"?>')
    titles = {entry.title for entry in feedparser.parse(body).entries}
    assert {truth["articles"][url]["title"] for url in pages} <= titles
    for url in pages[:5]:
        _, headers, body = fetch(url)
        text = body.decode("gbk")
        assert html.escape(truth["articles"][url]["title"]) in html.unescape(text).replace("'", "&#x27;")
        declared = headers["Content-Type"]
        if gbk[url]["declared"] == "meta":
            assert "charset" not in declared
        else:
            assert declared.endswith("charset=GBK")
        assert re.search(r'<meta http-equiv="Content-Type" content="text/html; charset=gbk"', text)
    assert sum(enc["declared"] == "meta" for enc in gbk.values()) == 1


# -- broken cases ---------------------------------------------------------------------------------------


def by_reason(truth: dict[str, Any], reason: str) -> str:
    """The URL of the broken case with this reason."""
    return str(next(url for url, r in truth["broken"].items() if r == reason))


def test_broken_http_answers(site: DemoSite, truth: dict[str, Any]) -> None:
    assert fetch(by_reason(truth, "not_found"))[0] == 404
    assert fetch(by_reason(truth, "server_error"))[0] == 500
    status, headers, body = fetch(by_reason(truth, "not_html"))
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    xref = int(body.rsplit(b"startxref", 1)[1].split()[0])
    assert body[xref : xref + 4] == b"xref"


def test_redirect_loop_bounces_between_two_urls(truth: dict[str, Any]) -> None:
    start = by_reason(truth, "redirect_loop")
    status, headers, _ = fetch(start)
    assert status == 302
    partner = urljoin(start, headers["Location"])
    assert partner != start
    status, headers, _ = fetch(partner)
    assert status == 302 and urljoin(partner, headers["Location"]) == start


def test_oversized_page_streams_past_the_limit_without_content_length(truth: dict[str, Any]) -> None:
    status, headers, body = fetch(by_reason(truth, "too_large"))
    assert status == 200 and "Content-Length" not in headers
    assert len(body) > OVERSIZE


def test_slow_page_outlasts_a_client_timeout(truth: dict[str, Any]) -> None:
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(by_reason(truth, "timeout"), timeout=0.5)


def test_malformed_feed_and_dead_site(truth: dict[str, Any]) -> None:
    parsed = feedparser.parse(fetch(by_reason(truth, "malformed_feed"))[2])
    assert parsed.bozo
    assert not [entry for entry in parsed.entries if entry.get("link")]
    dead = by_reason(truth, "connection_refused")
    host, port = dead.split("/")[2].split(":")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2).close()


def test_robots_txt_disallows_a_page_a_feed_links_to(site: DemoSite, truth: dict[str, Any]) -> None:
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(site.base_url + "/robots.txt")[2].decode().splitlines())
    blocked = by_reason(truth, "robots")
    assert not robots.can_fetch("seedwatch", blocked)
    assert all(robots.can_fetch("seedwatch", url) for url in truth["articles"])
    atom = feedparser.parse(fetch(source(site, "atom", "Ledger")["url"])[2])
    assert blocked in {entry.link for entry in atom.entries}


def test_every_broken_page_is_reachable_from_a_source(site: DemoSite, truth: dict[str, Any]) -> None:
    source_urls = {s["url"] for s in site.sources()}
    listed: set[str] = set()
    for src in site.sources():
        if src["kind"] in ("rss", "atom") and src["url"] not in truth["broken"]:
            listed |= {e.link for e in feedparser.parse(fetch(src["url"])[2]).entries}
        elif src["kind"] == "json":
            listed |= {i["url"] for i in json.loads(fetch(src["url"])[2])["items"]}
        elif src["kind"] == "listing":
            pages = fetch(src["url"])[2].decode() + fetch(src["url"] + "?page=2")[2].decode()
            listed |= {urljoin(src["url"], h) for h in Selector(text=pages).css("a::attr(href)").getall()}
    for url in truth["broken"]:
        assert url in listed or url in source_urls, url


# -- pages and ground truth -----------------------------------------------------------------------------


BODY = {
    "techwire": ".tw-body",
    "ledger": ".gbl-article-body",
    "pacificwire": ".pnw-text",
    "siliconpost": ".sp-content",
}


def body_words(page: bytes, outlet: str) -> list[str]:
    """The words of an article page's body container."""
    return " ".join(Selector(text=page.decode()).css(f"{BODY[outlet]} ::text").getall()).split()


def test_pages_declare_the_expected_canonical_and_exact_copies_carry_the_original_text(
    truth: dict[str, Any],
) -> None:
    copies = 0
    for url, article in truth["articles"].items():
        if article["outlet"] not in BODY:
            continue
        page = fetch(url)[2]
        selector = Selector(text=page.decode())
        assert selector.css("link[rel=canonical]::attr(href)").get() == article["canonical"]
        assert selector.css("h1::text").get() == article["title"]
        if article["copy_kind"] == "exact":
            original = truth["articles"][article["copy_of"]]
            assert body_words(page, article["outlet"]) == body_words(
                fetch(article["copy_of"])[2], original["outlet"]
            )
            copies += 1
    assert copies >= 4


def test_unrelated_pages_list_topical_headlines_only_in_their_chrome(truth: dict[str, Any]) -> None:
    corpus = load_corpus()
    checked = 0
    for url, article in truth["articles"].items():
        if article["relevant"] or article["lang"] != "en":
            continue
        page = fetch(url)[2].decode()
        body = corpus.articles[article["id"]].body
        chrome = " ".join(Selector(text=page).css("aside, nav, .pnw-also, td[bgcolor]").getall())
        assert "DeepSeek" in chrome, url
        assert body.count("DeepSeek") <= 1, url
        checked += 1
    assert checked >= 10


def test_each_outlet_has_its_own_template(truth: dict[str, Any]) -> None:
    skeletons: dict[str, frozenset[str]] = {}
    for url, article in truth["articles"].items():
        if article["outlet"] not in skeletons:
            page = fetch(url)[2].decode(truth["encodings"].get(url, {}).get("charset", "utf-8"))
            skeletons[article["outlet"]] = frozenset(re.findall(r'class="([^"]+)"', page))
    assert len(skeletons) >= 8
    assert len(set(skeletons.values())) == len(skeletons)


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return dict(yaml.safe_load(text.split("---", 2)[1]))


def test_ground_truth_is_consistent_with_the_files(
    truth: dict[str, Any], shared_corpus_ids: set[str]
) -> None:
    articles = truth["articles"]
    assert len(articles) == len(list(ARTICLES_DIR.glob("*/*.md")))
    for url, article in articles.items():
        assert article["copy_of"] is None or article["copy_of"] in articles, url
        assert set(article["claims"]) <= shared_corpus_ids
        assert set(article["claims"].values()) <= {"supports", "disputes", "mentions"}
        assert article["story"] is None or article["story"] in STORY_KEYS
        assert article["relevant"] == bool(article["topics"]), url


@pytest.fixture
def shared_corpus_ids() -> set[str]:
    """The 22 seed claim ids, read from ../shared when it is there."""
    path = PROJECT_ROOT.parent / "shared" / "seeds" / "claims-reference.yaml"
    if path.is_file():
        ids = {c["id"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["claims"]}
        assert ids == set(CLAIM_IDS)
        return ids
    return set(CLAIM_IDS)


def test_english_corpus_meets_the_brief() -> None:
    pages = [_front_matter(p) for p in sorted((ARTICLES_DIR / "en").glob("*.md"))]
    assert len(pages) >= 50
    relevant = [p for p in pages if p["relevant"] and p["topics"]]
    assert len(relevant) >= 40
    assert sum(not p["relevant"] for p in pages) >= 10
    exact = [
        p for p in pages if p.get("copy_kind") == "exact" and str(p["copy_of"]).startswith("pacificwire-")
    ]
    assert len(exact) >= 4 and {p["outlet"] for p in exact} <= {"techwire", "ledger"}
    assert {bool(p.get("canonical_to_original")) for p in exact} == {True, False}
    assert sum(p.get("copy_kind") == "edited" for p in pages) >= 3
    stances: dict[str, set[str]] = defaultdict(set)
    for page in pages:
        for claim, stance in (page.get("claims") or {}).items():
            stances[claim].add(stance)
    contested = [c for c, s in stances.items() if {"supports", "disputes"} <= s]
    assert len(contested) >= 8, contested


def test_every_story_has_several_outlets() -> None:
    outlets: dict[str, set[str]] = defaultdict(set)
    for article in load_corpus().articles.values():
        if article.story:
            outlets[article.story].add(article.outlet)
    assert set(outlets) == set(STORY_KEYS)
    assert all(len(o) >= 2 for o in outlets.values()), {k: v for k, v in outlets.items() if len(v) < 2}


def test_whole_corpus_has_at_least_80_relevant_articles() -> None:
    zh_files = list((ARTICLES_DIR / "zh").glob("*.md"))
    if len(zh_files) < 30:
        pytest.skip(f"the Chinese articles are not all in yet ({len(zh_files)} of at least 30 files)")
    counts = Counter(a.relevant for a in load_corpus().articles.values())
    assert counts[True] >= 80


def test_module_entry_point_serves_and_prints_the_sources() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        base_url = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert base_url, first
        lines = [process.stdout.readline() for _ in range(5)]
        assert any("/techwire/feed.xml" in line for line in lines)
        assert fetch(base_url.group(0) + "/robots.txt")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
