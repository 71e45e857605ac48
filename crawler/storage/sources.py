"""Queries on sources and their health."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crawler.schedule import SourceState
from crawler.sources import SourceSpec, source_key
from crawler.storage.models import Source, utcnow
from crawler.storage.store import Database

ADDED = "added"  # options["origin"] of a source added by hand rather than listed in the source list
CHUNK = 500  # URLs or ids per IN (...) query: far below every backend's limit on bound parameters


@dataclass(frozen=True)
class SourceAnswer:
    """A source that answered one fetch, as `record_successes` takes it (see `record_success`)."""

    source_id: int
    etag: str | None = None
    last_modified: str | None = None
    entries: int | None = None
    not_modified: bool = False
    at: datetime | None = None


class SourceRepo:
    """Sources: registered from the source list, updated after every fetch."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def upsert(
        self, url: str, name: str, kind: str, lang: str = "", options: dict[str, Any] | None = None
    ) -> Source:
        """Register a source or update its name, kind and options; health is kept."""
        with self.db.session() as session:
            source = session.scalar(select(Source).where(Source.url == url))
            if source is None:
                source = Source(url=url, name=name, kind=kind, lang=lang, options=options or {})
                session.add(source)
            else:
                source.name, source.kind, source.lang = name, kind, lang
                source.options = options or {}
            session.flush()
            return source

    def register(self, specs: Sequence[SourceSpec]) -> dict[str, Source]:
        """`upsert` for a whole source list in one transaction (a row is written only where the list
        changed it): by URL, each source's row with its id, ETag and Last-Modified."""
        rows: dict[str, Source] = {}
        with self.db.session() as session:
            for chunk in _chunks(dict.fromkeys(spec.url for spec in specs), CHUNK):
                rows.update(
                    (row.url, row) for row in session.scalars(select(Source).where(Source.url.in_(chunk)))
                )
            for spec in specs:
                options = dict(spec.options)
                row = rows.get(spec.url)
                if row is None:
                    row = Source(
                        url=spec.url, name=spec.name, kind=spec.kind, lang=spec.lang, options=options
                    )
                    session.add(row)
                    rows[spec.url] = row
                elif (row.name, row.kind, row.lang, row.options) != (
                    spec.name,
                    spec.kind,
                    spec.lang,
                    options,
                ):
                    row.name, row.kind, row.lang, row.options = spec.name, spec.kind, spec.lang, options
            session.flush()
        return rows

    def add(self, spec: SourceSpec) -> tuple[Source, bool]:
        """Add a source by hand (`sources add`, OPML, `/addsource`); False with the row it already is.

        A source removed earlier comes back with its health history; one that is there already, under
        any spelling of its URL, is left as it is.
        """
        key = source_key(spec.url)
        with self.db.session() as session:
            for row in session.scalars(select(Source)):
                if source_key(row.url) != key:
                    continue
                if row.enabled:
                    return row, False
                row.enabled = True
                row.options = {**row.options, **dict(spec.options), "origin": ADDED}
                return row, True
            row = Source(
                url=spec.url,
                name=spec.name,
                kind=spec.kind,
                lang=spec.lang,
                options={**dict(spec.options), "origin": ADDED},
            )
            session.add(row)
            session.flush()
            return row, True

    def remove(self, url: str) -> Source | None:
        """Stop crawling a source (kept, disabled, so its history stays and the source list cannot bring it
        back); None when no source has that URL."""
        key = source_key(url)
        with self.db.session() as session:
            for row in session.scalars(select(Source).where(Source.enabled.is_(True))):
                if source_key(row.url) == key:
                    row.enabled = False
                    return row
        return None

    def managed(self) -> tuple[list[SourceSpec], list[str]]:
        """(the sources added by hand and still enabled, the URLs of every removed source)."""
        added, removed = [], []
        with self.db.session() as session:
            for row in session.scalars(select(Source).order_by(Source.id)):
                if not row.enabled:
                    removed.append(row.url)
                elif row.options.get("origin") == ADDED:
                    options = {k: v for k, v in row.options.items() if k != "origin"}
                    added.append(
                        SourceSpec(
                            name=row.name,
                            kind=row.kind,
                            url=row.url,
                            lang=row.lang,
                            options={**options, "origin": ADDED},
                        )
                    )
        return added, removed

    def get(self, url: str) -> Source | None:
        """The source registered under that URL."""
        with self.db.session() as session:
            return session.scalar(select(Source).where(Source.url == url))

    def all(self, enabled_only: bool = False) -> Sequence[Source]:
        """Every source, by name."""
        with self.db.session() as session:
            query = select(Source).order_by(Source.name, Source.id)
            if enabled_only:
                query = query.where(Source.enabled.is_(True))
            return session.scalars(query).all()

    def record_success(
        self,
        source_id: int,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        new_articles: int = 0,
        entries: int | None = None,
        not_modified: bool = False,
        at: datetime | None = None,
    ) -> int:
        """A fetch that answered: reset failures; count runs that yield nothing (a broken selector).

        Returns the failures in a row before this answer (see `record_pages_failed`).
        """
        with self.db.session() as session:
            source = session.get(Source, source_id)
            if source is None:
                return 0
            before = source.consecutive_failures
            answer = SourceAnswer(source_id, etag, last_modified, entries, not_modified, at)
            _answered(source, answer, new_articles)
            return before

    def record_successes(self, answers: Sequence[SourceAnswer]) -> dict[int, int]:
        """`record_success` for many answers in one transaction; by source id, the failures in a row
        before its answer."""
        before: dict[int, int] = {}
        with self.db.session() as session:
            for chunk in _chunks(dict.fromkeys(answer.source_id for answer in answers), CHUNK):
                sources = {row.id: row for row in session.scalars(select(Source).where(Source.id.in_(chunk)))}
                for answer in answers:
                    source = sources.get(answer.source_id)
                    if source is not None:
                        before.setdefault(answer.source_id, source.consecutive_failures)
                        _answered(source, answer)
        return before

    def record_failure(self, source_id: int, reason: str, at: datetime | None = None) -> int:
        """A fetch that failed: keep the reason; returns the consecutive failures so far."""
        at = at or utcnow()
        with self.db.session() as session:
            source = session.get(Source, source_id)
            if source is None:
                return 0
            source.last_attempt_at = source.last_error_at = at
            source.last_error = reason
            source.consecutive_failures += 1
            return source.consecutive_failures

    def record_pages_failed(
        self, source_id: int, reason: str, failures_before: int, at: datetime | None = None
    ) -> int:
        """A source that answered but whose every page failed: failing, as if the fetch had failed.

        `failures_before` is what `record_success` returned for this run's answer, so a streak of such
        runs counts up (and backs off, and alerts) as a streak of failed fetches does.
        """
        at = at or utcnow()
        with self.db.session() as session:
            source = session.get(Source, source_id)
            if source is None:
                return 0
            source.last_error_at = at
            source.last_error = reason
            source.consecutive_failures = failures_before + 1
            return source.consecutive_failures

    def source_states(self, urls: Iterable[str] | None = None) -> dict[str, SourceState]:
        """Schedule and health of the sources with these URLs (all when None), by URL."""
        with self.db.session() as session:
            query = select(Source)
            if urls is not None:
                query = query.where(Source.url.in_(list(urls)))
            return {source.url: _state(source) for source in session.scalars(query)}

    def attempted_since(self, since: datetime) -> set[str]:
        """URLs of the sources fetched (successfully or not) since a moment."""
        with self.db.session() as session:
            return set(session.scalars(select(Source.url).where(Source.last_attempt_at >= since)))

    def set_next_crawls(self, plan: Mapping[str, datetime | None]) -> None:
        """Store when each source (by URL) is due next."""
        if not plan:
            return
        with self.db.session() as session:
            for source in session.scalars(select(Source).where(Source.url.in_(list(plan)))):
                source.next_crawl_at = plan[source.url]


def _chunks(values: Iterable[Any], size: int) -> Iterable[list[Any]]:
    items = list(values)
    return (items[start : start + size] for start in range(0, len(items), size))


def _answered(source: Source, answer: SourceAnswer, new_articles: int = 0) -> None:
    source.last_attempt_at = source.last_success_at = answer.at or utcnow()
    source.consecutive_failures = 0
    if answer.etag is not None:
        source.etag = answer.etag
    if answer.last_modified is not None:
        source.last_modified = answer.last_modified
    if not answer.not_modified:
        source.last_new_articles = new_articles
        source.empty_runs = source.empty_runs + 1 if answer.entries == 0 else 0


def _state(source: Source) -> SourceState:
    return SourceState(
        url=source.url,
        source_id=source.id,
        name=source.name,
        consecutive_failures=source.consecutive_failures,
        empty_runs=source.empty_runs,
        last_attempt_at=source.last_attempt_at,
        last_success_at=source.last_success_at,
        next_crawl_at=source.next_crawl_at,
        last_error=source.last_error,
    )
