"""The demo web and one `seedwatch crawl` of it, shared by the tests that read that crawl.

`demo_web` serves the demo corpus from a child process; `demo_crawl` crawls it once per test session (per
xdist worker: the tests that use it share the "demo-crawl" group) with the default judge, and each test
module works on its own copy of that database (`crawled_copy`), so none sees another's changes.

`FAST` makes a crawl fail fast on the demo's broken pages; `MECHANICS` adds the rules-only judge for tests
of crawl mechanics (kills, Ctrl-C, leases, politeness, workers): the encoder's start-up and per-page cost
are most of such a crawl, and nothing those tests check depends on it. The demo crawl here, the demo test
and the story-order test keep the default backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from crawler.demo import DemoSiteProcess

FAST = {
    "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "4",  # far below the slow page's 15 s, above a loaded machine's 1 MB
    "SEEDWATCH_CRAWL__RETRY_TIMES": "1",
    "SEEDWATCH_CRAWL__RETRY_BACKOFF": "0.1",
    "SEEDWATCH_CRAWL__DOWNLOAD_DELAY": "0",
    "SEEDWATCH_CRAWL__AUTOTHROTTLE": "false",
    "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": "16",
    "SEEDWATCH_CRAWL__MAX_PAGE_BYTES": "1000000",
    "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',  # the loopback site, and nothing else
}
MECHANICS = {**FAST, "SEEDWATCH_JUDGE__EMBEDDING_BACKEND": "none"}


def seedwatch(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the `seedwatch` command as a user would, with `FAST` and `env` as its only SEEDWATCH_ settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")}
    completed = subprocess.run(  # noqa: PLW1510 - the caller decides what a failure means
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**clean, **FAST, **(env or {})},
        timeout=240,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"seedwatch {' '.join(args)} failed ({completed.returncode}):\n{completed.stderr[-3000:]}"
        )
    return completed


def write_sources(site: DemoSiteProcess, folder: Path) -> Path:
    """The demo web's sources as a sources file in `folder`."""
    sources = folder / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": site.sources()}, allow_unicode=True), encoding="utf-8")
    return sources


@dataclass(frozen=True)
class DemoCrawl:
    """One crawl of the whole demo web: its sources file, its database file and what it printed."""

    sources: Path
    database: Path
    stdout: str

    def copy_to(self, folder: Path) -> Path:
        """A copy of the crawl's database in `folder`, for a test module to change as it likes."""
        copy = folder / self.database.name
        shutil.copyfile(self.database, copy)
        return copy


@pytest.fixture(scope="session")
def demo_web() -> Iterator[DemoSiteProcess]:
    """The demo web, with a page slower than any test's download timeout."""
    with DemoSiteProcess(slow_delay=15.0, oversize_bytes=3_000_000) as demo:
        demo.start()
        yield demo


@pytest.fixture(scope="session")
def demo_crawl(demo_web: DemoSiteProcess, tmp_path_factory: pytest.TempPathFactory) -> DemoCrawl:
    """The demo web crawled once, by `seedwatch crawl` with the default judge."""
    folder = tmp_path_factory.mktemp("demo-crawl")
    sources = write_sources(demo_web, folder)
    database = folder / "crawl.db"
    first = seedwatch("crawl", "--sources", str(sources), "--db", f"sqlite:///{database}")
    return DemoCrawl(sources, database, first.stdout)
