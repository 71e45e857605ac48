"""Fixtures every test may use: a database of its own, settings, the shared corpus, the services."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.config import PROJECT_ROOT, Settings, load_settings
from crawler.storage import Store

REQUIRE_SERVICES = os.environ.get("SEEDWATCH_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("SEEDWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SEEDWATCH_TEST_REDIS", "redis://127.0.0.1:6379/15")


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
    candidates = [
        os.environ.get("SEEDWATCH_SHARED_DIR"),
        PROJECT_ROOT.parent / "shared",
        Path("/work/shared"),
    ]
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
    """A Redis database reserved for tests, emptied first."""
    need_service("Redis", "127.0.0.1", 6379)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
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
