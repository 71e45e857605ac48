"""`seeds add URL` fetches one page through Scrapy, under the fetch policy and limits (hostile web)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from crawler.config import Settings, load_settings
from crawler.probe import probe_urls
from tests.fakes.hostile_site import SECRET, HostileSite


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSite]:
    secret = tmp_path_factory.mktemp("page") / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    with HostileSite(secret) as running:
        yield running


@pytest.fixture
def policy(tmp_path: Path) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "database_url": f"sqlite:///{tmp_path / 't.db'}",
            "crawl": {
                "allowed_networks": ["127.0.0.1/32"],
                "download_timeout": 1.5,
                "max_page_bytes": 1_000_000,
            },
        },
    )


def test_an_allowed_page_is_fetched_as_text(site: HostileSite, policy: Settings) -> None:
    (page,) = probe_urls(policy, [f"{site.base}/good"], keep_text=True)
    assert page.ok and page.content_type == "text/html" and "harbour budget" in page.text


def test_refusals_and_limits_give_their_reason_and_send_nothing(site: HostileSite, policy: Settings) -> None:
    links = site.forbidden_links()
    expected = {
        links[name]: "blocked_scheme" for name in ("file", "file-localhost", "ftp", "data", "redirect-file")
    }
    for name in ("loopback-2", "ipv6-loopback", "localhost", "mapped", "redirect-127.0.0.2", "redirect-ipv6"):
        expected[links[name]] = "blocked_address"
    expected[f"{site.base}/huge"] = "too_large"
    expected[f"{site.base}/bomb"] = "too_large"  # 64 KB on the wire, 64 MB inflated
    # One byte every 0.1 s: every read is quick, so only a limit on the whole fetch stops it.
    expected[f"{site.base}/drip"] = "timeout"
    expected[f"http://127.0.0.1:{site.closed_port()}/"] = "connection_refused"
    probes = probe_urls(policy, list(expected), keep_text=True)
    assert {p.url: p.reason for p in probes} == expected
    assert not any(p.ok or p.text for p in probes)
    assert [hit for hit in site.hits if hit[0] in site.trap_labels] == []


def test_seeds_add_refuses_with_the_reason_and_writes_nothing(site: HostileSite, tmp_path: Path) -> None:
    config = tmp_path / "test.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "t.db"}"\nseeds_dir = "{tmp_path / "seeds"}"\n'
        '[crawl]\nallowed_networks = ["127.0.0.1/32"]\ndownload_timeout = 1.5\n',
        encoding="utf-8",
    )
    for url, reason in (
        (site.forbidden_links()["redirect-metadata"], "blocked_address"),
        (f"{site.base}/drip", "timeout"),
        (f"{site.base}/loop-a", "redirect"),
    ):
        result = CliRunner().invoke(main, ["seeds", "add", url, "--config", str(config)])
        assert result.exit_code == 1 and reason in result.output and "Traceback" not in result.output
    assert not (tmp_path / "seeds").exists()
