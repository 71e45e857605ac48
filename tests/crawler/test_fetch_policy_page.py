"""`seeds add URL` fetches one page under the crawl's fetch policy and limits (tried on the hostile web)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from crawler.fetch_page import FetchError, FetchLimits, fetch_page
from crawler.fetch_policy import AddressGuard
from tests.fakes.hostile_site import SECRET, HostileSite

GUARD = AddressGuard(["127.0.0.1/32"])
LIMITS = FetchLimits(max_bytes=1_000_000, timeout=1.5, user_agent="seedwatch-test")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSite]:
    secret = tmp_path_factory.mktemp("page") / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    with HostileSite(secret) as running:
        yield running


def _reason(url: str) -> str:
    with pytest.raises(FetchError) as failed:
        fetch_page(url, GUARD, LIMITS)
    return failed.value.reason


def test_an_allowed_page_is_fetched(site: HostileSite) -> None:
    page = fetch_page(f"{site.base}/good", GUARD, LIMITS)
    assert b"harbour budget" in page.body and page.content_type == "text/html" and page.charset == "utf-8"


def test_refused_schemes_addresses_and_redirects_send_nothing(site: HostileSite) -> None:
    links = site.forbidden_links()
    for name in ("file", "file-localhost", "ftp", "data", "redirect-file"):
        assert _reason(links[name]) == "blocked_scheme", name
    for name in ("loopback-2", "ipv6-loopback", "localhost", "mapped", "redirect-127.0.0.2", "redirect-ipv6"):
        assert _reason(links[name]) == "blocked_address", name
    assert [hit for hit in site.hits if hit[0] in site.trap_labels] == []


def test_every_download_is_capped_in_bytes_after_decompression_and_in_total_time(site: HostileSite) -> None:
    assert _reason(f"{site.base}/huge") == "too_large"
    assert _reason(f"{site.base}/bomb") == "too_large"  # 64 KB on the wire, 64 MB inflated
    # One byte every 0.1 s: every read is quick, so only a limit on the whole fetch stops it.
    assert _reason(f"{site.base}/drip") == "timeout"
    assert _reason(f"{site.base}/loop-a") == "redirect_loop"
    assert _reason(f"http://127.0.0.1:{site.closed_port()}/") == "connection_refused"


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
    ):
        result = CliRunner().invoke(main, ["seeds", "add", url, "--config", str(config)])
        assert result.exit_code == 1 and reason in result.output and "Traceback" not in result.output
    assert not (tmp_path / "seeds").exists()
