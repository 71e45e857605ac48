"""`seedwatch sources add|remove|import|export` against feeds served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from bot.cli import main
from crawler.opml import parse_opml
from crawler.storage import Store
from tests.fakes.loopback import Pages, serving

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Wire</title>
<item><title>DeepSeek R1</title><link>http://127.0.0.1/a1</link></item></channel></rss>"""
PAGE = b"<html><head><title>An article</title></head><body><p>Text.</p></body></html>"


class Handler(Pages):
    def do_GET(self) -> None:
        routes = {
            "/feed.xml": (FEED, "application/rss+xml"),
            "/other.xml": (FEED, "application/rss+xml"),
            "/page.html": (PAGE, "text/html"),
        }
        if self.path not in routes:
            self.send_error(404)
            return
        self.send_page(*routes[self.path])


@pytest.fixture
def site() -> Iterator[str]:
    with serving(Handler) as base_url:
        yield base_url


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    listed = tmp_path / "sources.yaml"
    listed.write_text(
        yaml.safe_dump(
            {"sources": [{"name": "Listed", "kind": "rss", "url": "https://listed.example/feed"}]}
        ),
        encoding="utf-8",
    )
    return {
        "SEEDWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SEEDWATCH_SOURCES_FILE": str(listed),
        "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "5",
        "SEEDWATCH_CRAWL__RETRY_TIMES": "0",
        "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["sources", *args], env=env, catch_exceptions=False)


def urls_in_export(env: dict[str, str]) -> set[str]:
    result = run(env, "export")
    assert result.exit_code == 0, result.output
    return {spec.url for spec in parse_opml(result.stdout_bytes)}


def test_add_fetches_the_feed_names_it_and_refuses_a_second_spelling(env: dict[str, str], site: str) -> None:
    added = run(env, "add", f"{site}/feed.xml", "--tag", "wires")
    assert added.exit_code == 0, added.output
    assert "1 added" in added.output
    store = Store(env["SEEDWATCH_DATABASE_URL"])
    try:
        row = store.sources.get(f"{site}/feed.xml")
        assert row is not None and row.name == "Loopback Wire" and row.kind == "feed"
    finally:
        store.close()
    again = run(env, "add", f"{site.replace('http://', 'HTTP://')}/feed.xml/")
    assert "already a source (Loopback Wire)" in again.output
    assert "0 added" in again.output
    assert urls_in_export(env) == {"https://listed.example/feed", f"{site}/feed.xml"}


def test_a_dead_source_is_reported_and_not_added(env: dict[str, str], site: str) -> None:
    result = run(env, "add", f"{site}/missing.xml")
    assert result.exit_code == 1
    assert "not_found" in result.output and "0 added" in result.output
    assert f"{site}/missing.xml" not in urls_in_export(env)


def test_only_web_urls_are_accepted(env: dict[str, str]) -> None:
    result = run(env, "add", "file:///etc/passwd")
    assert result.exit_code == 2
    assert "not an absolute http(s) URL" in result.output


def test_remove_a_listed_source_keeps_it_out_of_the_crawl(env: dict[str, str]) -> None:
    removed = run(env, "remove", "https://listed.example/feed")
    assert removed.exit_code == 0, removed.output
    assert urls_in_export(env) == set()
    missing = run(env, "remove", "https://listed.example/feed")
    assert missing.exit_code == 1 and "is not a source" in missing.output


def test_import_checks_each_feed_and_export_gives_them_back(
    env: dict[str, str], site: str, tmp_path: Path
) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?><opml version="1.0"><head><title>x</title></head><body>
        <outline text="AI" title="AI">
          <outline type="rss" text="Wire" title="Wire" xmlUrl="{site}/feed.xml"/>
          <outline type="rss" text="Other" title="Other" xmlUrl="{site}/other.xml"/>
          <outline type="rss" text="Gone" title="Gone" xmlUrl="{site}/gone.xml"/>
        </outline>
        <outline type="rss" text="Listed again" title="Listed again" xmlUrl="https://listed.example/feed"/>
        </body></opml>""",
        encoding="utf-8",
    )
    result = run(env, "import", str(opml))
    assert result.exit_code == 0, result.output
    assert "2 added, 1 already there, 1 refused" in result.output
    exported = run(env, "export").stdout_bytes
    specs = {spec.url: spec for spec in parse_opml(exported)}
    assert set(specs) == {"https://listed.example/feed", f"{site}/feed.xml", f"{site}/other.xml"}
    assert specs[f"{site}/other.xml"].tags == ["AI"]
    # The exported file imports into another database as the same feeds.
    target = tmp_path / "out.opml"
    assert run(env, "export", str(target)).exit_code == 0
    assert {spec.url for spec in parse_opml(target.read_bytes())} == set(specs)


def test_export_into_a_missing_folder_is_refused_before_anything_else(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run(env, "export", str(tmp_path / "nowhere" / "x.opml"))
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize("url", ["http://10.0.0.1/feed.xml", "http://169.254.169.254/latest/meta-data/"])
def test_addresses_the_fetch_policy_refuses_are_not_added(env: dict[str, str], url: str) -> None:
    result = run(env, "add", url)
    assert result.exit_code == 1
    assert "blocked_address" in result.output and "0 added" in result.output
