"""Crawls tell the truth, as `seedwatch` processes on a fixture site on 127.0.0.1.

A source whose every page fails is failing (in `sources`, `status` and the admins' alerts), a page whose
declared charset is wrong is decoded right and says so, and a crawl whose every source failed exits 1
with the reason in one line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.alerts import Alerter
from crawler.config import load_settings
from crawler.storage import Store

pytestmark = [pytest.mark.slow]

FAST = {
    "SEEDWATCH_CRAWL__DOWNLOAD_TIMEOUT": "5",
    "SEEDWATCH_CRAWL__RETRY_TIMES": "0",
    "SEEDWATCH_CRAWL__DOWNLOAD_DELAY": "0",
    "SEEDWATCH_CRAWL__AUTOTHROTTLE": "false",
    "SEEDWATCH_CRAWL__EXTRACT_PROCESSES": "0",
    "SEEDWATCH_CRAWL__OBEY_ROBOTS": "false",
    "SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["127.0.0.1/32"]',  # the loopback site, and nothing else
}
ZH_PARAGRAPH = (
    "中国人工智能公司深度求索周一发布了新的推理模型，称其性能可与美国同行竞争，而训练成本只是其一小部分。"
    "分析人士表示，这一消息引发了科技股的大幅抛售，英伟达股价当天下跌了百分之十七，市值蒸发近六千亿美元。"
)
FR_PARAGRAPH = (
    "Le ministre a déclaré que l’été serait « décisif » pour la réforme de l’intelligence artificielle, "
    "et qu’il faudrait être prêt à négocier dès la rentrée avec les entreprises du secteur, a-t-il ajouté."
)


def page(title: str, paragraph: str) -> str:
    body = "".join(f"<p>{paragraph}（{i}）</p>" for i in range(8))
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><article><h1>{title}</h1>{body}</article></body></html>"


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Item {p}</title><link>{base}{p}</link></item>" for p in paths)
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode()
    )


def routes(base: str) -> dict[str, tuple[int, str, bytes]]:
    broken = ["/broken/a1", "/broken/a2", "/broken/a3"]
    return {
        "/broken/feed.xml": (200, "application/rss+xml", rss(base, broken)),
        "/broken/a1": (500, "text/html; charset=utf-8", b"<html>oops</html>"),
        "/broken/a2": (404, "text/html; charset=utf-8", b"<html>gone</html>"),
        "/broken/a3": (503, "text/html; charset=utf-8", b"<html>busy</html>"),
        "/mixed/feed.xml": (200, "application/rss+xml", rss(base, ["/mixed/gbk", "/mixed/latin"])),
        # A GBK page served as UTF-8, and a UTF-8 page served as ISO-8859-1: both as real sites send them.
        "/mixed/gbk": (
            200,
            "text/html; charset=utf-8",
            page("深度求索发布新模型", ZH_PARAGRAPH).encode("gbk"),
        ),
        "/mixed/latin": (200, "text/html; charset=ISO-8859-1", page("L’été décisif", FR_PARAGRAPH).encode()),
    }


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    table = routes(base)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, content_type, body = table.get(self.path, (404, "text/plain", b"not here"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def seedwatch(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")}
    return subprocess.run(  # noqa: PLW1510 - the test reads the exit status
        [sys.executable, "-m", "bot", *args, "--db", db],
        capture_output=True,
        text=True,
        env={**clean, **FAST},
        timeout=240,
    )


def write_sources(folder: Path, base: str, *names: str) -> Path:
    path = folder / f"{'-'.join(names)}.yaml"
    sources = [{"name": name, "url": f"{base}/{name}/feed.xml", "kind": "rss"} for name in names]
    path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    return path


def last_error_line(completed: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    return [line for line in completed.stderr.splitlines() if line.strip()][-1]


async def test_pages_that_all_fail_make_a_failing_source_and_wrong_charsets_are_noted(
    site: str, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'truth.db'}"
    first = seedwatch("crawl", "--sources", str(write_sources(tmp_path, site, "broken", "mixed")), db=db)
    assert first.returncode == 0, first.stderr[-3000:]

    records = {
        r["url"].rsplit("/", 1)[-1]: r
        for r in map(json.loads, seedwatch("export", db=db).stdout.splitlines())
    }
    assert set(records) == {"gbk", "latin"}
    assert "深度求索" in records["gbk"]["text"] and "\ufffd" not in records["gbk"]["text"]
    assert (
        "declared charset utf-8 (HTTP header) does not fit the page; decoded as gb18030"
        in (records["gbk"]["extraction_note"])
    )
    assert "l’été" in records["latin"]["text"]
    assert "declared charset iso-8859-1" in records["latin"]["extraction_note"]

    listed = seedwatch("sources", db=db).stdout.splitlines()
    rows = {line.split("\t")[0]: line.split("\t") for line in listed[1:]}
    header = listed[0].split("\t")
    broken, mixed = rows["broken"], rows["mixed"]
    assert broken[header.index("failures")] == "1" and mixed[header.index("failures")] == "0"
    assert broken[header.index("last error")].startswith("every page failed (3 of 3")
    status = json.loads(seedwatch("status", "--json", db=db).stdout)
    states = {s["name"]: s["state"] for s in status["sources"]}
    assert states == {"broken": "failing", "mixed": "ok"}

    # Again, the broken source alone: a streak, and a crawl whose every source failed.
    second = seedwatch("crawl", "--sources", str(write_sources(tmp_path, site, "broken")), db=db)
    assert second.returncode == 1
    assert last_error_line(second) == (
        "Error: crawl run #2 failed: every source failed (1 of 1: pages_failed)"
    )
    told: list[tuple[int, str]] = []

    async def send(chat: int, text: str) -> None:
        told.append((chat, text))

    settings = load_settings(
        environ={}, overrides={"database_url": db, "bot.admin_ids": [42], "crawl.failure_alert_after": 2}
    )
    with Store(db) as store:
        messages = await Alerter(settings, store, send).review(
            [f"{site}/broken/feed.xml", f"{site}/mixed/feed.xml"]
        )
    assert len(messages) == 1 and told[0][0] == 42
    assert "Source failing: broken" in messages[0] and "2 failures in a row" in messages[0]
    assert "every page failed (3 of 3" in messages[0]
    assert len(seedwatch("export", db=db).stdout.splitlines()) == 2  # nothing stored was lost


def test_a_crawl_whose_every_source_failed_exits_1_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'dead.db'}"
    completed = seedwatch("crawl", "--source", f"http://127.0.0.1:{port}/feed.xml", db=db)
    assert completed.returncode == 1
    assert last_error_line(completed) == (
        "Error: crawl run #1 failed: every source failed (1 of 1: connection_refused)"
    )
    with Store(db) as store:
        run = store.runs.get(1)
    assert run is not None and run.status == "failed" and run.error is not None
