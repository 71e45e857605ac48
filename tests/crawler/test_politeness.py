"""Per-host politeness: never more requests in flight to one host than `crawl.concurrent_per_domain`, in one
crawl process with no download delay, and across a producer and a worker sharing one Redis frontier."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from crawler.storage import Store
from tests.crawler.test_frontier_kills import article_html, feed_xml
from tests.demo_crawl import MECHANICS
from tests.fakes.loopback import Pages, serving

# Its own group: these crawls may run beside the demo crawls (one group per worker keeps the suite short).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("politeness")]

ARTICLES = 60
PER_DOMAIN = 2


class Watched(Pages):
    """A news site that counts the requests in flight per host name it is reached under."""

    page_seconds = 0.5  # long enough for two processes' requests to overlap if nothing stops them
    lock = threading.Lock()
    active: ClassVar[Counter[str]] = Counter()
    peak: ClassVar[Counter[str]] = Counter()
    served: ClassVar[Counter[str]] = Counter()
    in_flight = False  # this request counts in `active`

    def do_GET(self) -> None:
        host = self.headers["Host"].split(":")[0]
        with self.lock:
            self.active[host] += 1
            self.served[host] += 1
            self.peak[host] = max(self.peak[host], self.active[host])
        self.in_flight = True
        try:
            self.answer()
        finally:
            self.served_out()

    def served_out(self) -> None:
        """The request is no longer in flight. Called before its response is sent: once the client has the
        response it may send its next request at once, before this thread runs again (a request of another
        process then looked like a third one in flight to a host limited to two)."""
        if self.in_flight:
            self.in_flight = False
            with self.lock:
                self.active[self.headers["Host"].split(":")[0]] -= 1

    def answer(self) -> None:
        base = f"http://{self.headers['Host']}"
        if self.path == "/feed.xml":
            self.served_out()
            self.send_page(feed_xml(base, ARTICLES), "application/rss+xml")
        elif self.path.startswith("/news/"):
            time.sleep(self.page_seconds)
            self.served_out()
            self.send_page(article_html(int(self.path.split("/")[-1].split(".")[0])), "text/html")
        else:
            self.served_out()
            self.send_error(404)


@pytest.fixture
def site() -> Iterator[str]:
    Watched.active.clear()
    Watched.peak.clear()
    Watched.served.clear()
    Watched.page_seconds = 0.5
    with serving(Watched) as base_url:
        yield base_url


def news_sources(site: str, tmp_path: Path) -> Path:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {"sources": [{"name": "News", "kind": "rss", "lang": "en", "url": f"{site}/feed.xml"}]}
        ),
        encoding="utf-8",
    )
    return sources


def test_one_process_keeps_the_per_host_limit_with_no_delay(site: str, tmp_path: Path) -> None:
    # MECHANICS has no download delay: Scrapy alone then sends every request queued for a host at once.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
        **MECHANICS,
        "SEEDWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'news.db'}",
        "SEEDWATCH_SOURCES_FILE": str(news_sources(site, tmp_path)),
        "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": str(PER_DOMAIN),
        "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "20",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "crawl"],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert Watched.served["127.0.0.1"] > ARTICLES
    assert Watched.peak["127.0.0.1"] <= PER_DOMAIN, Watched.peak


@pytest.mark.postgres
@pytest.mark.redis
def test_producer_and_worker_together_keep_the_per_host_limit(
    pg_url: str, redis_url: str, site: str, tmp_path: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    sources = news_sources(site, tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
        **MECHANICS,
        "SEEDWATCH_DATABASE_URL": pg_url,
        "SEEDWATCH_REDIS_URL": redis_url,
        "SEEDWATCH_SOURCES_FILE": str(sources),
        "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": str(PER_DOMAIN),
        "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "20",
    }
    pipes = {"env": env, "text": True, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    command = [sys.executable, "-m", "bot", "crawl"]
    # The worker first: it waits for the run to start, and joins it while the feed's articles are queued.
    worker = spawn([*command, "--worker"], **pipes)
    time.sleep(1.0)
    producer = spawn(command, **pipes)
    # A guard against a hang, not a speed limit.
    _, err_p = producer.communicate(timeout=300)
    out_w, err_w = worker.communicate(timeout=300)
    assert producer.returncode == 0, err_p[-2000:]
    assert worker.returncode == 0, err_w[-2000:]
    done = re.search(r"this worker: new (\d+), copies (\d+), seen before (\d+), off-topic (\d+)", out_w)
    assert done is not None and sum(int(n) for n in done.groups()) > 0, "the worker fetched nothing"
    with Store(pg_url) as store:
        assert len(list(store.articles.export_rows(None))) == ARTICLES
    assert Watched.served["127.0.0.1"] > ARTICLES
    assert Watched.peak["127.0.0.1"] <= PER_DOMAIN, Watched.peak
