"""`seedwatch seeds add|list|show` and `seedwatch claims` on a temporary seed folder and database."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from crawler.config import PROJECT_ROOT
from crawler.judge.types import ClaimMatch, Stance, StoredArticle
from crawler.storage import Store

ARTICLE = (
    "Acme Robotics said on 3 March 2025 that it had raised $120 million from Northwind Capital.\n"
    "It was a sunny day.\n"
    '"We will double production by next year," chief executive Maria Lopez told reporters.\n'
)


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    """A config file with this test's seed folder and database; the real seed copied in."""
    seeds = tmp_path / "seeds"
    (seeds / "deepseek-stargate").mkdir(parents=True)
    real = PROJECT_ROOT / "seeds" / "deepseek-stargate" / "claims.yaml"
    (seeds / "deepseek-stargate" / "claims.yaml").write_text(
        real.read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "test.toml"
    path.write_text(
        f'database_url = "{sqlite_url}"\nseeds_dir = "{seeds}"\nseeds = ["deepseek-stargate"]\n'
        f'data_dir = "{tmp_path / "data"}"\n'
        '[crawl]\nallowed_networks = ["127.0.0.1/32"]\n',
        encoding="utf-8",
    )
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_seeds_add_writes_a_draft_and_refuses_to_overwrite(tmp_path: Path, config: Path) -> None:
    source = tmp_path / "acme.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    code, output = run("seeds", "add", str(source), "--name", "acme", "--config", str(config))
    assert code == 0, output
    folder = tmp_path / "seeds" / "acme"
    claims = (folder / "claims.yaml").read_text(encoding="utf-8")
    assert claims.startswith("# DRAFT") and "draft: true" in claims and "$120 million" in claims
    assert (folder / "article.en.txt").read_text(encoding="utf-8").startswith("Acme Robotics")
    code, output = run("seeds", "add", str(source), "--name", "acme", "--config", str(config))
    assert code != 0 and "already exists" in output
    assert (folder / "claims.yaml").read_text(encoding="utf-8") == claims


def test_seeds_add_rejects_a_bad_name_and_a_missing_file(tmp_path: Path, config: Path) -> None:
    source = tmp_path / "acme.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    code, output = run("seeds", "add", str(source), "--name", "Bad Name", "--config", str(config))
    assert code == 2 and "lower-case" in output
    code, output = run("seeds", "add", str(tmp_path / "missing.txt"), "--config", str(config))
    assert code == 2 and "is not a file" in output


class _Page(BaseHTTPRequestHandler):
    body = (
        "<html><head><title>Acme raises money</title></head><body><nav>Home | News | Sport</nav>"
        "<article><h1>Acme raises money</h1>"
        + "".join(f"<p>{line}</p>" for line in ARTICLE.splitlines())
        + "<p>The company, founded in Lyon, now employs 450 people across three factories in France.</p>"
        "<p>Northwind Capital has backed several robotics firms since it was set up in 2019.</p>"
        "</article><footer>Copyright</footer></body></html>"
    ).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/acme.html"
    server.shutdown()
    server.server_close()


def test_seeds_add_fetches_and_extracts_a_url(tmp_path: Path, config: Path, page_url: str) -> None:
    code, output = run("seeds", "add", page_url, "--config", str(config))
    assert code == 0, output
    folder = tmp_path / "seeds" / "acme-raises-money"
    article = (folder / "article.en.txt").read_text(encoding="utf-8")
    assert article.startswith("Acme raises money") and "Home | News" not in article
    assert "$120 million" in (folder / "claims.yaml").read_text(encoding="utf-8")


def test_seeds_list_and_show(tmp_path: Path, config: Path) -> None:
    broken = tmp_path / "seeds" / "broken"
    broken.mkdir()
    (broken / "claims.yaml").write_text("seed: broken\nclaims: []\n", encoding="utf-8")
    code, output = run("seeds", "list", "--config", str(config))
    assert code == 0
    lines = output.splitlines()
    assert lines[0].split("\t")[:5] == ["seed", "language", "claims", "draft", "watched"]
    assert "deepseek-stargate\tzh\t22\tno\tyes" in output
    assert "broken" in output and "field 'claims'" in output
    code, output = run("seeds", "show", "deepseek-stargate", "--config", str(config))
    assert code == 0
    assert "under-6m-cost" in output and "≤ 6e+06 USD" in output and "exclusion" in output
    code, output = run("seeds", "show", "nope", "--config", str(config))
    assert code == 2 and "no seed 'nope'" in output


def _article(store: Store, number: int, stance: Stance, evidence: str, **values: Any) -> int:
    row = StoredArticle(
        url=f"https://news.example/{number}",
        canonical_url=f"https://news.example/{number}",
        title=f"Story {number}",
        text="text",
        lang="en",
        content_hash=f"hash{number}",
        published=datetime(2025, 1, 20 + number, tzinfo=UTC),
        claims=(ClaimMatch("under-6m-cost", stance, 0.9, evidence, "deepseek-stargate"),),
        **{"relevant": True, **values},
    )
    return store.articles.add(row).article_id


def test_claims_tracker_counts_stances_once_per_copy_and_shows_the_latest_dispute(
    config: Path, sqlite_url: str
) -> None:
    with Store(sqlite_url) as store:
        first = _article(store, 1, "supports", "It cost $5.6m.")
        _article(store, 6, "supports", "It cost $5.6m.", duplicate_of=first)
        _article(store, 2, "disputes", "Old doubt.")
        _article(store, 3, "disputes", "The figure excludes research.")
        _article(store, 4, "disputes", "Off topic.", relevant=False)
        _article(store, 5, "mentions", "Costs were low.")
    code, output = run("claims", "--format", "json", "--config", str(config))
    assert code == 0, output
    records = {r["id"]: r for r in json.loads(output)}
    assert len(records) == 22
    tally = records["under-6m-cost"]
    assert (tally["supports"], tally["disputes"], tally["mentions"]) == (1, 2, 1)
    assert tally["latest_dispute"]["evidence"] == "The figure excludes research."
    assert tally["latest_dispute"]["url"] == "https://news.example/3"
    assert records["r1-2000-gpus"]["supports"] == 0 and records["r1-2000-gpus"]["latest_dispute"] is None
    # Day by day from 21 January (the copy of the 26th counts as coverage, not as a second support).
    assert tally["per_day"] == {
        "first": "2025-01-21",
        "supports": [1, 0, 0, 0, 0, 0],
        "disputes": [0, 1, 1, 0, 0, 0],
        "mentions": [0, 0, 0, 0, 1, 0],
    }
    assert records["r1-2000-gpus"]["per_day"]["supports"] == []
    code, output = run("claims", "--config", str(config))
    assert code == 0
    assert (
        "under-6m-cost\t1\t2\t1\t✔ █▁▁▁▁▁ ❗ ▁██▁▁▁\tThe figure excludes research. https://news.example/3"
        in output
    )
