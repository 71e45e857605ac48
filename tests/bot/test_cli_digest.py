"""`seedwatch digest` (--print, --html, --send) and `seedwatch bot`, as a user runs them."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from crawler.storage import Store
from tests.bot.conftest import add_article, subscribe_chat
from tests.fakes.telegram_api import TOKEN, FakeTelegram

OURS = [key for key in os.environ if key.startswith("SEEDWATCH_") or key == "TELEGRAM_BOT_TOKEN"]
CLEAN_ENV: dict[str, str | None] = dict.fromkeys(OURS)  # unset for the command under test


def _fill(url: str) -> None:
    store = Store(url)
    add_article(store, "DeepSeek <R1> tops the App Store", outlet="Daily & Co")
    add_article(store, "Stargate site in Abilene", topics=("stargate",))
    add_article(store, "Old news", fetched=datetime.now(UTC) - timedelta(days=3))
    store.close()


def test_print_in_both_languages_and_filters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    _fill(url)
    runner = CliRunner()
    english = runner.invoke(main, ["digest", "--db", url], env=CLEAN_ENV)
    assert english.exit_code == 0, english.output
    assert english.output.startswith("📰 seedwatch digest")
    assert "DeepSeek <R1> tops the App Store" in english.output and "Daily & Co" in english.output
    assert "Old news" not in english.output
    chinese = runner.invoke(
        main, ["digest", "--print", "--lang", "zh", "--topic", "stargate", "--db", url], env=CLEAN_ENV
    )
    assert chinese.exit_code == 0, chinese.output
    assert "seedwatch 每日摘要" in chinese.output and "Stargate site in Abilene" in chinese.output
    assert "App Store" not in chinese.output
    older = runner.invoke(
        main,
        ["digest", "--since", (datetime.now(UTC) - timedelta(days=4)).date().isoformat(), "--db", url],
        env=CLEAN_ENV,
    )
    assert "Old news" in older.output


def test_html_page_and_bad_input(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    _fill(url)
    page = tmp_path / "digest.html"
    runner = CliRunner()
    result = runner.invoke(main, ["digest", "--html", str(page), "--db", url], env=CLEAN_ENV)
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "DeepSeek &lt;R1&gt; tops the App Store" in html
    bad_since = runner.invoke(main, ["digest", "--since", "yesterday", "--db", url], env=CLEAN_ENV)
    assert bad_since.exit_code == 2 and "use YYYY-MM-DD" in bad_since.output
    bad_topic = runner.invoke(main, ["digest", "--topic", "nosuch", "--db", url], env=CLEAN_ENV)
    assert bad_topic.exit_code == 2 and "unknown topic 'nosuch'" in bad_topic.output
    no_token = runner.invoke(main, ["digest", "--send", "--db", url], env=CLEAN_ENV)
    assert no_token.exit_code == 2 and "TELEGRAM_BOT_TOKEN" in no_token.output
    no_bot = runner.invoke(main, ["bot", "--db", url], env=CLEAN_ENV)
    assert no_bot.exit_code == 2 and "TELEGRAM_BOT_TOKEN" in no_bot.output


async def test_send_reaches_every_due_subscriber_once(api: FakeTelegram, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    _fill(url)
    store = Store(url)
    for user in (301, 302):
        api.private_chat(user)
        subscribe_chat(store, user)
    subscribe_chat(store, 303, due=datetime.now(UTC) + timedelta(hours=3))  # not due yet
    store.close()
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, SEEDWATCH_BOT__BASE_URL=api.base_url)
    outputs = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from bot.cli import main; main()", "digest", "--send", "--db", url,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert TOKEN not in out.decode() + err.decode()
        outputs.append(out.decode())
    assert outputs[0].startswith("2 digests due, 0 resumed: 2 sent")
    assert outputs[1].startswith("0 digests due, 0 resumed: nothing sent")
    for user in (301, 302):
        [message] = api.sent(user)
        assert "DeepSeek <R1> tops the App Store" in message.text
    assert api.sent(303) == []
