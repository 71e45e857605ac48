"""With `bot.webhook_url` set, the daemon takes updates by webhook, checking Telegram's secret header."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.daemon import Daemon, webhook_secret
from bot.supervise import ChildCommand
from crawler.storage import Store
from tests.bot.conftest import bot_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram


class WebhookTelegram(FakeTelegram):
    """The stand-in, also answering setWebhook."""

    webhooks: list[dict[str, Any]]

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhooks = [*getattr(self, "webhooks", []), params]
        return True


@pytest.fixture
async def api() -> AsyncIterator[WebhookTelegram]:
    fake = WebhookTelegram()
    await fake.start()
    yield fake
    await fake.close()


async def listening(port: int) -> None:
    """Wait until the webhook server accepts connections (it binds after telling Telegram its URL)."""
    for _ in range(200):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on port {port}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_updates_arrive_by_webhook_and_strangers_are_refused(
    api: WebhookTelegram, tmp_path: Path
) -> None:
    port = free_port()
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    settings = bot_settings(
        tmp_path,
        api.base_url,
        **{
            "bot.webhook_url": f"http://127.0.0.1:{port}/telegram-hook",
            "bot.webhook_port": port,
            "sources_file": str(tmp_path / "sources.yaml"),
        },
    )
    store = Store(settings.database)
    daemon = Daemon(settings, store, ChildCommand((sys.executable, "-m", "bot"), {}, None))
    daemon.claim()
    running = asyncio.create_task(daemon.run(install_signals=False))
    chat = api.private_chat(808)
    update = {"update_id": 1, "message": api._new_message(chat, api.user(808), "/help")}
    url = f"http://127.0.0.1:{port}/telegram-hook"
    try:
        await api.wait_for(lambda: bool(getattr(api, "webhooks", [])))
        await listening(port)
        [hook] = api.webhooks
        assert hook["url"] == url and hook["secret_token"] == webhook_secret(TOKEN)
        assert TOKEN not in hook["secret_token"]
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            ) as bad:
                assert bad.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(TOKEN)}
            async with http.post(url, json={**update, "update_id": 2}, headers=headers) as good:
                assert good.status == 200
        [answer] = await api.wait_sent(808, 1)
        assert "/subscribe" in answer.text
    finally:
        daemon.request_stop()
        await asyncio.wait_for(running, 30)
        store.close()
    assert len(api.sent(808)) == 1  # the refused update was never handled
