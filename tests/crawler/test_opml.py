"""OPML as feed readers write it: folders become tags, a round trip keeps every feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.opml import parse_opml, write_opml
from crawler.sources import SourceListError, SourceSpec

FIXTURES = Path(__file__).parent.parent / "fixtures" / "opml"


def by_url(specs: list[SourceSpec]) -> dict[str, SourceSpec]:
    return {spec.url: spec for spec in specs}


def test_feedly_export_folders_become_tags_and_repeats_are_one_source() -> None:
    specs = by_url(parse_opml((FIXTURES / "feedly.opml").read_bytes()))
    assert len(specs) == 4  # TechCrunch stands in two folders: one source
    assert specs["https://techcrunch.com/feed/"].tags == ["AI"]
    assert specs["https://36kr.com/feed"].name == "36氪"
    assert specs["https://36kr.com/feed"].tags == ["中文科技"]
    assert specs["https://36kr.com/feed"].options["site"] == "https://36kr.com"
    assert {spec.kind for spec in specs.values()} == {"rss"}


def test_netnewswire_export_mixes_top_level_feeds_and_folders() -> None:
    specs = by_url(parse_opml((FIXTURES / "netnewswire.opml").read_bytes()))
    assert set(specs) == {
        "https://feeds.arstechnica.com/arstechnica/index",
        "https://www.semianalysis.com/feed",
        "https://chipsandcheese.com/feed/",
        "https://daringfireball.net/feeds/main",
    }
    assert specs["https://chipsandcheese.com/feed/"].name == "Chips & Cheese"
    assert specs["https://chipsandcheese.com/feed/"].tags == ["Semiconductors"]
    assert specs["https://feeds.arstechnica.com/arstechnica/index"].tags == []


def test_opml2_categories_add_tags_and_unusable_outlines_are_skipped() -> None:
    specs = by_url(parse_opml((FIXTURES / "miniflux.opml").read_bytes()))
    assert set(specs) == {
        "https://hnrss.org/newest?q=DeepSeek&points=20",
        "https://simonwillison.net/atom/everything/",
    }
    assert specs["https://simonwillison.net/atom/everything/"].tags == ["All", "AI", "LLMs", "Blogs"]


@pytest.mark.parametrize("name", ["feedly.opml", "netnewswire.opml", "miniflux.opml"])
def test_round_trip_keeps_every_feed_its_name_and_tags(name: str) -> None:
    first = parse_opml((FIXTURES / name).read_bytes())
    again = parse_opml(write_opml(first))
    assert [(s.url, s.name, s.tags, s.lang) for s in sorted(again, key=lambda s: s.url)] == [
        (s.url, s.name, s.tags, s.lang) for s in sorted(first, key=lambda s: s.url)
    ]


def test_round_trip_keeps_kinds_that_are_not_feeds() -> None:
    specs = [
        SourceSpec(name="Sitemap", kind="sitemap", url="https://example.com/news-sitemap.xml", lang="en"),
        SourceSpec(
            name="Listing", kind="listing", url="https://example.com/tech/", options={"tags": ["a", "b"]}
        ),
    ]
    again = by_url(parse_opml(write_opml(specs)))
    assert again["https://example.com/news-sitemap.xml"].kind == "sitemap"
    assert again["https://example.com/news-sitemap.xml"].lang == "en"
    assert again["https://example.com/tech/"].tags == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<opml><body><outline", "not well-formed"),
        (b"<rss version='2.0'><channel/></rss>", "not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (
            b"<opml version='2.0'><body><outline text='x' xmlUrl='ftp://a/b'/></body></opml>",
            "no feed outline",
        ),
    ],
)
def test_unusable_files_say_why(data: bytes, message: str) -> None:
    with pytest.raises(SourceListError, match=message):
        parse_opml(data, "feeds.opml")


def test_entities_are_not_expanded_from_local_files() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<opml version="2.0"><body><outline text="&x;" xmlUrl="https://example.com/feed"/></body></opml>'
    )
    with pytest.raises(SourceListError, match="external entity"):
        parse_opml(hostile)
