"""Running the real daemon (`python -m bot run`) against the Telegram stand-in, as an operator would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from crawler.config import PROJECT_ROOT
from tests.fakes.telegram_api import TOKEN, ApiError, FakeTelegram

FAST_CRAWL = {
    "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "2",
    "SEEDWATCH_CRAWL__RETRY_TIMES": "0",
    "SEEDWATCH_CRAWL__DOWNLOAD_DELAY": "0",
    "SEEDWATCH_CRAWL__AUTOTHROTTLE": "false",
    "SEEDWATCH_CRAWL__CONCURRENT_PER_DOMAIN": "16",
    "SEEDWATCH_CRAWL__EXTRACT_PROCESSES": "0",
    "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',  # the loopback site, and nothing else
    "SEEDWATCH_JUDGE__EMBEDDING_BACKEND": "none",  # the daemon's handling of crawls, not their judging
}


class GatedTelegram(FakeTelegram):
    """The stand-in, able to swallow sendMessage calls (a network that loses them) or hold them in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_after: int | None = None  # messages taken before the rest are swallowed
        self.delay_after: int | None = None  # messages taken before the rest take `delay` seconds
        self.delay = 0.0
        self.held = 0
        self.in_flight = 0
        self._release = asyncio.Event()

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.held += 1
            await self._release.wait()
            raise ApiError(502, "Bad Gateway")  # answered to nobody: this message never reached Telegram
        if self.delay_after is not None and len(self.messages) >= self.delay_after:
            self.in_flight += 1
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
        return await super()._api_sendMessage(params)

    def release_held(self) -> None:
        """Let the swallowed calls end (without delivering them) and stop swallowing."""
        self.hold_after = None
        self._release.set()


def daemon_env(tmp_path: Path, api: FakeTelegram, **settings: str) -> dict[str, str]:
    """The environment of a daemon on this test's database, talking to the stand-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDWATCH_", "TELEGRAM_"))}
    env.update(
        {
            "SEEDWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'daemon.db'}",
            "SEEDWATCH_DATA_DIR": str(tmp_path / "data"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "SEEDWATCH_BOT__BASE_URL": api.base_url,
            "SEEDWATCH_BOT__POLL_TIMEOUT": "1",
            "SEEDWATCH_DAEMON__DISPATCH_EVERY_SECONDS": "0.5",
            "SEEDWATCH_DAEMON__STOP_TIMEOUT_SECONDS": "20",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"SEEDWATCH_{key.upper()}": value for key, value in settings.items()})
    return env


class DaemonProcess:
    """One `python -m bot run` process (in a process group of its own), its log in a file."""

    started: ClassVar[list[DaemonProcess]] = []  # what `end_daemons` ends after each test

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> DaemonProcess:
        """Start it."""
        with self.log.open("ab") as handle:
            argv = [sys.executable, "-m", "bot", "run"]
            self.process = await asyncio.create_subprocess_exec(
                *argv, env=self.env, stdout=handle, stderr=handle, cwd=PROJECT_ROOT, start_new_session=True
            )
        DaemonProcess.started.append(self)
        return self

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.process is not None
        return self.process.pid

    def tail(self, lines: int = 40) -> str:
        """The end of its log, for failure messages."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def signal(self, sig: int, timeout: float = 60.0) -> int:
        """Send a signal and wait for the process to end; returns its exit status."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def kill(self) -> None:
        """SIGKILL, as a power cut would."""
        await self.signal(signal.SIGKILL)

    @classmethod
    def end_all(cls) -> None:
        """SIGKILL the process group of every daemon a test left running (a failed test, say)."""
        for daemon in cls.started:
            if daemon.process is not None and daemon.process.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(daemon.process.pid, signal.SIGKILL)
        cls.started.clear()


async def wait_until(
    condition: Callable[[], bool], daemon: DaemonProcess | None = None, timeout: float = 60.0, what: str = ""
) -> None:
    """Poll until `condition()` holds; fail with the daemon's log otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if daemon is not None and daemon.process is not None and daemon.process.returncode is not None:
            raise AssertionError(f"the daemon exited ({daemon.process.returncode}) {what}:\n{daemon.tail()}")
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting {what}:\n{daemon.tail() if daemon else ''}")
        await asyncio.sleep(0.05)
