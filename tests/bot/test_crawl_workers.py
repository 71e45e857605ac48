"""`seedwatch crawl --workers N` (what the daemon runs with `daemon.crawl_workers`): the crawl starts workers
joined to its run, they take part of it from the shared frontier, and the crawl says what each did."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.storage import Store
from tests.crawler.test_politeness import ARTICLES, PER_DOMAIN, Watched, news_sources, site
from tests.demo_crawl import MECHANICS

__all__ = ["site"]  # the fixture, used by name

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("politeness"),
]


def test_a_crawl_hands_part_of_its_run_to_the_workers_it_starts(
    pg_url: str, redis_url: str, site: str, tmp_path: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    # Slow pages: the run lasts long enough (45 s) for a worker to start up on a loaded machine.
    Watched.page_seconds = 1.5
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
        **MECHANICS,
        "SEEDWATCH_DATABASE_URL": pg_url,
        "SEEDWATCH_REDIS_URL": redis_url,
        "SEEDWATCH_SOURCES_FILE": str(news_sources(site, tmp_path)),
        "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": str(PER_DOMAIN),
        "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "20",
    }
    crawl = spawn(
        [sys.executable, "-m", "bot", "crawl", "--workers", "1"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, err = crawl.communicate(timeout=300)  # a guard against a hang, not a speed limit
    assert crawl.returncode == 0, err[-2000:]
    done = re.search(
        r"worker 1 \(pid \d+, done\): new (\d+), copies (\d+), seen before (\d+), off-topic (\d+)", err
    )
    assert done is not None, err[-2000:]
    assert sum(int(n) for n in done.groups()) > 0, "the worker took nothing from the shared frontier"
    with Store(pg_url) as store:
        assert len(list(store.articles.export_rows(None))) == ARTICLES
        (run,) = store.runs.latest(5)
        assert run.status == "completed"
    assert Watched.peak["127.0.0.1"] <= PER_DOMAIN
