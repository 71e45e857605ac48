"""The source list: loading, checking, and the shipped list of real sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import PROJECT_ROOT
from crawler.sources import (
    SourceListError,
    SourceSpec,
    load_sources,
    parse_sources,
    source_from_url,
    source_key,
    with_managed,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_source_list_has_thirty_real_bilingual_sources() -> None:
    sources = load_sources(PROJECT_ROOT / "config" / "sources.yaml")
    assert len(sources) >= 30
    assert {s.lang for s in sources} >= {"en", "zh"}
    kinds = {s.kind for s in sources}
    assert {"search", "sitemap", "listing"} <= kinds
    assert kinds & {"rss", "atom"}
    assert all(s.url.startswith(("http://", "https://")) for s in sources)
    queries = " ".join(s.url for s in sources)
    for query in (
        "DeepSeek",
        "Stargate",
        "%E6%B7%B1%E5%BA%A6%E6%B1%82%E7%B4%A2",
        "%E6%98%9F%E9%99%85%E4%B9%8B%E9%97%A8",
    ):
        assert query in queries


def test_a_listing_source_keeps_its_selectors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n  - name: X\n    kind: listing\n    lang: en\n    url: https://x.test/news\n"
        "    selectors: {item: 'li.story', link: 'a::attr(href)'}\n",
    )
    (source,) = load_sources(path)
    assert source.selectors == {"item": "li.story", "link": "a::attr(href)"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - name: X\n    kind: rss\n    url: ftp://x.test/feed\n", "source #1 (X): key 'url'"),
        ("  - name: X\n    kind: podcast\n    url: https://x.test/feed\n", "kind 'podcast' is not one of"),
        ("  - kind: rss\n    url: https://x.test/feed\n", "key 'name' is required"),
        ("  - name: X\n    kind: rss\n    url: https://x.test/f\n    colour: red\n", "unknown key(s) colour"),
        (
            "  - name: X\n    kind: listing\n    url: https://x.test/f\n",
            "needs selectors with 'item' and 'link'",
        ),
        (
            "  - name: X\n    kind: rss\n    url: https://x.test/f\n    interval_minutes: -5\n",
            "interval_minutes",
        ),
    ],
)
def test_bad_entries_are_named_with_file_entry_and_key(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, "sources:\n" + entry)
    with pytest.raises(SourceListError) as caught:
        load_sources(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_duplicate_urls_are_refused() -> None:
    entry = {"name": "A", "kind": "rss", "url": "https://x.test/feed"}
    with pytest.raises(SourceListError, match="already source #1"):
        parse_sources({"sources": [entry, {**entry, "name": "B"}]}, "list")


def test_disabled_sources_are_left_out() -> None:
    specs = parse_sources(
        [
            {"name": "A", "kind": "rss", "url": "https://a.test/f", "enabled": False},
            {"name": "B", "kind": "rss", "url": "https://b.test/f"},
        ],
        "list",
    )
    assert [s.name for s in specs] == ["B"]


def test_invalid_yaml_and_missing_file_say_so(tmp_path: Path) -> None:
    with pytest.raises(SourceListError, match="not valid YAML"):
        load_sources(write(tmp_path, "sources: [\n"))
    with pytest.raises(SourceListError, match="cannot be read"):
        load_sources(tmp_path / "nope.yaml")


def test_a_bare_url_becomes_an_auto_source() -> None:
    spec = source_from_url("https://example.com/feed.xml")
    assert (spec.kind, spec.name) == ("auto", "example.com")
    with pytest.raises(SourceListError):
        source_from_url("example.com/feed.xml")


def test_source_key_joins_spellings_of_one_feed_only() -> None:
    same = ["https://www.example.com/feed/", "HTTP://example.com/feed", "https://example.com:443/feed"]
    assert len({source_key(url) for url in same}) == 1
    assert source_key("https://example.com/feed?q=a&b=1") == source_key("https://example.com/feed?b=1&q=a")
    assert source_key("https://example.com/feed?q=a") != source_key("https://example.com/feed?q=b")
    assert source_key("https://example.com/feed") != source_key("https://example.com:8080/feed")


def test_added_sources_join_the_list_and_removed_ones_leave_it() -> None:
    listed = [
        SourceSpec(name="A", kind="rss", url="https://a.example/feed"),
        SourceSpec(name="B", kind="rss", url="https://b.example/feed"),
    ]
    added = [
        SourceSpec(name="C", kind="feed", url="https://c.example/feed"),
        SourceSpec(name="A again", kind="feed", url="https://www.a.example/feed/"),
    ]
    chosen = with_managed(listed, added, removed=["http://b.example/feed"])
    assert [spec.name for spec in chosen] == ["A", "C"]
