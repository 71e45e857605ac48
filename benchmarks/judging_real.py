"""Judging end to end on real articles: serve the shared corpus as a news site, crawl it, score the export.

    python -m benchmarks judging_real

Every labelled article of `../shared/corpus/news/deepseek_stargate/` becomes a web page on 127.0.0.1
(title, date and body; picker pages keep their site chrome as page content; each page declares its
original URL as canonical, as the outlet's page would), listed in one RSS feed. `seedwatch crawl
--source FEED --db TMP` crawls it in a subprocess, `seedwatch export --format jsonl` lists what was stored,
and the exported fields (`relevant`, `claims`, `duplicate_of`) are scored like `judging_offline` does:
relevance precision/recall, claim-pair precision/recall, stance accuracy (development and held-out
halves and all), and duplicate recall per labelled pair kind with the false joins.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from benchmarks.judging_offline import (
    HELD_OUT_NOTE,
    TABLE_HEAD,
    Prediction,
    confusion_table,
    figures_rows,
    print_errors,
    score,
    score_halves,
)
from benchmarks.labelled_corpus import (
    LabelledArticle,
    corpus_dir,
    duplicate_groups,
    halves,
    load_corpus,
    manifest,
)
from crawler.config import PROJECT_ROOT
from tests.fakes.loopback import serving, static_pages

CRAWL_TIMEOUT = 1800
FAST_CRAWL = """
[crawl]
obey_robots = true
download_delay = 0
autothrottle = false
concurrent_requests = 16
concurrent_per_domain = 16
max_items_per_source = 5000
retry_times = 1
allowed_networks = ["127.0.0.1/32"]  # the loopback site, and nothing else
"""


def chrome_html(article: LabelledArticle, others: Sequence[LabelledArticle]) -> tuple[str, str]:
    """What a news site puts around an article (`--chrome`): a header with the site's menu, and a sidebar
    and a "related" list of other articles' headlines, linked. Other articles' headlines name the same
    subjects and claims as the article: only the body should be judged."""
    zh = article.lang == "zh"
    menu = ("首页", "科技", "财经", "国际", "评论") if zh else ("Home", "Tech", "Markets", "World", "Opinion")
    links = "".join(f'<li><a href="/a/{o.id}.html">{html.escape(o.title)}</a></li>' for o in others)
    head = (
        '<header class="site-header"><a class="logo" href="/">' + ("新闻网" if zh else "The Daily Wire")
        + "</a><nav><ul>" + "".join(f'<li><a href="/s/{i}">{m}</a></li>' for i, m in enumerate(menu))
        + "</ul></nav></header>"
    )  # fmt: skip
    most_read, related, rights = (
        ("热门文章", "相关阅读", "版权所有") if zh else ("Most read", "Related", "All rights")
    )
    side = (
        f'<aside class="sidebar"><h2>{most_read}</h2><ul>{links}</ul></aside>'
        f'<section class="related"><h2>{related}</h2><ul>{links}</ul></section>'
        f"<footer><p>{rights}</p></footer>"
    )
    return head, side


def page_html(
    article: LabelledArticle, record: dict[str, Any], others: Sequence[LabelledArticle] = ()
) -> str:
    """One article as a plain news page: title, date, body paragraphs, canonical link; with `others`,
    inside a site's chrome (`chrome_html`)."""
    paragraphs = "\n".join(
        f"<p>{html.escape(line)}</p>" for line in article.text.splitlines() if line.strip()
    )
    canonical = record.get("url") or ""
    date = str(record.get("date") or "")[:10]
    head, side = chrome_html(article, others) if others else ("", "")
    lang = "zh" if article.lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(article.title)}</title>"
        + (f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else "")
        + (f'<meta property="article:published_time" content="{date}">' if date else "")
        + f"</head><body>{head}<main><article><h1>{html.escape(article.title)}</h1>"
        + (f'<time datetime="{date}">{date}</time>' if date else "")
        + f"\n{paragraphs}\n</article>{side}</main></body></html>"
    )


