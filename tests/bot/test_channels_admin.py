"""Channels set up from a private chat, admin-only commands, migration and removal events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crawler.storage import Store
from tests.bot.conftest import ADMIN, add_article, bot_settings, running_bot, subscribe_chat
from tests.bot.test_bot_commands import say
from tests.fakes.telegram_api import FakeTelegram

OWNER, STRANGER = 11, 12


async def test_a_channel_is_set_up_from_a_private_chat(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    channel = api.channel(-1009, "deepnews", admins=(OWNER,))
    api.private_chat(OWNER)
    api.private_chat(STRANGER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        [refused] = await say(api, STRANGER, STRANGER, "/channel @deepnews")
        [done] = await say(api, OWNER, OWNER, "/channel @deepnews")
        [timed] = await say(api, OWNER, OWNER, "/time 06:30")
        [langed] = await say(api, OWNER, OWNER, "/lang zh")
        [own_again] = await say(api, OWNER, OWNER, "/channel off")
        [own_time] = await say(api, OWNER, OWNER, "/time 21:00")
        add_article(bot_store, "DeepSeek for the channel")
        bot_store.chats.update(
            channel.id, next_due_at=bot_store.chats.get(channel.id).next_due_at.replace(year=2000)
        )  # type: ignore[union-attr]
        report = await app.bot_data["seedwatch"].deliverer.deliver_due()
    assert refused.text == "Only admins of @deepnews can set it up."
    assert done.text.startswith("Channel @deepnews is set up and subscribed.")
    assert timed.text.endswith("(channel @deepnews)")
    assert langed.text == "Language set to Chinese. (channel @deepnews)"
    stored = bot_store.chats.get(channel.id)
    assert stored is not None and stored.kind == "channel" and stored.subscribed and stored.added_by == OWNER
    assert (stored.digest_time, stored.lang) == ("06:30", "zh")
    assert "(channel" not in own_time.text and bot_store.chats.get(OWNER).digest_time == "21:00"  # type: ignore[union-attr]
    assert own_again.text.startswith("The settings commands apply to this chat again")
    assert report.count("sent") >= 1
    [post] = api.sent(channel.id)
    assert post.text.startswith("📰 seedwatch 每日摘要") and "DeepSeek for the channel" in post.text


async def test_channel_checks_and_forwarded_post(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    api.channel(-1010, "nobot", admins=(OWNER,), bot_admin=False)
    api.channel(-1011, "viaforward", admins=(OWNER,))
    api.group(-55, "A group", admins=(OWNER,))
    api.private_chat(OWNER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [not_admin] = await say(api, OWNER, OWNER, "/channel @nobot")
        [missing] = await say(api, OWNER, OWNER, "/channel @nowhere")
        [in_group] = await say(api, -55, OWNER, "/channel@seedwatch_test_bot @viaforward")
        before = len(api.sent(OWNER))
        api.forward_from_channel(OWNER, OWNER, -1011)
        [forwarded] = (await api.wait_sent(OWNER, before + 1))[before:]
    assert not_admin.text.startswith("I am not an admin of @nobot allowed to post")
    assert missing.text.startswith("I can't see the channel @nowhere")
    assert in_group.text == "Do that in a private chat with me."
    assert forwarded.text.startswith("Channel @viaforward is set up")
    assert bot_store.chats.get(-1011).subscribed  # type: ignore[union-attr]


async def test_admin_commands_only_for_listed_admins(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(ADMIN)
    api.private_chat(STRANGER)
    for user in (201, 202):
        api.private_chat(user)
        subscribe_chat(bot_store, user)
    add_article(bot_store, "DeepSeek counted")
    crawls: list[str] = []

    async def fake_crawl() -> str:
        crawls.append("ran")
        return "exit 0: 3 new articles"

    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store, crawl=fake_crawl):
        [refused] = await say(api, STRANGER, STRANGER, "/stats")
        [refused_crawl] = await say(api, STRANGER, STRANGER, "/crawl")
        [stats] = await say(api, ADMIN, ADMIN, "/stats")
        started, finished = await say(api, ADMIN, ADMIN, "/crawl", replies=2)
        [bad] = await say(api, ADMIN, ADMIN, "/broadcast")
        [done] = await say(api, ADMIN, ADMIN, "/broadcast Maintenance <tonight> & tomorrow")
        [status] = await say(api, ADMIN, ADMIN, "/status")
    assert refused.text == refused_crawl.text == "That command is for seedwatch admins."
    assert "Articles: 1 (1 relevant, 1 in the last 24 h)" in stats.text
    assert (started.text, finished.text) == ("Crawl started.", "Crawl finished: exit 0: 3 new articles")
    assert crawls == ["ran"]
    assert bad.text.startswith("Give the text to send")
    assert done.text == "Broadcast queued for 2 chats: 2 sent, 0 failed."
    for user in (201, 202):
        assert [m.text for m in api.sent(user)] == ["Maintenance <tonight> & tomorrow"]
    assert "Subscribed chats: 2" in status.text


async def test_migration_event_and_removal(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    api.group(-66, "Moving group", admins=(OWNER,))
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        await say(api, -66, OWNER, "/subscribe")
        new_id = api.migrate(-66)
        await api.wait_for(lambda: bot_store.chats.get(new_id) is not None)
        await asyncio.sleep(0)
    moved = bot_store.chats.get(new_id)
    assert moved is not None and moved.subscribed and bot_store.chats.get(-66) is None
