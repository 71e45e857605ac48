"""The demo web in a child process.

A crawl and the site it crawls must not share one interpreter: both are busy and Python runs one thread at a
time, so a page served from the crawler's own process arrives late and times out for no fault of the site.
`DemoSiteProcess` has the API of `DemoSite` and serves from `python -m crawler.demo`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from crawler.demo.server import DEFAULT_OVERSIZE_BYTES, DEFAULT_SLOW_DELAY


class DemoSiteProcess:
    """The demo web served by a child process; `start()` returns its base URL."""

    def __init__(
        self, slow_delay: float = DEFAULT_SLOW_DELAY, oversize_bytes: int = DEFAULT_OVERSIZE_BYTES
    ) -> None:
        self.slow_delay = slow_delay
        self.oversize_bytes = oversize_bytes
        self.process: subprocess.Popen[str] | None = None
        self.state: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        """Where the site is served."""
        return str(self.state["base_url"])

    def start(self) -> str:
        """Start the child and wait until it serves; returns the base URL."""
        command = [
            sys.executable,
            "-m",
            "crawler.demo",
            "--state",
            "--slow-delay",
            str(self.slow_delay),
            "--oversize-bytes",
            str(self.oversize_bytes),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait(timeout=10)
            raise RuntimeError(f"the demo web did not start (exit status {code})")
        self.state = json.loads(line)
        return self.base_url

    def sources(self) -> list[dict[str, Any]]:
        """The demo's source list (see `DemoSite.sources`)."""
        return list(self.state["sources"])

    def expectations(self) -> dict[str, Any]:
        """Ground truth for tests (see `DemoSite.expectations`)."""
        return dict(self.state["expectations"])

    def stop(self) -> None:
        """Stop the child."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> DemoSiteProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
