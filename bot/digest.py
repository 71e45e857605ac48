"""From stored data and a chat's settings to its digest: window, filter, claim wording, links.

The glue between `crawler.storage` (which loads plain dataclasses) and the pure `compose_digest` and
`render_digest`; used by the bot, the delivery passes and `seedwatch digest`. When a chat's digest is due
is `bot.digest_time`; the claims' wording is read by `crawler.seeds.load_wording`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

from bot.digest_time import zone_of
from bot.i18n import normalize_lang
from bot.render import render_digest
from bot.timeline import Timeline, build_timeline
from crawler.config import Settings
from crawler.judge.canonical import link_url
from crawler.judge.digest import ChatFilter, ClaimWording, Digest, compose_digest
from crawler.judge.types import StoredArticle
from crawler.seeds import load_wording
from crawler.storage import Chat, Store

logger = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ChatView:
    """What a digest depends on in a chat's settings (hashable, so equal chats share one rendering)."""

    lang: str
    timezone: str
    chat_filter: ChatFilter

    @classmethod
    def of(cls, chat: Chat, settings: Settings) -> ChatView:
        """The view of a stored chat."""
        chat_filter = ChatFilter(
            topics=tuple(sorted(str(t) for t in chat.topics or ())),
            include=tuple(str(w) for w in chat.include_words or ()),
            exclude=tuple(str(w) for w in chat.exclude_words or ()),
        )
        lang = normalize_lang(chat.lang, settings.bot.default_lang)
        return cls(lang, chat.timezone or settings.bot.default_timezone, chat_filter)

    @property
    def zone(self) -> tzinfo:
        """The chat's time zone (UTC if the stored name became unknown)."""
        return zone_of(self.timezone)


class DigestMaker:
    """Composes and renders digests from the store, sharing work between chats of one pass."""

    def __init__(self, settings: Settings, store: Store, wording: Mapping[str, ClaimWording] | None = None):
        self.settings = settings
        self.store = store
        self.wording = dict(wording) if wording is not None else load_wording(settings)
        self._articles: dict[tuple[datetime | None, datetime], list[StoredArticle]] = {}
        self._supported: dict[datetime | None, set[str]] = {}
        self._parts: dict[tuple[datetime | None, datetime, ChatView], tuple[Digest, list[str]]] = {}

    def digest(self, view: ChatView, start: datetime | None, end: datetime) -> Digest:
        """The digest of [start, end) for a chat with this view."""
        return self.rendered(view, start, end)[0]

    def rendered(self, view: ChatView, start: datetime | None, end: datetime) -> tuple[Digest, list[str]]:
        """The digest and its Telegram messages; chats with equal views and windows share them."""
        key = (start, end, view)
        if key not in self._parts:
            if (start, end) not in self._articles:
                self._articles[(start, end)] = shown_links(self.store.digest.window(start, end))
            if start not in self._supported:
                self._supported[start] = self.store.digest.supported_before(start)
            digest = compose_digest(
                self._articles[(start, end)],
                start=start,
                end=end,
                chat_filter=view.chat_filter,
                wording=self.wording,
                supported_before=self._supported[start],
                max_entries=self.settings.bot.digest_max_entries,
            )
            self._parts[key] = (digest, render_digest(digest, view.lang, view.zone))
        return self._parts[key]

    def forget(self) -> None:
        """Drop what a pass cached (call between passes)."""
        self._articles.clear()
        self._supported.clear()
        self._parts.clear()


def shown_links(articles: Iterable[StoredArticle]) -> list[StoredArticle]:
    """The articles with the address readers see (`link_url`: no tracking parameters, no fragment)."""
    return [replace(a, url=link_url(a.url)) if a.url else a for a in articles]


def claims_timeline(store: Store, claim_order: Iterable[str] = ()) -> Timeline:
    """The claims timeline of everything stored, claims in `claim_order` (e.g. a `load_wording` result)."""
    return build_timeline(store.claims.per_day(), store.claims.coverage_per_day(), list(claim_order))


def window_start(chat: Chat, end: datetime) -> datetime:
    """Where a chat's next digest begins: the end of its last one, or a day back for a new chat."""
    return chat.last_window_end if chat.last_window_end is not None else end - FIRST_WINDOW


def preview_digest(
    settings: Settings,
    store: Store,
    *,
    lang: str | None = None,
    since: datetime | None = None,
    topics: tuple[str, ...] = (),
    now: datetime | None = None,
) -> tuple[Digest, ChatView]:
    """The digest a new chat with these choices would get for [since, now) (default: the last 24 hours).

    For `seedwatch digest --print/--html` and the demo: render it with `render_text(digest, view.lang,
    view.zone)` or `render_page(...)`.
    """
    end = now or datetime.now(UTC)
    view = ChatView(
        normalize_lang(lang, settings.bot.default_lang),
        settings.bot.default_timezone,
        ChatFilter(topics=topics),
    )
    return DigestMaker(settings, store).digest(view, since or end - FIRST_WINDOW, end), view
