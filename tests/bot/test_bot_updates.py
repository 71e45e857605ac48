"""The bot answers everyone at once, each chat in order; plain text and /filter's limits get an answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.application import COMMANDS
from bot.handlers.chat_settings import MAX_FILTER_WORDS, MAX_WORD
from crawler.storage import Store
from tests.bot.conftest import ADMIN, add_article, bot_settings, running_bot
from tests.bot.test_bot_commands import say
from tests.fakes.telegram_api import FakeTelegram

SLOW, OTHER = 41, 42


class HeldDigests(FakeTelegram):
    """The stand-in, holding every digest message until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.held = 0

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if str(params.get("text", "")).startswith("📰"):
            self.held += 1
            await self.release.wait()
        return await super()._api_sendMessage(params)


@pytest.fixture
async def held_api() -> AsyncIterator[HeldDigests]:
    fake = HeldDigests()
    await fake.start()
    yield fake
    fake.release.set()
    await fake.close()


async def test_one_chats_digest_holds_up_neither_other_chats_nor_its_own_order(
    held_api: HeldDigests, bot_store: Store, tmp_path: Path
) -> None:
    api = held_api
    add_article(bot_store, "DeepSeek news for the slow chat")
    api.private_chat(SLOW)
    api.private_chat(OTHER)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        api.send(SLOW, SLOW, "/digest")
        await api.wait_for(lambda: api.held == 1)
        api.send(SLOW, SLOW, "/help")  # behind its own chat's digest
        # Another chat is answered while the first chat's digest is still on the wire (with one update at
        # a time this would wait for the digest, which waits for this test: a timeout).
        [other] = await say(api, OTHER, OTHER, "/help")
        assert "/subscribe" in other.text
        assert api.sent(SLOW) == []
        api.release.set()
        await api.wait_sent(SLOW, 2)
    digest, help_reply = api.sent(SLOW)
    assert digest.text.startswith("📰") and "DeepSeek news for the slow chat" in digest.text
    assert "/subscribe" in help_reply.text, "the chat's /help is answered after its /digest, in order"


async def test_a_chats_commands_take_effect_in_the_order_sent(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(OTHER)
    times = [f"{hour:02d}:{minute:02d}" for hour in (6, 7, 8) for minute in (0, 15, 30, 45)]
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        for at in times:
            api.send(OTHER, OTHER, f"/time {at}")
        replies = await api.wait_sent(OTHER, len(times))
    assert [r.text.split(" at ")[1][:5] for r in replies] == times
    assert bot_store.chats.get(OTHER).digest_time == times[-1]  # type: ignore[union-attr]


async def test_plain_text_in_private_gets_a_pointer_to_help(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(OTHER, language_code="en")
    api.private_chat(SLOW, "安", language_code="zh-hans")
    group = api.group(-600, "Readers", admins=(1,), members=(2,))
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [english] = await say(api, OTHER, OTHER, "what can you do?")
        [chinese] = await say(api, SLOW, SLOW, "你好")
        api.send(group.id, 2, "morning all")  # people talking in a group: not for us
        [status] = await say(api, group.id, 2, "/status")
    assert english.text == "I answer commands only. Send /help for what I can do."
    assert chinese.text == "我只回应命令。发送 /help 查看可用命令。"
    assert "Subscribed: no" in status.text
    assert len(api.sent(group.id)) == 1


async def test_filter_says_which_words_it_left_out_or_cut(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(OTHER)
    words = [f"word{i}" for i in range(MAX_FILTER_WORDS + 2)]
    long_word = "x" * (MAX_WORD + 15)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [many] = await say(api, OTHER, OTHER, "/filter " + " ".join(f"+{w}" for w in words))
        [cut] = await say(api, OTHER, OTHER, f"/filter -{long_word}")
        [plain] = await say(api, OTHER, OTHER, "/filter -rumour")
    assert many.text.endswith(f"Only 30 words are kept per list; 2 left out: {words[-2]}, {words[-1]}.")
    assert cut.text.endswith(f"1 word cut at 60 characters: {'x' * MAX_WORD}….")
    assert "left out" not in plain.text and "cut at" not in plain.text
    chat = bot_store.chats.get(OTHER)
    assert chat is not None and chat.include_words == words[:MAX_FILTER_WORDS]
    assert chat.exclude_words == ["x" * MAX_WORD, "rumour"]


async def test_help_and_the_menu_come_from_the_command_table(
    api: FakeTelegram, bot_store: Store, tmp_path: Path
) -> None:
    api.private_chat(OTHER)
    api.private_chat(ADMIN)
    async with running_bot(bot_settings(tmp_path, api.base_url), bot_store):
        [user_help] = await say(api, OTHER, OTHER, "/help")
        [admin_help] = await say(api, ADMIN, ADMIN, "/help")
    menu = [c["command"] for c in api.commands[""]]
    assert menu == [c.name for c in COMMANDS if c.menu and not c.admin]
    assert [c["command"] for c in api.commands["zh"]] == menu
    for command in COMMANDS:
        listed = f"/{command.name} " in user_help.text + "\n"
        assert listed == (command.help and not command.admin), command.name
    assert "/broadcast" in admin_help.text and "/broadcast" not in user_help.text
    assert "(now 08:00)" in user_help.text
