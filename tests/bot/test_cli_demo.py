"""`seedwatch demo`, as a user runs it: twice on the bundled corpus, the same result both times.

The demo serves its news web on a new port each run and stamps the digest with the current time; apart
from those (and where its database lives), its output, its database and what the other commands read
from it must be the same: pages, copies, stories, claims and digest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo-repeat"), pytest.mark.timeout(1200)]

PORT = re.compile(r"127\.0\.0\.1:\d+")
WINDOW = re.compile(r"[^<>\n]*? – [^<>\n]*?[(（](?:UTC|[A-Za-z_]+/[A-Za-z_]+)[)）]")  # the digest's window


def seedwatch(*args: str, cwd: Path) -> str:
    """Run `seedwatch` as a user would, in `cwd`, on a wide terminal-less console; return its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")}
    env.update({"COLUMNS": "250", "SEEDWATCH_DATA_DIR": str(cwd / "data")})
    completed = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    assert completed.returncode == 0, f"seedwatch {' '.join(args)}:\n{completed.stderr[-3000:]}"
    assert "Traceback" not in completed.stdout + completed.stderr
    return completed.stdout


def run_demo(folder: Path) -> dict[str, str]:
    """One `seedwatch demo` in its own folder and what the other commands then say, made comparable."""
    folder.mkdir()
    out = {"demo": seedwatch("demo", "--html", "digest.html", cwd=folder)}
    db = "sqlite:///" + str(folder / "data" / "demo.db")
    out["export"] = "\n".join(
        json.dumps({k: v for k, v in json.loads(line).items() if k != "fetched"}, ensure_ascii=False)
        for line in seedwatch("export", "--db", db, cwd=folder).splitlines()
    )
    out["claims"] = seedwatch("claims", "--db", db, "--format", "json", cwd=folder)
    out["digest"] = seedwatch(
        "digest", "--db", db, "--print", "--lang", "zh", "--since", "2025-01-27", cwd=folder
    )
    out["html"] = (folder / "digest.html").read_text(encoding="utf-8")
    return {key: WINDOW.sub("<window>", PORT.sub("<host>", text.replace(str(folder), "<folder>")))
            for key, text in out.items()}  # fmt: skip


def test_the_demo_gives_the_same_result_twice(tmp_path: Path) -> None:
    # Side by side, as two users on one machine would: each demo mostly waits (one request at a time, the
    # deliberately slow page), and neither may depend on the other's port, folder or timing.
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run_demo, (tmp_path / "one", tmp_path / "two"))
    for key in first:
        assert first[key] == second[key], f"the demo's {key} differs between two runs"
    demo = first["demo"]
    # One vocabulary: the stored line adds up the crawl table's new, copies and off-topic.
    stored = re.search(
        r"Stored (\d+) articles: (\d+) new, (\d+) copies of another article, (\d+) off-topic", demo
    )
    assert stored is not None, demo[:3000]
    total, new, copies, off_topic = map(int, stored.groups())
    assert total == new + copies + off_topic and new >= 80 and copies >= 5
    assert f"Copies ({copies})" in demo
    # The digest's header and its closing line count the same articles.
    header = re.search(r"(\d+) stories from (\d+) articles", demo)
    footer = re.search(r"Left out: (\d+) more articles on stories already listed, (\d+) off-topic", demo)
    assert header is not None and footer is not None
    stories, articles = map(int, header.groups())
    assert stories + int(footer.group(1)) + int(footer.group(2)) == articles == total
    assert int(footer.group(2)) == off_topic
    # The timeline is in the web page, and the other commands read the demo's database.
    assert "<svg" in first["html"] and "Relevant articles per day" in first["html"]
    assert len(json.loads(first["claims"])) == 22 and "seedwatch 每日摘要" in first["digest"]
    assert "export SEEDWATCH_DATABASE_URL=sqlite:///data/demo.db" in demo
