"""A crawl of a hostile web: `seedwatch crawl` of a loopback feed whose links lead where it must not go.

The crawl is allowed 127.0.0.1/32 and nothing else. Traps listen on 127.0.0.2 and [::1] (same port), a
fake DNS answers with loopback, private, link-local and unspecified addresses, and the feed also links to
local files, ftp: and data: URLs and to the misbehaving pages a crawler must survive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.config import PROJECT_ROOT
from crawler.storage import Store
from tests.fakes.hostile_site import DNS_ANSWERS, SECRET, HostileSite

pytestmark = [pytest.mark.slow]

ENV = {
    "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',
    "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "3",
    "SEEDWATCH_CRAWL__RETRY_TIMES": "0",
    "SEEDWATCH_CRAWL__DOWNLOAD_DELAY": "0",
    "SEEDWATCH_CRAWL__AUTOTHROTTLE": "false",
    "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": "16",
    "SEEDWATCH_CRAWL__MAX_PAGE_BYTES": "1000000",
    "SEEDWATCH_CRAWL__EXTRACT_PROCESSES": "0",
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One crawl of the hostile web: what it printed, stored and recorded, and what the servers saw."""
    folder = tmp_path_factory.mktemp("hostile")
    secret = folder / "secret.txt"
    secret.write_text(f"<html><body><p>{SECRET}</p></body></html>\n" * 50, encoding="utf-8")
    db = f"sqlite:///{folder / 'hostile.db'}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")}
    with HostileSite(secret) as site:
        done = subprocess.run(  # noqa: PLW1510 - the test judges the outcome
            [
                sys.executable, "-m", "tests.fakes.hostile_site", json.dumps(DNS_ANSWERS), "--",
                "crawl", "--source", f"{site.base}/feed.xml", "--source", f"{site.base}/broken.xml",
                "--db", db,
            ],
            cwd=PROJECT_ROOT,
            env={**clean, **ENV, "COLUMNS": "400"},
            capture_output=True,
            text=True,
            timeout=180,
        )  # fmt: skip
        hits = list(site.hits)
        links = site.forbidden_links()
        base, traps = site.base, site.trap_labels
    assert done.returncode == 0, done.stderr[-3000:]
    with Store(db) as store:
        run = store.runs.latest(1)[0]
        errors = {e.url: (e.reason, e.detail) for e in store.runs.errors(run.id)}
        articles = list(store.articles.export_rows())
    return {
        "out": done.stdout,
        "errors": errors,
        "articles": articles,
        "hits": hits,
        "links": links,
        "base": base,
        "traps": traps,
    }


def _target(link: str) -> str:
    """Where a link leads: the `to` of a redirect, else the link itself."""
    query = parse_qs(urlsplit(link).query)
    return query["to"][0] if "/redirect?" in link else link


def test_no_forbidden_link_is_stored_or_reaches_a_trap(crawled: dict[str, Any]) -> None:
    stored = {url for a in crawled["articles"] for url in [a["url"], a["canonical_url"]]}
    for link in crawled["links"].values():
        assert link not in stored and _target(link) not in stored
    assert not any(SECRET in (a.get("text") or "") for a in crawled["articles"])
    assert crawled["traps"], "the trap on 127.0.0.2 must be listening"
    trapped = [hit for hit in crawled["hits"] if hit[0] in crawled["traps"]]
    assert trapped == [], f"requests reached a forbidden address: {trapped}"
    forbidden_paths = {urlsplit(_target(link)).path for link in crawled["links"].values()}
    leaked = [path for _, path in crawled["hits"] if urlsplit(path).path in forbidden_paths]
    assert leaked == [], f"a forbidden link reached the allowed server: {leaked}"


def test_each_refusal_is_recorded_and_shown_with_its_reason(crawled: dict[str, Any]) -> None:
    errors = crawled["errors"]
    for name, link in crawled["links"].items():
        target = _target(link)
        found = errors.get(target) or errors.get(link)
        if found is None and target.startswith("file:"):  # feedparser may drop one slash of file:///
            found = next((e for url, e in errors.items() if url.endswith(urlsplit(target).path)), None)
        assert found is not None, f"{name}: no failure recorded for {link}"
        expected = "blocked_scheme" if target.startswith(("file:", "ftp:", "data:")) else "blocked_address"
        assert found[0] == expected, f"{name}: {found}"
    detail = errors[crawled["links"]["dns-metadata.hostile.test"]][1]
    assert "169.254.169.254" in detail and "link-local" in detail
    assert "127.0.0.2" in errors[crawled["links"]["loopback-2"]][1]
    assert "blocked_scheme" in crawled["out"] and "blocked_address" in crawled["out"]


def test_the_misbehaving_pages_fail_with_their_reason_and_the_crawl_carries_on(
    crawled: dict[str, Any],
) -> None:
    base, errors = crawled["base"], crawled["errors"]
    reasons = {urlsplit(url).path: reason for url, (reason, _) in errors.items() if url.startswith(base)}
    assert reasons["/huge"] == "too_large"
    assert reasons["/bomb"] == "too_large"
    assert reasons["/drip"] == "timeout"
    assert any(path.startswith("/loop-") and r == "redirect_loop" for path, r in reasons.items())
    assert errors[f"{base}/broken.xml"][0] == "malformed_feed"
    assert any(r == "connection_refused" for url, (r, _) in errors.items() if url.endswith("/refused"))
    stored = {urlsplit(a["url"]).path for a in crawled["articles"]}
    assert {"/good", "/bad-utf8"} <= stored
    assert "/nested" in stored or "/nested" in reasons
