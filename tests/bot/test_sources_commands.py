"""/addsource and /removesource through the real bot: a feed on 127.0.0.1 is checked, added once, removed."""

from __future__ import annotations

from pathlib import Path

import yaml

from crawler.source_admin import current_sources
from crawler.storage import Store
from tests.bot.conftest import ADMIN, bot_settings, running_bot
from tests.bot.test_bot_commands import say
from tests.bot.test_cli_sources import site  # noqa: F401 - the loopback feed fixture
from tests.fakes.telegram_api import FakeTelegram, SentMessage

STRANGER = 12


async def checked(api: FakeTelegram, text: str) -> SentMessage:
    """Send an /addsource and wait for its verdict: the probe starts a crawl process, so give it time."""
    before = len(api.sent(ADMIN))
    api.send(ADMIN, ADMIN, text)
    sent = await api.wait_sent(ADMIN, before + 2, timeout=90)
    assert sent[before].text.startswith("Checking ")
    return sent[before + 1]


async def test_admins_add_and_remove_sources_checked_like_the_cli(
    api: FakeTelegram,
    bot_store: Store,
    tmp_path: Path,
    site: str,  # noqa: F811
) -> None:
    listed = tmp_path / "sources.yaml"
    listed.write_text(yaml.safe_dump({"sources": []}), encoding="utf-8")
    settings = bot_settings(
        tmp_path,
        api.base_url,
        sources_file=str(listed),
        **{"crawl.download_timeout": 5, "crawl.retry_times": 0, "crawl.allowed_networks": ["127.0.0.1/32"]},
    )
    api.private_chat(ADMIN)
    api.private_chat(STRANGER)
    async with running_bot(settings, bot_store):
        [refused] = await say(api, STRANGER, STRANGER, f"/addsource {site}/feed.xml")
        [usage] = await say(api, ADMIN, ADMIN, "/addsource")
        added = await checked(api, f"/addsource {site}/feed.xml wires")
        twice = await checked(api, f"/addsource {site}/feed.xml/")
        dead = await checked(api, f"/addsource {site}/gone.xml")
        [bad] = await say(api, ADMIN, ADMIN, "/addsource file:///etc/passwd")
        [removed] = await say(api, ADMIN, ADMIN, f"/removesource {site}/feed.xml")
        [unknown] = await say(api, ADMIN, ADMIN, f"/removesource {site}/feed.xml")
    assert refused.text == "That command is for seedwatch admins."
    assert usage.text.startswith("Give the source's address")
    assert added.text.startswith(f"Added: {site}/feed.xml: added (Loopback Wire, feed)")
    assert twice.text.startswith("Not added twice:") and "already a source (Loopback Wire)" in twice.text
    assert dead.text.startswith(f"Not added: {site}/gone.xml: not_found")
    assert bad.text.startswith("Not added:") and "not an absolute http(s) URL" in bad.text
    assert removed.text == f"Removed Loopback Wire ({site}/feed.xml): it is no longer crawled."
    assert unknown.text.startswith(f"{site}/feed.xml is not a source")
    assert current_sources(settings, bot_store) == []
