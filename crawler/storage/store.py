"""The engine, the migrations and the unit of work.

Errors::

    StorageError             the database cannot be opened, migrated or written
     ├── MissingDatabase     a reader asked for a database that does not exist (none is created)
     └── DuplicateArticle    an article with that canonical URL is already stored
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_CLASS = 0x5EED  # the first key of our PostgreSQL advisory locks


class StorageError(Exception):
    """The database cannot be opened, migrated or written."""


class MissingDatabase(StorageError):
    """A reader asked for a database that does not exist; none is created."""


class DuplicateArticle(StorageError):
    """An article with that canonical URL is already stored."""

    def __init__(self, canonical_url: str, existing_id: int | None = None) -> None:
        super().__init__(f"already stored: {canonical_url}")
        self.canonical_url = canonical_url
        self.existing_id = existing_id


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def create_db_engine(url: str, *, must_exist: bool = False) -> Engine:
    """An engine set up for concurrent use: WAL and a busy timeout on SQLite; on a server, connections
    recycled after a while and tested only when one has failed (no ping before every checkout: that
    was a fifth of a crawl's database time).

    With `must_exist`, a SQLite file that is not there raises MissingDatabase instead of being created
    (a server database that does not exist is refused by its server anyway).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageError(
            f"not a database URL: {url!r} (expected e.g. sqlite:///path.db or "
            "postgresql+psycopg://user@host/db)"
        ) from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            path = Path(database).expanduser()
            if must_exist and path.is_dir():
                raise MissingDatabase(f"{path} is a folder, not a database file")
            if must_exist and not path.exists():
                raise MissingDatabase(f"no database at {path}: nothing has been crawled into it")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the folder of database {path}: {exc.strerror}") from exc
        kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
    else:
        kwargs["pool_recycle"] = 1800
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot use database {safe_url(url)}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for our migrations, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already.

    Processes starting at once on a fresh database migrate one after the other: the upgrade runs under a
    lock (PostgreSQL: an advisory lock; SQLite: the write lock, taken before the first statement), and a
    process that waited finds the schema current and does nothing.
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == head:
                return
        with _migration_lock(engine) as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == head:
                return  # migrated by another process while this one waited
            config.attributes["connection"] = connection
            logger.info("migrating database %s from %s to %s", safe_url(str(engine.url)), current, head)
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StorageError(f"cannot open database {safe_url(str(engine.url))}: {_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate database {safe_url(str(engine.url))}: {exc}") from exc


def advisory_key(purpose: str) -> str:
    """SQL for the two keys of a PostgreSQL advisory lock of ours, per schema (tests use one schema each)."""
    return f"{LOCK_CLASS}, hashtext(current_schema() || '/{purpose}')"


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other migration can run beside, committed at the end."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text(f"SELECT pg_advisory_xact_lock({advisory_key('migrate')})"))
            yield connection
        return
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        assert driver is not None
        previous = driver.isolation_level  # type: ignore[attr-defined]
        driver.isolation_level = None  # type: ignore[attr-defined]  # the driver's own BEGIN would be deferred
        try:
            # IMMEDIATE: the write lock from the start, so the version read and the DDL form one unit.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        finally:
            driver.isolation_level = previous  # type: ignore[attr-defined]


def _reason(exc: OperationalError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class _SharedEngines:
    """One engine (one connection pool) per database URL and process, counted by its users.

    A crawl process opens the database in several components (pipelines, recorder, middleware, the
    judge, one set per spider); they share a pool instead of each keeping its own connections. Keyed by
    process id too: a forked child never uses its parent's connections.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.engines: dict[tuple[int, str], tuple[Engine, int, bool]] = {}

    def acquire(self, url: str, *, must_exist: bool, auto_migrate: bool) -> Engine:
        """The process's engine for `url` (created, and migrated once, on first use)."""
        key = (os.getpid(), url)
        with self.lock:
            found = self.engines.get(key)
            if found is not None:
                engine, users, migrated = found
            else:
                engine, users, migrated = create_db_engine(url, must_exist=must_exist), 0, False
            try:
                if auto_migrate and not migrated:
                    migrate(engine)
                    migrated = True
            except BaseException:
                if users == 0:
                    engine.dispose()
                raise
            self.engines[key] = (engine, users + 1, migrated)
            return engine

    def release(self, url: str) -> None:
        """One user less; the last one closes the pool's connections."""
        key = (os.getpid(), url)
        with self.lock:
            found = self.engines.get(key)
            if found is None:
                return
            engine, users, migrated = found
            if users > 1:
                self.engines[key] = (engine, users - 1, migrated)
                return
            del self.engines[key]
        engine.dispose()


ENGINES = _SharedEngines()


class Database:
    """The process's engine for a database and its sessions: one transaction per `session()` block."""

    def __init__(self, url: str, *, auto_migrate: bool = True, must_exist: bool = False) -> None:
        self.url = url
        self.engine = ENGINES.acquire(url, must_exist=must_exist, auto_migrate=auto_migrate)
        self._open = True
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise StorageError(f"database {safe_url(self.url)} failed: {_reason(exc)}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Leave the process's engine; the last user closes its pooled connections."""
        if self._open:
            self._open = False
            ENGINES.release(self.url)