def _pub_date(record: dict[str, Any]) -> str:
    try:
        day = datetime.fromisoformat(str(record.get("date") or "")[:10]).replace(tzinfo=UTC)
    except ValueError:
        day = datetime(2025, 2, 1, tzinfo=UTC)
    return format_datetime(day)


def feed_xml(base: str, articles: Sequence[LabelledArticle], records: dict[str, dict[str, Any]]) -> str:
    """An RSS 2.0 feed listing every page."""
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}/a/{a.id}.html</link>"
        f"<guid>{base}/a/{a.id}.html</guid><pubDate>{_pub_date(records[a.id])}</pubDate></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Corpus</title>'
        f"<link>{base}/</link><description>shared corpus</description>{items}</channel></rss>"
    )


def build_site(
    articles: Sequence[LabelledArticle], records: dict[str, dict[str, Any]], chrome: bool = False
) -> dict[str, tuple[str, bytes]]:
    """Every page of the site (the feed is added once the base URL is known); with `chrome`, each page
    has the headlines of the 6 articles after it in the corpus (same language first) around its body."""
    pages = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")}
    for index, article in enumerate(articles):
        others: list[LabelledArticle] = []
        if chrome:
            following = [*articles[index + 1 :], *articles[:index]]
            others = sorted(following, key=lambda o: o.lang != article.lang)[:6]
        pages[f"/a/{article.id}.html"] = (
            "text/html; charset=utf-8",
            page_html(article, records[article.id], others).encode(),
        )
    return pages


