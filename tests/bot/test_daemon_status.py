"""`seedwatch status` and the admins' /status: one report, read from the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.cli.crawl import due_now
from bot.status import DAEMON_FACT, NEXT_CRAWL_FACT, collect_status, render_status
from crawler.config import load_settings
from crawler.sources import SourceSpec
from crawler.storage import Store, utcnow
from tests.bot.conftest import ADMIN, add_article, bot_settings, running_bot, subscribe_chat
from tests.fakes.telegram_api import FakeTelegram

NOW = datetime.now(UTC)


def prepared(tmp_path: Path) -> tuple[str, Store]:
    """A database as a running daemon leaves it."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    store = Store(url)
    sources = store.sources
    ok = sources.upsert("https://ok.example/feed", "Healthy Wire", "rss").id
    failing = sources.upsert("https://down.example/feed", "Down Daily", "rss").id
    empty = sources.upsert("https://empty.example/list", "Empty Listing", "listing").id
    sources.upsert("https://new.example/feed", "Brand New", "rss")
    sources.record_success(ok, entries=5, new_articles=2)
    for _ in range(4):
        sources.record_failure(failing, "connection_refused: nothing listens at that address")
    for _ in range(6):
        sources.record_success(empty, entries=0)
    store.sources.set_next_crawls({"https://down.example/feed": NOW + timedelta(hours=16)})
    run = store.runs.start(trigger="scheduled", sources_total=4)
    store.runs.add_counts(run, sources_done=4, sources_failed=1, articles_new=7)
    store.runs.finish(run)
    store.daemon.put_fact(NEXT_CRAWL_FACT, {"at": (NOW + timedelta(minutes=42)).isoformat()})
    store.daemon.put_fact(
        DAEMON_FACT,
        {"pid": 31337, "host": "box", "started_at": NOW.isoformat(), "heartbeat_at": NOW.isoformat()},
    )
    first, second = subscribe_chat(store, 1), subscribe_chat(store, 2)
    subscribe_chat(store, 3, active=False)
    sent, _ = store.deliveries.begin(first, "daily:today", ["digest"])
    store.deliveries.finish(sent.id, "sent")
    store.deliveries.begin(second, "daily:today", ["digest"])  # still pending
    add_article(store, "DeepSeek news")
    return url, store


def test_the_report_says_what_an_operator_needs(tmp_path: Path) -> None:
    url, store = prepared(tmp_path)
    settings = load_settings(environ={}, overrides={"database_url": url, "crawl.empty_alert_after": 5})
    report = collect_status(settings, store, NOW + timedelta(seconds=5))
    text = render_status(report)
    lines = text.splitlines()
    assert lines[0] == "seedwatch status"
    assert lines[1].startswith("Daemon: running, pid 31337 on box")
    assert "Last crawl: run #1 completed (scheduled)" in text and "sources 4/4, 1 failed; 7 new" in text
    assert "Next crawl: " in text and "(in 41 min)" in text
    assert "Sources: 4 (1 ok, 1 failing, 1 yielding nothing, 1 not crawled yet)" in text
    failing = next(line for line in lines if "Down Daily" in line)
    assert "4 failures in a row" in failing and "(in 15 h)" in failing and "connection_refused" in failing
    assert "⚠ Empty Listing: answered but nothing in 6 runs" in text
    assert "· Brand New: not crawled yet" in text and "✓ Healthy Wire: last success" in text
    assert "Subscribed chats: 2 (1 inactive)" in text
    assert "Digests today (since 00:00 UTC): 1 sent, 0 empty, 0 failed" in text
    assert "Deliveries pending: 1" in text
    # Troubled sources first; a Telegram rendering leaves healthy ones out.
    assert lines.index(failing) < lines.index(next(line for line in lines if "Healthy Wire" in line))
    short = render_status(report, "zh", as_html=True, every_source=False)
    assert short.startswith("<b>seedwatch 运行状况</b>") and "Healthy Wire" not in short
    assert "Down Daily" in short and "待发送：1" in short
    stale = collect_status(settings, store, NOW + timedelta(minutes=10))
    assert render_status(stale).splitlines()[1].startswith("Daemon: not running (last seen")
    store.close()


def test_seedwatch_status_prints_the_report_and_json(tmp_path: Path) -> None:
    url, store = prepared(tmp_path)
    store.close()
    runner = CliRunner()
    text = runner.invoke(main, ["status", "--db", url])
    assert text.exit_code == 0, text.output
    assert "Deliveries pending: 1" in text.output and "Down Daily" in text.output
    data = json.loads(runner.invoke(main, ["status", "--db", url, "--json"]).output)
    assert data["pending"] == 1 and data["sent_today"] == 1 and data["last_run"]["articles_new"] == 7
    assert {s["state"] for s in data["sources"]} == {"ok", "failing", "empty", "never"}


async def test_admins_get_the_same_report_from_the_bot(api: FakeTelegram, tmp_path: Path) -> None:
    _url, store = prepared(tmp_path)
    api.private_chat(ADMIN)
    api.private_chat(555)
    async with running_bot(bot_settings(tmp_path, api.base_url), store):
        api.send(ADMIN, ADMIN, "/status")
        api.send(555, 555, "/status")
        await api.wait_for(lambda: bool(api.sent(ADMIN)) and bool(api.sent(555)))
    admin_view, user_view = api.sent(ADMIN)[0].text, api.sent(555)[0].text
    assert "seedwatch status" in admin_view and "Last crawl: run #1 completed" in admin_view
    assert "Down Daily: 4 failures in a row" in admin_view and "Healthy Wire" not in admin_view
    assert "Deliveries pending: 1" in admin_view
    assert "seedwatch status" not in user_view and "Subscribed:" in user_view
    store.close()


def test_the_crawl_child_takes_only_the_due_sources(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'due.db'}"
    settings = load_settings(environ={}, overrides={"database_url": url, "crawl.jitter_seconds": 0})
    specs = [SourceSpec(name=n, kind="rss", url=f"https://{n}.example/feed") for n in ("due", "later", "new")]
    with Store(url) as store:
        for spec in specs[:2]:
            store.sources.upsert(spec.url, spec.name, "rss")
        store.sources.set_next_crawls(
            {specs[0].url: utcnow() - timedelta(minutes=1), specs[1].url: utcnow() + timedelta(hours=3)}
        )
    assert [spec.name for spec in due_now(settings, specs)] == ["due", "new"]
