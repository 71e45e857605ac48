"""Commands that cannot do their job say why in one line and exit non-zero, before any work, losing nothing.

Run in-process with click's CliRunner: none of these reaches Scrapy's reactor (the crawls that do are in
tests/crawler/test_crawl_truth.py, as processes).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from crawler.storage import Store
from tests.bot.conftest import add_article

OURS = [key for key in os.environ if key.startswith("SEEDWATCH_") or key == "TELEGRAM_BOT_TOKEN"]
CLEAN_ENV: dict[str, str | None] = dict.fromkeys(OURS)


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """Commands configure the root logger on the runner's streams; give the next test its own back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def invoke(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **env})


def assert_one_line_error(result: Result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback reached the user
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.output
    for needle in needles:
        assert needle in errors[0], errors[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def filled(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    store = Store(url)
    add_article(store, "DeepSeek R1 tops the App Store")
    run = store.runs.start()
    store.runs.finish(run)
    store.close()
    return url


def stored(url: str) -> tuple[int, list[tuple[int, str, str | None]]]:
    with Store(url, must_exist=True) as store:
        return store.articles.count(), [(r.id, r.status, r.error) for r in store.runs.latest(10)]


@pytest.mark.parametrize(
    "command",
    [["export"], ["export", "--format", "csv"], ["sources"], ["status"], ["status", "--json"], ["claims"],
     ["digest"], ["digest", "--html", "d.html"], ["rejudge"]],
)  # fmt: skip
def test_read_commands_refuse_a_database_that_does_not_exist(
    tmp_path: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    monkeypatch.chdir(tmp_path)
    result = invoke(*command, "--db", f"sqlite:///{missing}")
    assert_one_line_error(result, 1, f"no database at {missing}", "--db")
    assert not (tmp_path / "nonexistent").exists()
    assert not (tmp_path / "d.html").exists()


def test_output_files_are_checked_before_any_work(tmp_path: Path, filled: str) -> None:
    before = stored(filled)
    missing = tmp_path / "no-such-folder"
    for command, option in (
        (["export", "-o", str(missing / "a.jsonl"), "--db", filled], "-o / --output"),
        (["digest", "--html", str(missing / "d.html"), "--db", filled], "--html"),
        (["demo", "--html", str(missing / "d.html")], "--html"),
    ):
        result = invoke(*command)
        assert_one_line_error(result, 2, option, f"the folder '{missing}' does not exist")
        assert "seedwatch demo" not in result.output  # the demo stopped before serving or crawling
    assert not missing.exists()
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root may write anywhere
            result = invoke("export", "-o", str(locked / "a.jsonl"), "--db", filled)
            assert_one_line_error(result, 2, "permission denied")
    finally:
        locked.chmod(0o700)
    result = invoke("export", "-o", str(tmp_path / "a.jsonl"), "--db", filled)
    assert result.exit_code == 0 and (tmp_path / "a.jsonl").read_text(encoding="utf-8").count("\n") == 1
    assert stored(filled) == before


def test_a_worker_without_a_shared_frontier_says_so_at_once(filled: str) -> None:
    result = invoke("crawl", "--worker", "--db", filled, SEEDWATCH_REDIS_URL="")
    assert result.exit_code == 2 and "need a shared frontier: set redis_url" in result.output
    port = closed_port()
    result = invoke(
        "crawl", "--worker", "--db", filled, SEEDWATCH_REDIS_URL=f"redis://:hunter2@127.0.0.1:{port}/0"
    )
    assert_one_line_error(
        result, 1, "the shared frontier is unreachable", f"Redis at redis://:***@127.0.0.1:{port}/0"
    )
    assert "hunter2" not in result.output


@pytest.mark.parametrize("redis_url", ["redis://:hunter2@127.0.0.1:{port}/0", "rdis://127.0.0.1:{port}"])
def test_a_crawl_that_cannot_reach_its_frontier_stops_and_is_recorded_failed(
    filled: str, redis_url: str
) -> None:
    articles, runs = stored(filled)
    url = redis_url.format(port=closed_port())
    result = invoke(
        "crawl", "--source", "http://127.0.0.1:9/feed.xml", "--db", filled, SEEDWATCH_REDIS_URL=url
    )
    assert_one_line_error(result, 1, f"crawl run #{runs[0][0] + 1} failed", "redis")
    assert "hunter2" not in result.output
    now_articles, now_runs = stored(filled)
    assert now_articles == articles and now_runs[1:] == runs
    _, status, error = now_runs[0]
    assert status == "failed" and error is not None and "redis" in error.lower()
