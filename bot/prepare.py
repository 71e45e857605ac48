"""From stored data and a chat's settings to its digest: window, filter, schedule, claim wording.

The glue between `crawler.storage` (which loads plain dataclasses) and the pure `compose_digest` and
`render_digest`; used by the bot, the delivery passes and `seedwatch digest`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import normalize_lang
from bot.render import render_digest
from bot.timeline import Timeline, build_timeline
from crawler.config import Settings
from crawler.judge.canonical import link_url
from crawler.judge.digest import ChatFilter, ClaimWording, Digest, DigestArticle, compose_digest
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


def zone_of(name: str) -> tzinfo:
    """A time zone by IANA name; UTC for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_hhmm(value: str) -> time | None:
    """`08:30` as a time, or None when it is not a time of day."""
    parts = value.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def next_due(after: datetime, digest_time: str, timezone: str) -> datetime:
    """The first moment strictly after `after` when the clock in `timezone` shows `digest_time`, in UTC."""
    zone = zone_of(timezone)
    at = parse_hhmm(digest_time) or time(8, 0)
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(3):
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate.astimezone(UTC) > after:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("unreachable: a time of day recurs within three days")


def daily_key(due: datetime, timezone: str) -> str:
    """The delivery key of a scheduled digest: one per chat and local day."""
    return f"daily:{due.astimezone(zone_of(timezone)).date().isoformat()}"


def load_wording(settings: Settings) -> dict[str, ClaimWording]:
    """The display wording of the active seeds' claims, in claims-file order; empty when unavailable."""
    try:
        from crawler.judge.claims import load_claim_set
    except ImportError:
        return {}
    wording: dict[str, ClaimWording] = {}
    for folder in settings.seed_dirs():
        path = folder / "claims.yaml"
        if not path.exists():
            continue
        try:
            claim_set = load_claim_set(path)
        except Exception as exc:  # a broken claims file must not stop digests: show ids instead
            logger.warning("cannot read claim wording from %s: %s", path, exc)
            continue
        for claim in getattr(claim_set, "claims", ()):
            wording[str(claim.id)] = _wording(claim)
    return wording


def _wording(claim: object) -> ClaimWording:
    text = getattr(claim, "claim", None) or getattr(claim, "text", None)
    claim_id = str(getattr(claim, "id", ""))
    if isinstance(text, Mapping):
        return ClaimWording(claim_id, en=str(text.get("en", "")), zh=str(text.get("zh", "")))
    en = getattr(claim, "en", None) or getattr(claim, "text_en", None)
    zh = getattr(claim, "zh", None) or getattr(claim, "text_zh", None)
    if en or zh:
        return ClaimWording(claim_id, en=str(en or ""), zh=str(zh or ""))
    return ClaimWording(claim_id, en=str(text or ""))


class DigestMaker:
    """Composes and renders digests from the store, sharing work between chats of one pass."""

    def __init__(self, settings: Settings, store: Store, wording: Mapping[str, ClaimWording] | None = None):
        self.settings = settings
        self.store = store
        self.wording = dict(wording) if wording is not None else load_wording(settings)
        self._articles: dict[tuple[datetime | None, datetime], list[DigestArticle]] = {}
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


def shown_links(articles: Iterable[DigestArticle]) -> list[DigestArticle]:
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
