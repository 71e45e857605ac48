"""Storage: the only package that talks to the database.

One `Store` per process (or per Scrapy spider), opened at an entry point with the settings' database URL;
the schema is migrated on first use. Each repository method is one transaction.

Errors (see `crawler.storage.store`)::

    StorageError
     ├── MissingDatabase
     └── DuplicateArticle
"""

from __future__ import annotations

from crawler.storage.articles import EXPORT_FIELDS, ArticleRepo, Stored
from crawler.storage.chats import ChatRepo
from crawler.storage.claims import ClaimRepo
from crawler.storage.daemon import DaemonRepo
from crawler.storage.deliveries import DeliveryRepo
from crawler.storage.digest import DigestQueries
from crawler.storage.judgements import JudgementRepo, StoryAssignment
from crawler.storage.lease import DaemonLock, LeaseHolder
from crawler.storage.models import (
    AdminNotice,
    Chat,
    CrawlRun,
    Delivery,
    FetchError,
    Source,
    Story,
    utcnow,
)
from crawler.storage.runs import RunRepo
from crawler.storage.sources import SourceRepo
from crawler.storage.store import (
    Database,
    DuplicateArticle,
    MissingDatabase,
    StorageError,
    migrate,
    safe_url,
)

__all__ = [
    "EXPORT_FIELDS",
    "AdminNotice",
    "Chat",
    "CrawlRun",
    "DaemonLock",
    "Database",
    "Delivery",
    "DuplicateArticle",
    "FetchError",
    "LeaseHolder",
    "MissingDatabase",
    "Source",
    "StorageError",
    "Store",
    "Stored",
    "Story",
    "StoryAssignment",
    "migrate",
    "safe_url",
    "utcnow",
]


class Store:
    """The database and its repositories."""

    def __init__(self, url: str, *, auto_migrate: bool = True, must_exist: bool = False) -> None:
        self.db = Database(url, auto_migrate=auto_migrate, must_exist=must_exist)
        self.sources = SourceRepo(self.db)
        self.runs = RunRepo(self.db)
        self.articles = ArticleRepo(self.db)
        self.judging = JudgementRepo(self.db)
        self.claims = ClaimRepo(self.db)
        self.chats = ChatRepo(self.db)
        self.deliveries = DeliveryRepo(self.db)
        self.digest = DigestQueries(self.db)
        self.daemon = DaemonRepo(self.db)

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
