"""The bot through the Telegram stand-in: a simulated user subscribes, sets things, asks for the digest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.judge.types import ClaimMatch
from crawler.storage import Store
from tests.bot.conftest import add_article, add_story, bot_settings, running_bot
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.fakes.telegram_html import utf16_len
from tests.store_reads import deliveries_of

USER = 42


async def say(
    api: FakeTelegram, chat_id: int, user_id: int, text: str, replies: int = 1, **kw: object
) -> list[SentMessage]:
    """Send a message as a user and wait for the bot's replies."""
    before = len(api.sent(chat_id))
    api.send(chat_id, user_id, text, **kw)  # type: ignore[arg-type]
    sent = await api.wait_sent(chat_id, before + replies)
    return sent[before:]


async def test_a_user_subscribes(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    settings = bot_settings(tmp_path, api.base_url)
    api.private_chat(USER, "Ann", language_code="en")
    async with running_bot(settings, bot_store):
        [welcome] = await say(api, USER, USER, "/start")
        assert "/subscribe" in welcome.text
        [done] = await say(api, USER, USER, "/subscribe")
        assert done.text.startswith("Subscribed")
        assert done.link_preview == {"is_disabled": True} and done.parse_mode == "HTML"

    chat = bot_store.chats.get(USER)
    assert chat is not None and chat.subscribed and chat.active
    assert chat.next_due_at is not None and chat.next_due_at > datetime.now(UTC)
    assert [c["command"] for c in api.commands[""]][:2] == ["subscribe", "unsubscribe"]
    assert api.commands["zh"][0]["description"] == "订阅每日摘要"


async def test_a_chinese_user_is_answered_in_chinese(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(USER, "安", language_code="zh-hans")
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [welcome] = await say(api, USER, USER, "/start")
    assert "你好" in welcome.text


def _store_news(
    store: Store, n: int, *, prefix: str = "DeepSeek <R1> & co", fetched: datetime | None = None
) -> None:
    for i in range(n):
        story = add_story(store, f"story {i}")
        lead = add_article(
            store,
            f"{prefix} story {i}",
            text=f"{prefix} story {i}\n" + f"Paragraph with <tags> & ampersands, item {i}. " * 8,
            story=story,
            outlet="Reuters",
            fetched=fetched,
            claims=[ClaimMatch("r1-2000-gpus", "disputes", 0.9, f"<{i}> said more")],
        )
        copy = {
            "story": story,
            "duplicate_of": lead,
            "outlet": "Copycat Daily",
            "text": "short",
            "fetched": fetched,
        }
        add_article(store, f"copy {i}", **copy)  # type: ignore[arg-type]
    add_article(store, "Cooking tips", relevant=False, topics=(), fetched=fetched)


async def test_digest_now_in_both_languages_split_and_escaped(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    settings = bot_settings(tmp_path, api.base_url, **{"bot.digest_max_entries": 60})
    _store_news(bot_store, 45)
    api.private_chat(USER)
    async with running_bot(settings, bot_store):
        api.send(USER, USER, "/digest")
        await api.wait_for(lambda: _delivered(bot_store, USER) == 1)
        english = api.sent(USER)
        [_lang] = await say(api, USER, USER, "/lang zh")
        _store_news(bot_store, 30, prefix="深度求索 <新> & 模型", fetched=datetime.now(UTC))
        before = len(api.sent(USER))
        api.send(USER, USER, "/digest")
        await api.wait_for(lambda: _delivered(bot_store, USER) == 2)
        chinese = api.sent(USER)[before:]

    assert len(english) >= 2, "45 stories do not fit one message"
    for message in english + chinese:
        assert message.parse_mode == "HTML"
        assert utf16_len(message.text.strip()) <= 4096
    shown = "\n".join(m.text for m in english)
    assert shown.startswith("📰 seedwatch digest")
    assert "DeepSeek <R1> & co story 44" in shown and "Paragraph with <tags> & ampersands" in shown
    assert "+1 other outlet: Copycat Daily" in shown
    assert "Left out: 45 more articles on stories already listed, 1 off-topic." in shown
    assert english[-1].text.rstrip().endswith(f"({len(english)}/{len(english)})")
    numbers = [int(n) for m in english for n in re.findall(r"^(\d+)\. ", m.text, re.M)]
    assert numbers == list(range(1, 46))
    zh = "\n".join(m.text for m in chinese)
    assert zh.startswith("📰 seedwatch 每日摘要") and "深度求索 <新> & 模型 story 29" in zh
    assert "DeepSeek <R1> & co" not in zh, "the second digest starts where the first ended"


def _delivered(store: Store, chat_id: int) -> int:
    chat = store.chats.get(chat_id)
    if chat is None:
        return 0
    return sum(d.status == "sent" for d in deliveries_of(store, chat.id))


async def test_nothing_new_says_since_when(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    api.private_chat(USER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [reply] = await say(api, USER, USER, "/digest")
    assert reply.text.startswith("Nothing new since")


async def test_topics_keyboard_toggles(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    api.private_chat(USER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [keyboard] = await say(api, USER, USER, "/topics")
        assert [b["text"] for b in keyboard.buttons] == ["▫️ deepseek", "▫️ stargate"]
        query = api.press(keyboard, "topic:stargate", USER)
        await api.wait_for(lambda: keyboard.edits == 1 and query in api.answers)
        assert [b["text"] for b in keyboard.buttons] == ["▫️ deepseek", "✅ stargate"]
        assert "stargate" in api.answers[query]["text"]
        [status] = await say(api, USER, USER, "/status")
    assert bot_store.chats.get(USER).topics == ["stargate"]  # type: ignore[union-attr]
    assert "Topics: stargate" in status.text


async def test_settings_and_bad_arguments(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    api.private_chat(USER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        replies = {}
        for command in (
            "/time 25:61",
            "/time 7:05",
            "/timezone Mars/Olympus",
            "/timezone Asia/Shanghai",
            "/lang fr",
            "/filter stargate",
            "/filter +Stargate -rumour",
            "/subscribe nosuch",
            "/subscribe Stargate",
            "/frobnicate",
            "/unsubscribe",
        ):
            [replies[command]] = await say(api, USER, USER, command)
    assert replies["/time 25:61"].text.startswith("Give a time as HH:MM")
    assert replies["/time 7:05"].text.startswith("The digest now comes at 07:05 (UTC)")
    assert replies["/timezone Mars/Olympus"].text.startswith("Give a time zone as Area/City")
    assert replies["/timezone Asia/Shanghai"].text.startswith("Time zone set to Asia/Shanghai")
    assert replies["/lang fr"].text.startswith("Choose zh or en")
    assert replies["/filter stargate"].text.startswith("Use /filter +word")
    assert (
        replies["/filter +Stargate -rumour"].text
        == "Keep articles with: Stargate\nDrop articles with: rumour"
    )
    assert replies["/subscribe nosuch"].text == "Unknown topic nosuch. Topics: deepseek, stargate."
    assert replies["/subscribe Stargate"].text.startswith(
        "Subscribed: the digest comes every day at 07:05 (Asia/Shanghai)"
    )
    assert replies["/frobnicate"].text == "I don't know /frobnicate. Send /help for what I can do."
    assert replies["/unsubscribe"].text.startswith("Unsubscribed")
    chat = bot_store.chats.get(USER)
    assert chat is not None and not chat.subscribed
    assert (chat.digest_time, chat.timezone, chat.topics) == ("07:05", "Asia/Shanghai", ["stargate"])
    assert (chat.include_words, chat.exclude_words) == (["Stargate"], ["rumour"])


async def test_filters_shape_the_digest(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    add_article(bot_store, "Stargate site chosen", topics=("stargate",))
    add_article(bot_store, "Stargate rumour denied", topics=("stargate",))
    add_article(bot_store, "DeepSeek news")
    api.private_chat(USER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        await say(api, USER, USER, "/filter +stargate -RUMOUR")
        [digest] = await say(api, USER, USER, "/digest")
    assert "Stargate site chosen" in digest.text
    assert "rumour" not in digest.text and "DeepSeek news" not in digest.text
    assert "2 by your filters" in digest.text


async def test_group_settings_need_a_group_admin(api: FakeTelegram, bot_store: Store, tmp_path: Path) -> None:
    group = api.group(-500, "Readers", admins=(1,), members=(2,))
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [refused] = await say(api, group.id, 2, "/subscribe")
        [sub] = await say(api, group.id, 1, "/subscribe@seedwatch_test_bot")
        [help_reply] = await say(api, group.id, 2, "/help")
        api.send(group.id, 2, "/othercommand")  # not ours: no answer in a group
        [unknown] = await say(api, group.id, 2, "/nonsense@seedwatch_test_bot")
    assert refused.text == "Only the admins of this group can change its settings."
    assert sub.text.startswith("Subscribed")
    assert "/subscribe" in help_reply.text
    assert unknown.text.startswith("I don't know /nonsense")
    assert bot_store.chats.get(-500).subscribed  # type: ignore[union-attr]


async def test_forum_topic_is_where_replies_and_digests_go(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    forum = api.group(-1007, "Forum", admins=(1,), forum_threads=(5, 9))
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store) as app:
        [reply] = await say(api, forum.id, 1, "/subscribe", thread_id=9)
        add_article(bot_store, "DeepSeek in the forum")
        bot_store.chats.update(forum.id, next_due_at=datetime.now(UTC) - timedelta(minutes=1))
        report = await app.bot_data["seedwatch"].deliverer.deliver_due()
    assert reply.thread_id == 9
    assert report.count("sent") == 1
    digest = api.sent(forum.id)[-1]
    assert digest.thread_id == 9 and "DeepSeek in the forum" in digest.text
