"""One daemon per database, as an operator sees it: two `seedwatch run` started at once, one refuses in one
line naming the other; SIGKILL the survivor and the next one takes over. The first pass runs at start."""

from __future__ import annotations

import asyncio
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.storage import DaemonLock, Store
from tests.bot.conftest import add_article, subscribe_chat
from tests.bot.daemon_helpers import DaemonProcess, daemon_env, wait_until
from tests.fakes.telegram_api import FakeTelegram

pytestmark = [pytest.mark.slow]

CHAT = 8100


def holder_pid(store: Store) -> int | None:
    held = DaemonLock(store.db, "observer", "observer", 0, timedelta(seconds=1)).holder_now()
    return held.pid if held is not None else None


async def test_two_daemons_on_one_database_one_refuses_and_a_killed_one_is_replaced(
    db_url: str, tmp_path: Path, api: FakeTelegram
) -> None:
    store = Store(db_url)
    api.private_chat(CHAT)
    subscribe_chat(store, CHAT, due=datetime.now(UTC) - timedelta(minutes=5))
    add_article(store, "DeepSeek news due before the daemon started")
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    env = daemon_env(
        tmp_path,
        api,
        database_url=db_url,
        sources_file=str(tmp_path / "sources.yaml"),
        daemon__dispatch_every_seconds="600",  # only the pass at start can send the digest in time
        daemon__lease_seconds="3",
    )
    pair = [await DaemonProcess(env, tmp_path / f"daemon-{i}.log").start() for i in (1, 2)]
    try:
        await wait_until(lambda: any(d.process.returncode is not None for d in pair), what="for a refusal")  # type: ignore[union-attr]
        [refused] = [d for d in pair if d.process.returncode is not None]  # type: ignore[union-attr]
        [running] = [d for d in pair if d is not refused]
        assert refused.process.returncode == 1  # type: ignore[union-attr]
        errors = [line for line in refused.tail().splitlines() if line.startswith("Error:")]
        holder = f"(pid {running.pid} on {socket.gethostname()}, lease renewed "
        assert len(errors) == 1, refused.tail()
        assert errors[0].startswith(f"Error: another seedwatch daemon holds this database {holder}")
        assert "Traceback" not in refused.tail()

        await wait_until(lambda: len(api.sent(CHAT)) == 1, running, what="for the digest already due")
        assert "DeepSeek news due before the daemon started" in api.sent(CHAT)[0].text
        assert holder_pid(store) == running.pid

        await running.kill()
        successor = await DaemonProcess(env, tmp_path / "daemon-3.log").start()
        await wait_until(lambda: holder_pid(store) == successor.pid, successor, what="for the take-over")
        await asyncio.sleep(1.0)
        assert await successor.signal(signal.SIGTERM) == 0, successor.tail()
        assert holder_pid(store) is None, "a clean stop gives the lock up"
        assert len(api.sent(CHAT)) == 1, "the digest went out once"
    finally:
        for daemon in pair:
            if daemon.process is not None and daemon.process.returncode is None:
                await daemon.kill()
        store.close()
