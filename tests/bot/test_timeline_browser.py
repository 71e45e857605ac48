"""The claims timeline as a reader sees it: the HTML page rendered by headless Chromium, light and dark.

Runs where Chromium is installed (Debian: `apt-get install chromium`) and skips, saying so, elsewhere.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.render import render_timeline_page
from bot.timeline import build_timeline
from crawler.judge.digest import ClaimWording
from crawler.storage.claims import ClaimDay, CoverageDay

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on this machine (apt-get install chromium)"
)

GREEN, RED, BLUE, ORANGE = (0x2F, 0x9E, 0x44), (0xE0, 0x31, 0x31), (0x1C, 0x7E, 0xD6), (0xF0, 0x8C, 0x00)


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    size = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(chunks), width * size
    rows: list[bytearray] = []
    prior = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - size] if i >= size else 0
            b, c = prior[i], prior[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prior = line
    pixels = [tuple(row[x * size : x * size + 3]) for row in rows for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel, colour, strict=True))


def screenshot(page: Path, out: Path, dark: bool) -> list[tuple[int, int, int]]:
    assert BROWSER is not None
    command = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        f"--user-data-dir={out.parent / ('profile-dark' if dark else 'profile-light')}",
        "--window-size=800,900", f"--screenshot={out}", page.as_uri(),
    ]  # fmt: skip
    if dark:
        command.insert(1, "--force-dark-mode")
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    width, height, pixels = read_png(out.read_bytes())
    assert (width, height) == (800, 900)
    return pixels


def test_the_chart_shows_in_chromium_in_light_and_dark_mode(tmp_path: Path) -> None:
    start = date(2025, 1, 20)
    rows = [ClaimDay("s", "cost", "supports", start + timedelta(days=i), 1 + i % 3) for i in range(0, 20, 2)]
    rows += [ClaimDay("s", "cost", "disputes", start + timedelta(days=i), 2) for i in (3, 7, 11)]
    rows += [ClaimDay("s", "open", "mentions", start + timedelta(days=i), 1) for i in (1, 5)]
    cov = [
        CoverageDay(start + timedelta(days=i), lang, 2 + i % 4) for i in range(20) for lang in ("en", "zh")
    ]
    wording = {"cost": ClaimWording("cost", en="R1 cost under US$6 million to train.")}
    page = tmp_path / "claims.html"
    page.write_text(render_timeline_page(build_timeline(rows, cov, ["cost", "open"]), "en", wording), "utf-8")
    for dark in (False, True):
        pixels = screenshot(page, tmp_path / f"{'dark' if dark else 'light'}.png", dark)
        background = Counter(pixels).most_common(1)[0][0]
        if dark:
            assert max(background) < 60, f"dark mode should give a dark page, got {background}"
            light_text = sum(1 for p in pixels if min(p) > 180)
            assert light_text > 200, "text must be light on the dark page"
        else:
            assert min(background) > 230, f"light mode should give a white page, got {background}"
            dark_text = sum(1 for p in pixels if max(p) < 80)
            assert dark_text > 200, "text must be dark on the light page"
        for name, colour in (("supports", GREEN), ("disputes", RED), ("English", BLUE), ("Chinese", ORANGE)):
            assert sum(1 for p in pixels if near(p, colour)) > 100, f"no {name} bars drawn (dark={dark})"