def crawl_and_export(feed: str, workdir: Path, seeds_dir: Path | None = None) -> list[dict[str, Any]]:
    """Run `seedwatch crawl` then `seedwatch export` as a user would; the exported records."""
    database = f"sqlite:///{workdir / 'judging_real.db'}"
    config = workdir / "fast.toml"
    seeds = f'seeds_dir = "{seeds_dir}"\n' if seeds_dir else ""
    config.write_text(seeds + FAST_CRAWL, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDWATCH_")}
    crawl = subprocess.run(
        ["seedwatch", "crawl", "--source", feed, "--db", database, "--config", str(config)],
        capture_output=True, text=True, timeout=CRAWL_TIMEOUT, env=env, check=False,
    )  # fmt: skip
    if crawl.returncode != 0:
        raise RuntimeError(f"seedwatch crawl failed ({crawl.returncode}):\n{crawl.stderr[-3000:]}")
    output = workdir / "export.jsonl"
    export = subprocess.run(
        ["seedwatch", "export", "--format", "jsonl", "--db", database, "--config", str(config),
         "-o", str(output)],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    if export.returncode != 0:
        raise RuntimeError(f"seedwatch export failed ({export.returncode}):\n{export.stderr[-3000:]}")
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines() if line.strip()]


def predictions_from_export(
    articles: Sequence[LabelledArticle], exported: Sequence[dict[str, Any]], base: str
) -> tuple[dict[str, Prediction], list[str]]:
    """What the crawl said about each corpus article; articles it did not store count as not relevant."""
    by_id: dict[str, dict[str, Any]] = {}
    for record in exported:
        url = str(record.get("url") or "")
        if url.startswith(f"{base}/a/") and url.endswith(".html"):
            by_id[url[len(base) + 3 : -5]] = record
    predictions: dict[str, Prediction] = {}
    missing: list[str] = []
    for article in articles:
        found = by_id.get(article.id)
        if found is None:
            missing.append(article.id)
            predictions[article.id] = Prediction(False, {}, {}, "not stored")
            continue
        record = found
        claims = {c["id"]: c["stance"] for c in record.get("claims") or []}
        evidence = {c["id"]: c.get("evidence", "") for c in record.get("claims") or []}
        predictions[article.id] = Prediction(
            bool(record.get("relevant")), claims, evidence, record.get("irrelevant_reason")
        )
    return predictions, missing


def duplicate_groups_of_export(
    exported: Sequence[dict[str, Any]], records: dict[str, dict[str, Any]], base: str
) -> dict[str, str]:
    """Corpus id -> the URL of the copy it ends up with (its own when it is an original).

    An article the crawl did not store because its canonical URL was already stored joins that one."""
    url_of: dict[str, str] = {}
    parent: dict[str, str] = {}
    canonical_owner: dict[str, str] = {}
    for record in exported:
        url = str(record.get("url") or "")
        parent[url] = str(record.get("duplicate_of") or url)
        if record.get("canonical_url"):
            canonical_owner[str(record["canonical_url"])] = url

    def root(url: str) -> str:
        seen = set()
        while parent.get(url, url) != url and url not in seen:
            seen.add(url)
            url = parent[url]
        return url

    for corpus_id, record in records.items():
        own = f"{base}/a/{corpus_id}.html"
        if own in parent:
            url_of[corpus_id] = root(own)
        elif record.get("url") and str(record["url"]) in canonical_owner:
            url_of[corpus_id] = root(canonical_owner[str(record["url"])])
    return url_of


def score_duplicates(pairs: Sequence[dict[str, Any]], groups: dict[str, str],
                     records: dict[str, dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """Recall per labelled pair kind, and joins between articles of different labelled groups."""
    found: dict[str, list[int]] = {}
    for pair in pairs:
        a, b = pair["a"], pair["b"]
        joined = a in groups and b in groups and groups[a] == groups[b]
        found.setdefault(pair["kind"], [0, 0])
        found[pair["kind"]][0] += joined
        found[pair["kind"]][1] += 1
    members: dict[str, list[str]] = {}
    for corpus_id, group in groups.items():
        members.setdefault(group, []).append(corpus_id)
    false_joins = []
    for group_members in members.values():
        for i, a in enumerate(group_members):
            for b in group_members[i + 1 :]:
                ga, gb = records[a].get("dup_group"), records[b].get("dup_group")
                if ga is not None and gb is not None and ga != gb:
                    false_joins.append((a, b))
    return {"recall": found, "false_joins": false_joins}


def report(rows: list[str], cleaned: dict[str, dict[str, Any]], duplicates: dict[str, Any],
           missing: list[str], stored: int, seconds: float, notes: list[str]) -> str:  # fmt: skip
    """The Markdown section for results.md."""
    lines = [
        "The labelled articles of `../shared/corpus/news/deepseek_stargate` served on 127.0.0.1 as pages "
        "with an RSS feed, crawled with `seedwatch crawl --source FEED`, scored from "
        "`seedwatch export --format jsonl` (`relevant`, `claims`, `duplicate_of`). "
        "Halves as in `judging_offline` (a hash of the duplicate group). A claims file marked (before) is "
        "crawled the same way, with `seeds_dir` pointing at a copy of the seed holding that file.",
        *notes,
        "",
        *TABLE_HEAD,
        *rows,
        "",
        "Per-claim stance confusion of the current file, end to end (all articles). Each cell: how many "
        "pairs with that gold stance were said to support / dispute / mention, or not found.",
        "",
        *confusion_table(cleaned["all"]),
        "",
        "Duplicate recall per labelled pair kind (pairs joined / pairs):",
        "",
    ]
    for kind, (joined, total) in sorted(duplicates["recall"].items()):
        lines.append(f"- `{kind}`: {joined}/{total} = {joined / total:.3f}")
    joins = duplicates["false_joins"]
    lines.append(
        f"- joins across different labelled duplicate groups: {len(joins)} {joins[:10] if joins else ''}"
    )
    lines += ["", f"Stored {stored} records; corpus articles not stored: {len(missing)} {missing[:20]}.",
              f"Crawl and export took {seconds:.0f} s."]  # fmt: skip
    return "\n".join(lines)


def crawl_corpus(
    articles: Sequence[LabelledArticle],
    records: dict[str, dict[str, Any]],
    seeds_dir: Path | None = None,
    chrome: bool = False,
) -> tuple[dict[str, Prediction], list[str], dict[str, str], int, float]:
    """Serve the corpus, crawl and export it: predictions, articles not stored, duplicate groups, records
    stored and seconds taken."""
    pages = build_site(articles, records, chrome)
    started = time.perf_counter()
    with serving(static_pages(pages)) as base, tempfile.TemporaryDirectory(prefix="judging-real-") as tmp:
        pages["/feed.xml"] = ("application/rss+xml", feed_xml(base, articles, records).encode())
        exported = crawl_and_export(f"{base}/feed.xml", Path(tmp), seeds_dir)
        seconds = time.perf_counter() - started
        predictions, missing = predictions_from_export(articles, exported, base)
        groups = duplicate_groups_of_export(exported, records, base)
    return predictions, missing, groups, len(exported), seconds


def _seed_copy(claims_file: Path, tmp: Path) -> Path:
    """A seeds folder whose deepseek-stargate seed holds another claims file (and the seed's article)."""
    seed = tmp / "seeds" / "deepseek-stargate"
    seed.mkdir(parents=True)
    shutil.copyfile(claims_file, seed / "claims.yaml")
    shutil.copyfile(PROJECT_ROOT / "seeds" / "deepseek-stargate" / "article.zh.txt", seed / "article.zh.txt")
    return seed.parent


def main(argv: list[str] | None = None) -> int:
    """Serve, crawl, export, score; write the section of results.md."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.judging_real", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave results.md alone")
    parser.add_argument("--note", action="append", default=[], help="a sentence to add to the section")
    parser.add_argument("--errors", action="store_true", help="list the development half's errors")
    parser.add_argument(
        "--show-heldout-errors",
        action="store_true",
        help="also list the held-out half's errors (results.md records that this was done)",
    )
    parser.add_argument("--baseline-claims", type=Path, help="crawl again with another claims file")
    parser.add_argument(
        "--chrome",
        action="store_true",
        help="render each page inside a site's header, sidebar and related list of other headlines",
    )
    parser.add_argument(
        "--development-only",
        action="store_true",
        help="score and print the development half only (no held-out figure); writes nothing",
    )
    args = parser.parse_args(argv if argv is not None else [])
    folder = corpus_dir()
    if folder is None:
        print(
            "judging_real: ../shared/corpus/news/deepseek_stargate is absent; nothing measured",
            file=sys.stderr,
        )
        return 0
    articles = load_corpus(folder)
    records = manifest(folder)
    split = duplicate_groups(folder)
    pairs = json.loads((folder / "near_duplicate_pairs.json").read_text(encoding="utf-8"))
    predictions, missing, groups, stored, seconds = crawl_corpus(articles, records, chrome=args.chrome)
    if args.development_only:
        development = halves(articles, split)[0]
        if args.errors:
            print_errors(development, predictions)
        print(*TABLE_HEAD, sep="\n")
        print(*figures_rows("development only", {"development": score(development, predictions)}), sep="\n")
        print(f"Stored {stored} records; not stored: {len(missing)}; {seconds:.0f} s.")
        return 0
    cleaned = score_halves(articles, split, predictions)
    rows = figures_rows("`seeds/deepseek-stargate`", cleaned)
    if args.baseline_claims:
        with tempfile.TemporaryDirectory(prefix="judging-real-seed-") as tmp:
            before = crawl_corpus(articles, records, _seed_copy(args.baseline_claims, Path(tmp)))[0]
        rows += figures_rows(f"`{args.baseline_claims.name}` (before)", score_halves(articles, split, before))
    development, held_out = halves(articles, split)
    if args.errors:
        print_errors(development, predictions)
    notes = list(args.note)
    if args.chrome:
        notes.insert(
            0,
            "Pages rendered with `--chrome`: each inside a site's header and menu, with a sidebar and a "
            '"related" list of six other corpus articles\' headlines (linked), as a news site shows them.',
        )
    if args.show_heldout_errors:
        print("--- held-out half ---")
        print_errors(held_out, predictions)
        notes.append(HELD_OUT_NOTE)
    duplicates = score_duplicates(pairs, groups, records)
    body = report(rows, cleaned, duplicates, missing, stored, seconds, notes)
    print(body)
    if not args.no_write:
        write_section("judging_real", "Judging on real articles, end to end (crawl + export)", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
