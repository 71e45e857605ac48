"""Canonical URLs: one key per article whatever variant led to it."""

from __future__ import annotations

import pytest

from crawler.judge.canonical import canonical_url, link_url, same_site, url_variants


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.example.com/news/a.html?utm_source=rss&utm_medium=feed",
            "https://example.com/news/a.html",
        ),
        ("https://example.com/news/a.html#comments", "https://example.com/news/a.html"),
        ("https://m.example.com/news/a.html", "https://example.com/news/a.html"),
        ("https://amp.example.com/news/a.html", "https://example.com/news/a.html"),
        ("https://example.com/amp/news/a.html", "https://example.com/news/a.html"),
        ("https://example.com/news/a.amp.html", "https://example.com/news/a.html"),
        ("https://example.com/news/a/amp/", "https://example.com/news/a/"),
        ("https://example.com/news/a?outputType=amp", "https://example.com/news/a"),
        ("https://example.com/news/a?amp=1&id=7", "https://example.com/news/a?id=7"),
        ("https://example.com/a?b=2&a=1&fbclid=xyz&gclid=1", "https://example.com/a?a=1&b=2"),
        ("HTTPS://Example.COM:443/a", "https://example.com/a"),
        ("http://127.0.0.1:8080/x/y?utm_campaign=z", "http://127.0.0.1:8080/x/y"),
        # A link builder's "?" where "&" belonged; a "?" inside a real value stays part of it.
        ("https://example.com/a?id=5?utm_source=tw&b=1", "https://example.com/a?b=1&id=5"),
        ("https://example.com/a?next=/b?c=1", "https://example.com/a?next=%2Fb%3Fc%3D1"),
    ],
)
def test_variants_share_one_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_content_parameters_are_kept() -> None:
    assert (
        canonical_url("https://example.com/article.php?id=42&page=2")
        == "https://example.com/article.php?id=42&page=2"
    )


def test_declared_canonical_on_the_same_site_wins() -> None:
    assert (
        canonical_url("https://example.com/amp/story-1", "/news/story-1")
        == "https://example.com/news/story-1"
    )
    assert (
        canonical_url("https://m.example.com/s?id=1", "https://www.example.com/story/1")
        == "https://example.com/story/1"
    )


def test_declared_canonical_on_another_site_is_not_trusted() -> None:
    # A syndicated copy pointing at the original is a content duplicate, not the same URL.
    assert (
        canonical_url("https://aggregator.test/copy/9", "https://original.test/story")
        == "https://aggregator.test/copy/9"
    )


def test_bad_declared_canonical_is_ignored() -> None:
    assert canonical_url("https://example.com/a", "javascript:void(0)") == "https://example.com/a"


def test_same_site_ignores_www_and_mobile_hosts() -> None:
    assert same_site("https://www.example.com/a", "http://m.example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")


def test_url_variants_lists_the_fetched_and_canonical_forms() -> None:
    assert url_variants("https://example.com/a?utm_source=x") == [
        "https://example.com/a?utm_source=x",
        "https://example.com/a",
    ]


def test_links_shown_to_people_keep_host_and_path_but_lose_tracking() -> None:
    assert (
        link_url("https://www.x.test/amp/a?id=3&utm_source=rss&fbclid=9#top")
        == "https://www.x.test/amp/a?id=3"
    )
