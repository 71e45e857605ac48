"""A shared frontier loses nothing when a crawl process dies: SIGKILL a worker, then a producer, mid-crawl.

PostgreSQL + Redis + a loopback news site whose article pages answer slowly, so that the kill falls while
requests are leased. After it, every article must be stored exactly once and the run must end.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml

from crawler.storage import Store
from tests.demo_crawl import MECHANICS
from tests.fakes.loopback import Pages, serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("frontier"),
]

ARTICLES = 48
PAGE_DELAY = 2.0
LEASE = "5"

PARAGRAPHS = [
    "DeepSeek released the R1 reasoning model under an open licence, and its weights can be downloaded.",
    "The Stargate project announced by OpenAI, SoftBank and Oracle plans to spend up to $500 billion on "
    "data centres in the United States over four years.",
    "Analysts compared the reported training cost of DeepSeek-V3 with the budgets of American laboratories.",
]


def article_html(n: int) -> bytes:
    body = "".join(f"<p>{p} (report {n}, paragraph {i}.)</p>" for i, p in enumerate(PARAGRAPHS * 3))
    return (
        f"<html><head><title>DeepSeek and Stargate, report {n}</title>"
        f'<meta property="article:published_time" content="2025-01-2{n % 8}T10:00:00Z"></head>'
        f"<body><article><h1>DeepSeek and Stargate, report {n}</h1>{body}</article></body></html>"
    ).encode()


def feed_xml(base: str, articles: int) -> bytes:
    """An RSS feed linking `articles` pages /news/N.html of the site at `base`."""
    items = "".join(
        f"<item><title>DeepSeek and Stargate, report {n}</title><link>{base}/news/{n}.html</link>"
        f"<pubDate>Mon, 27 Jan 2025 10:{n:02d}:00 GMT</pubDate></item>"
        for n in range(articles)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow News</title>{items}</channel></rss>'
    ).encode()


class SlowNews(Pages):
    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        if self.path == "/feed.xml":
            self.send_page(feed_xml(base, ARTICLES), "application/rss+xml")
        elif self.path.startswith("/news/"):
            time.sleep(PAGE_DELAY)
            self.send_page(
                article_html(int(self.path.split("/")[-1].split(".")[0])), "text/html; charset=utf-8"
            )
        else:
            self.send_error(404)


@pytest.fixture
def news() -> Iterator[str]:
    with serving(SlowNews) as base_url:
        yield base_url


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """A `seedwatch crawl` process in a process group of its own (its page workers die with it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "crawl", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def wait_until_leasing(client: redis.Redis, pid: int, timeout: float = 120, must: bool = True) -> None:
    """Until the process holds leases on requests of the shared queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in client.scan_iter("seedwatch:*:run:*:requests:leased"):
            if any(f":{pid}:".encode() in token for token in client.hkeys(key)):
                return
        time.sleep(0.05)
    if must:
        raise AssertionError(f"process {pid} never took a request from the shared queue")


def stored(pg_url: str) -> tuple[list[str], str]:
    with Store(pg_url) as store:
        urls = [record["url"] for record in store.articles.export_rows(None)]
        (run,) = store.runs.latest(5)
        return urls, run.status


@pytest.fixture
def env(pg_url: str, redis_url: str, news: str, tmp_path: Path) -> dict[str, str]:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        yaml.safe_dump(
            {"sources": [{"name": "Slow News", "kind": "rss", "lang": "en", "url": f"{news}/feed.xml"}]}
        ),
        encoding="utf-8",
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
        **MECHANICS,
        "SEEDWATCH_DATABASE_URL": pg_url,
        "SEEDWATCH_REDIS_URL": redis_url,
        "SEEDWATCH_SOURCES_FILE": str(sources),
        "SEEDWATCH_CRAWL__FRONTIER_LEASE_SECONDS": LEASE,
        # Per run, not per process: both processes together (the limit is shared through Redis).
        "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": "8",
        "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "10",
    }


def start_run(env: dict[str, str]) -> tuple[subprocess.Popen[str], subprocess.Popen[str]]:
    """A producer, and once its run has begun (it migrated the fresh database), a worker."""
    producer = start(env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and producer.poll() is None:
        with Store(env["SEEDWATCH_DATABASE_URL"]) as store:
            if store.runs.latest(1):
                break
        time.sleep(0.2)
    return producer, start(env, "--worker")


def test_a_killed_workers_requests_come_back_and_are_stored_once(env: dict[str, str], redis_url: str) -> None:
    producer, worker = start_run(env)
    try:
        wait_until_leasing(redis.Redis.from_url(redis_url), worker.pid)
        kill(worker)
        _, err = producer.communicate(timeout=240)
        assert producer.returncode == 0, err[-2000:]
    finally:
        for process in (producer, worker):
            if process.poll() is None:
                kill(process)
    urls, status = stored(env["SEEDWATCH_DATABASE_URL"])
    assert status == "completed"
    assert len(urls) == len(set(urls)) == ARTICLES


def test_a_killed_producers_run_is_finished_by_its_worker(env: dict[str, str], redis_url: str) -> None:
    producer, worker = start_run(env)
    try:
        client = redis.Redis.from_url(redis_url)
        wait_until_leasing(client, worker.pid)
        # Best when the producer holds leases too: they must come back to the worker.
        wait_until_leasing(client, producer.pid, timeout=10, must=False)
        kill(producer)
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err[-2000:]
    finally:
        for process in (producer, worker):
            if process.poll() is None:
                kill(process)
    urls, status = stored(env["SEEDWATCH_DATABASE_URL"])
    assert status == "interrupted"
    assert len(urls) == len(set(urls)) == ARTICLES
    # Nothing of the run is left in Redis for ever (other test runs may share this Redis: only ours).
    database = hashlib.sha1(env["SEEDWATCH_DATABASE_URL"].encode(), usedforsecurity=False).hexdigest()[:10]
    keys = list(client.scan_iter(f"seedwatch:{database}:*"))
    assert keys and all(client.ttl(key) > 0 for key in keys)
