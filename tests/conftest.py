"""Fixtures every test may use: a database of its own, settings, the shared corpus, the services."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from crawler.config import PROJECT_ROOT, Settings, load_settings
from crawler.storage import Store
from tests.demo_crawl import demo_crawl, demo_web

__all__ = ["demo_crawl", "demo_web"]  # the demo crawl's session fixtures, for every test module

REQUIRE_SERVICES = os.environ.get("SEEDWATCH_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("SEEDWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SEEDWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")


# Helpers Python's multiprocessing keeps for the life of the process that started them; they end with it.
MULTIPROCESSING_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")
# Every process started during the session inherits this variable (tests that drop SEEDWATCH_* keep it),
# so one that was orphaned (its parent killed) is still found.
SESSION_MARK = "PYTEST_SEEDWATCH_SESSION"


def _started_by_session(process: psutil.Process, mark: str, me: psutil.Process) -> bool:
    try:
        if process.pid == me.pid or process.status() == psutil.STATUS_ZOMBIE:
            return False
        if process.environ().get(SESSION_MARK) != mark:
            return False
        command = " ".join(process.cmdline())
    except psutil.Error:  # gone meanwhile, or not ours to read
        return False
    # The pytest process's own multiprocessing helpers end with it.
    return not (process.ppid() == me.pid and any(h in command for h in MULTIPROCESSING_HELPERS))


def _leftovers(mark: str, me: psutil.Process) -> list[psutil.Process]:
    return [p for p in psutil.process_iter() if _started_by_session(p, mark, me)]


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Fail the session when a process a test started outlives it (and end that process)."""
    me = psutil.Process()
    mark = f"{me.pid}-{uuid.uuid4().hex}"
    os.environ[SESSION_MARK] = mark
    yield
    deadline = time.monotonic() + 10
    left = _leftovers(mark, me)
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = _leftovers(mark, me)
    if not left:
        return
    described = []
    for process in left:
        try:
            described.append(f"pid {process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(left, timeout=5)
    pytest.fail(f"{len(described)} process(es) outlived the test session: " + "; ".join(described))


def end_process_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a process started with `start_new_session=True` and everything in its group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[Any]]]:
    """Start a command in a process group of its own; the whole group is killed when the test ends
    (a crawl's page workers included, which a kill of the crawl alone would orphan)."""
    started: list[subprocess.Popen[Any]] = []

    def start(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        end_process_group(process)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) when a service the test needs is not running."""
    if _port_open(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and SEEDWATCH_REQUIRE_SERVICES=1 requires it")
    pytest.skip(f"{message} (start it, or see .ci/run)")


def shared_corpus_dir() -> Path | None:
    """The read-only shared corpus next to the checkout, when it is there."""
    # `../shared` from the repository root (or where SEEDWATCH_SHARED_DIR says): never one machine's path.
    candidates = [os.environ.get("SEEDWATCH_SHARED_DIR"), PROJECT_ROOT.parent / "shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "corpus").is_dir():
            return Path(candidate) / "corpus"
    return None


@pytest.fixture
def shared_corpus() -> Path:
    """`../shared/corpus`, or a skip when it is absent."""
    path = shared_corpus_dir()
    if path is None:
        pytest.skip("../shared/corpus is not present")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for this test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for this test, dropped afterwards."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    """An SQLite store for tests that are not about the database itself."""
    opened = Store(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture
def redis_url() -> str:
    """A Redis database reserved for tests.

    Never emptied: other test runs on this machine (another checkout, CI) may be using it at the same
    moment. Tests name their keys uniquely instead (a crawl's keys carry its database's hash and run id).
    """
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    """Default settings with this test's database and data directory; the environment is ignored."""
    return load_settings(
        environ={},
        overrides={
            "database_url": sqlite_url,
            "data_dir": str(tmp_path / "data"),
            "crawl.allowed_networks": ["127.0.0.1/32"],  # test sites listen on loopback; nothing else
        },
    )
