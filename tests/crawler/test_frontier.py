"""Scale-out: PostgreSQL plus two crawl processes sharing one Redis frontier."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from crawler.demo import DemoSiteProcess
from tests.demo_crawl import MECHANICS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("frontier"),
]


def test_two_workers_share_the_frontier_and_store_each_article_once(
    pg_url: str, redis_url: str, tmp_path: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    with DemoSiteProcess(slow_delay=4.0, oversize_bytes=2_000_000) as site:
        site.start()
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": site.sources()}, allow_unicode=True), encoding="utf-8")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")},
            **MECHANICS,
            "SEEDWATCH_DATABASE_URL": pg_url,
            "SEEDWATCH_REDIS_URL": redis_url,
        }
        command = [sys.executable, "-m", "bot", "crawl"]
        pipes = {"env": env, "text": True, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        # spawn: both process groups (page workers included) are killed if the test fails midway.
        coordinator = spawn([*command, "--sources", str(sources)], **pipes)
        time.sleep(0.5)
        worker = spawn([*command, "--worker"], **pipes)
        # A guard against a hang, not a speed limit: a machine shared with other test runs is slow.
        out_c, err_c = coordinator.communicate(timeout=600)
        out_w, err_w = worker.communicate(timeout=600)
        assert coordinator.returncode == 0, err_c[-2000:]
        assert worker.returncode == 0, err_w[-2000:]
        exported = subprocess.run(
            [sys.executable, "-m", "bot", "export"], env=env, text=True, capture_output=True, check=True
        ).stdout
        expected = site.expectations()
    records = [json.loads(line) for line in exported.splitlines()]
    canonicals = [r["canonical_url"] for r in records]
    assert len(canonicals) == len(set(canonicals))
    # The crawl's own report (counts, failures with reasons) tells a failed page from a lost one.
    assert len(records) >= len(expected["articles"]) - 5, f"{out_c}\n{err_c[-3000:]}\n{out_w}"
    done = re.search(
        r"this worker: new (\d+), copies (\d+), seen before (\d+), off-topic (\d+), failed \d+", out_w
    )
    assert done is not None, out_w
    assert sum(int(n) for n in done.groups()) > 0, "the worker took no requests from the shared queue"
