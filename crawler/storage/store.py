"""The engine, the migrations and the unit of work.

Errors::

    StorageError             the database cannot be opened, migrated or written
     └── DuplicateArticle    an article with that canonical URL is already stored
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StorageError(Exception):
    """The database cannot be opened, migrated or written."""


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


def create_db_engine(url: str) -> Engine:
    """An engine set up for concurrent use: WAL and a busy timeout on SQLite, pre-ping elsewhere."""
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
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
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


MIGRATION_LOCK = 0x5EED_0001  # the PostgreSQL advisory lock taken while migrating


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is there already."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == head:
                return
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Processes starting at once on a new database (a crawl and its workers) migrate one at a
                # time: the lock is held until this transaction (DDL included) commits.
                connection.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
                current = MigrationContext.configure(connection).get_current_revision()
                if current == head:
                    return
            config.attributes["connection"] = connection
            logger.info("migrating database %s from %s to %s", safe_url(str(engine.url)), current, head)
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StorageError(f"cannot open database {safe_url(str(engine.url))}: {_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate database {safe_url(str(engine.url))}: {exc}") from exc


def _reason(exc: OperationalError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class Database:
    """An engine and its sessions: one transaction per `session()` block."""

    def __init__(self, url: str, *, auto_migrate: bool = True) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        if auto_migrate:
            migrate(self.engine)
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
        """Close every pooled connection."""
        self.engine.dispose()
