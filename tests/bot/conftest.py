"""Fixtures of the bot tests: the Telegram stand-in, settings pointing at it, a running bot, articles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.application import build_application
from bot.ratelimit import FloodLimiter
from crawler.config import Settings, load_settings
from crawler.judge.text import content_hash
from crawler.judge.types import ClaimMatch, StoredArticle
from crawler.storage import Store, Story
from tests.bot.daemon_helpers import DaemonProcess
from tests.fakes.telegram_api import TOKEN, FakeTelegram

ADMIN = 999
TOPICS = {
    "topics.deepseek.aliases": ["DeepSeek", "深度求索"],
    "topics.stargate.aliases": ["Stargate", "星际之门"],
}


class FakeClock:
    """Time that moves only when someone sleeps on it: long waits cost nothing."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.gate: asyncio.Event | None = None  # when set up, sleeping blocks until it is set

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and jump the clock forward."""
        self.sleeps.append(seconds)
        if self.gate is not None:
            await self.gate.wait()
        self.now += seconds
        await asyncio.sleep(0)


def bot_settings(tmp_path: Path, base_url: str, **overrides: Any) -> Settings:
    """Settings for a bot talking to the stand-in; our own limits loose so tests do not wait."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'bot.db'}",
        "data_dir": str(tmp_path / "data"),
        "telegram_token": TOKEN,
        "bot.base_url": base_url,
        "bot.admin_ids": [ADMIN],
        "bot.overall_per_second": 1000,
        "bot.per_chat_per_second": 1000,
        "bot.per_group_per_minute": 60000,
        "bot.poll_timeout": 1,
        "crawl.allowed_networks": ["127.0.0.1/32"],
        **TOPICS,
        **overrides,
    }
    return load_settings(environ={}, overrides=values)


@pytest.fixture(autouse=True)
def end_daemons() -> Iterator[None]:
    """A daemon a test started and left running (the test failed midway) ends with the test."""
    yield
    DaemonProcess.end_all()


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    """The Telegram stand-in, listening on 127.0.0.1."""
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def bot_store(tmp_path: Path) -> Iterator[Store]:
    """The database the bot under test uses."""
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    yield store
    store.close()


@asynccontextmanager
async def running_bot(
    settings: Settings, store: Store, *, limiter: FloodLimiter | None = None, **options: Any
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real PTB application, polling the stand-in, for the length of the block."""
    app = build_application(settings, store, limiter=limiter, **options)
    async with app:
        if app.post_init is not None:  # as run_polling() does
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@asynccontextmanager
async def idle_bot(
    settings: Settings, store: Store, *, limiter: FloodLimiter | None = None
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The application initialised but not polling: for driving deliveries directly."""
    app = build_application(settings, store, limiter=limiter)
    async with app:
        yield app


def add_story(store: Store, title: str) -> int:
    """A story row for articles to belong to."""
    with store.db.session() as session:
        story = Story(title=title)
        session.add(story)
        session.flush()
        return story.id


_counter = iter(range(1, 10**9))


def add_article(
    store: Store,
    title: str,
    *,
    text: str | None = None,
    outlet: str = "Example News",
    fetched: datetime | None = None,
    published: datetime | None = None,
    relevant: bool = True,
    topics: Sequence[str] = ("deepseek",),
    story: int | None = None,
    duplicate_of: int | None = None,
    novelty: float | None = 0.5,
    claims: Sequence[ClaimMatch] = (),
    lang: str = "en",
) -> int:
    """Store one judged article the way the crawl pipeline would."""
    n = next(_counter)
    url = f"https://news{n % 7}.example/{n}"
    text = (
        text if text is not None else f"{title}\n\nBody of article {n} about DeepSeek. It says more things."
    )
    article = StoredArticle(
        url=url,
        canonical_url=url,
        outlet=outlet,
        title=title,
        text=text,
        lang=lang,
        published=published,
        fetched=fetched or datetime.now(UTC) - timedelta(hours=1),
        content_hash=content_hash(text + str(n)),
        relevance=0.9 if relevant else 0.1,
        relevant=relevant,
        topics=tuple(topics),
        story=story,
        duplicate_of=duplicate_of,
        duplicate_kind="near" if duplicate_of else None,
        novelty=novelty,
        claims=tuple(claims),
    )
    return store.articles.add(article).article_id


def subscribe_chat(
    store: Store, chat_id: int, *, kind: str = "private", due: datetime | None = None, **values: Any
) -> int:
    """A subscribed chat whose digest is due (row id)."""
    chat = store.chats.ensure(chat_id, {"kind": kind, "title": f"chat {chat_id}"})
    store.chats.update(
        chat_id,
        subscribed=True,
        next_due_at=due or datetime.now(UTC) - timedelta(minutes=1),
        **values,
    )
    return chat.id
