"""What a crawl found, for people: stories with their copies, and the seed claims they touch."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.claims_text import dispute_link
from bot.cli.common import open_store
from bot.cli.crawl import COUNT_MEANINGS
from bot.digest import claims_timeline, preview_digest
from bot.render import render_page, render_text
from crawler.config import Settings
from crawler.storage.claims import ClaimTally


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def story_table(records: list[dict[str, Any]], limit: int = 25) -> Table:
    """One row per story: its lead title, how many articles, outlets and languages, and its copies."""
    stories: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["relevant"] and record["story"] is not None:
            stories[record["story"]].append(record)
    table = Table(title=f"Stories ({len(stories)})", show_header=True, expand=True)
    table.caption = "articles: on the story, about the watched topics; copies: of them, copies of another"
    table.add_column("story", ratio=5, overflow="fold")
    table.add_column("articles", justify="right")
    table.add_column("copies", justify="right")
    table.add_column("outlets", ratio=3, overflow="fold")
    table.add_column("lang")
    ranked = sorted(stories.values(), key=lambda group: (-len(group), group[0]["published"] or ""))
    for group in ranked[:limit]:
        lead = min(group, key=lambda r: (r["duplicate_of"] is not None, r["published"] or r["fetched"]))
        copies = sum(1 for r in group if r["duplicate_of"])
        table.add_row(
            _short(lead["title"]),
            str(len(group)),
            str(copies),
            ", ".join(sorted({r["outlet"] for r in group})),
            "/".join(sorted({r["lang"] for r in group})),
        )
    if len(ranked) > limit:
        table.caption = f"{len(ranked) - limit} smaller stories not shown. {table.caption}"
    return table


def duplicate_table(records: list[dict[str, Any]], limit: int = 20) -> Table:
    """Articles that copy another, with how and why we think so."""
    by_url = {r["url"]: r for r in records}
    copies = [r for r in records if r["duplicate_of"]]
    table = Table(title=f"Copies ({len(copies)})", show_header=True, expand=True)
    table.caption = f"copies: {dict(COUNT_MEANINGS)['copies']}"
    if len(copies) > limit:
        table.caption = f"{len(copies) - limit} more not shown. " + table.caption
    table.add_column("copy", ratio=3, overflow="fold")
    table.add_column("of", ratio=3, overflow="fold")
    table.add_column("kind")
    table.add_column("why", ratio=4, overflow="fold")
    for record in copies[:limit]:
        original = by_url.get(record["duplicate_of"], {})
        table.add_row(
            f"{record['outlet']}: {_short(record['title'], 45)}",
            f"{original.get('outlet', '?')}: {_short(original.get('title', record['duplicate_of']), 45)}",
            record["duplicate_kind"] or "",
            _short(record["duplicate_reason"] or "", 90),
        )
    return table


def claim_table(tallies: list[ClaimTally]) -> Table:
    """Per seed claim: articles supporting, disputing, mentioning it, and the latest dispute."""
    table = Table(title="The seed's claims in the coverage", show_header=True, expand=True)
    table.add_column("claim", min_width=26, overflow="fold")
    for column in ("supports", "disputes", "mentions"):
        table.add_column(column, justify="right")
    table.add_column("latest dispute", ratio=5, overflow="fold")
    for tally in sorted(tallies, key=lambda t: -t.total):
        latest = (
            f"“{_short(tally.latest_dispute, 110)}” {dispute_link(tally) or None}"
            if tally.latest_dispute
            else ""
        )
        table.add_row(tally.claim_id, str(tally.supports), str(tally.disputes), str(tally.mentions), latest)
    return table


def stored_line(records: list[dict[str, Any]]) -> str:
    """What is stored, in the crawl table's words: new + copies + off-topic."""
    copies = sum(1 for r in records if r["duplicate_of"])
    new = sum(1 for r in records if r["relevant"] and not r["duplicate_of"])
    off_topic = len(records) - copies - new
    return (
        f"Stored {len(records)} articles: {new} new, {copies} copies of another article, "
        f"{off_topic} off-topic (kept with the reason)."
    )


def print_findings(console: Console, settings: Settings, lang: str, html_file: Path | None = None) -> None:
    """Stories, copies and claims of everything stored, then the digest a new subscriber would get."""
    store = open_store(settings)
    try:
        records = list(store.articles.export_rows())
        tallies = store.claims.tracker()
        digest, view = preview_digest(settings, store, lang=lang)
        timeline = claims_timeline(store, digest.wording)
    finally:
        store.close()
    console.print("\n" + stored_line(records))
    console.print(story_table(records))
    console.print(duplicate_table(records))
    console.print(claim_table(tallies))
    console.rule("The digest a subscriber gets (what /digest sends on Telegram)")
    console.print(render_text(digest, view.lang, view.zone), markup=False, highlight=False)
    if html_file is not None:
        html_file.write_text(render_page(digest, view.lang, view.zone, timeline), encoding="utf-8")
        console.print(f"The digest as a web page: {html_file}")
