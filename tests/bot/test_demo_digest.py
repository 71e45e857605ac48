"""End to end: `seedwatch crawl` of the demo corpus, then simulated users ask the bot for the digest.

The demo web runs in a child process and the crawl is a `seedwatch crawl` process; the bot is the real PTB
application polling the Telegram stand-in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.storage import Store
from tests.bot.conftest import bot_settings, running_bot
from tests.bot.test_bot_commands import say
from tests.demo_crawl import DemoCrawl
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.fakes.telegram_html import utf16_len
from tests.store_reads import deliveries_of

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-crawl")]
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def crawled_db(demo_crawl: DemoCrawl, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding this module's copy of the session's crawl of the whole demo web (`bot.db`)."""
    folder = tmp_path_factory.mktemp("demo-digest")
    demo_crawl.copy_to(folder).rename(folder / "bot.db")
    return folder


def _check_parts(parts: list[SentMessage]) -> str:
    for index, part in enumerate(parts, 1):
        assert part.parse_mode == "HTML" and part.link_preview == {"is_disabled": True}
        assert utf16_len(part.text.strip()) <= 4096
        if len(parts) > 1:
            assert part.text.rstrip().endswith(f"({index}/{len(parts)})")
    shown = "\n".join(p.text for p in parts)
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", shown, re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 20
    return shown


async def test_the_demo_digest_through_the_bot_in_both_languages(api: FakeTelegram, crawled_db: Path) -> None:
    settings = bot_settings(crawled_db, api.base_url, **{"bot.digest_max_entries": 60})
    store = Store(settings.database)
    stored = store.digest.window(None, FAR_FUTURE)
    relevant = [a for a in stored if a.relevant]
    irrelevant = len(stored) - len(relevant)
    assert len(relevant) >= 20, "the demo crawl stored too little to make a digest"
    api.private_chat(1, "Ann", language_code="en")
    api.private_chat(2, "安", language_code="zh-CN")
    try:
        async with running_bot(settings, store):
            for user in (1, 2):
                [subscribed] = await say(api, user, user, "/subscribe")
                assert subscribed.text.startswith(("Subscribed", "已订阅"))
                before = len(api.sent(user))
                api.send(user, user, "/digest")
                await api.wait_for(lambda u=user: _finished(store, u))  # type: ignore[misc]
                assert store.chats.get(user).subscribed  # type: ignore[union-attr]
            english, chinese = api.sent(1)[1:], api.sent(2)[1:]
    finally:
        store.close()
    assert before == 1
    en = _check_parts(english)
    zh = _check_parts(chinese)
    assert len(english) >= 2, "60 stories of the demo do not fit one message"
    assert en.startswith("📰 seedwatch digest") and zh.startswith("📰 seedwatch 每日摘要")
    # Titles exactly as stored (quotes, ampersands, angle brackets included) and the left-out line.
    titles_shown = sum(1 for a in relevant if a.title and a.title in en)
    assert titles_shown >= 20
    assert f"{irrelevant} off-topic" in en and f"无关 {irrelevant} 篇" in zh


def _finished(store: Store, chat_id: int) -> bool:
    chat = store.chats.get(chat_id)
    return chat is not None and any(d.status == "sent" for d in deliveries_of(store, chat.id))
