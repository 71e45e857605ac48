"""`seedwatch claims`: the claims tracker (per claim, the articles that support, dispute or mention it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bot.claims_text import coverage_line, dispute_link, legend
from bot.cli.common import open_store, print_table, settings_options
from bot.cli.seeds import load_seed
from bot.render import render_timeline_page
from bot.timeline import STANCES, Timeline, build_timeline, claim_sparkline
from crawler.config import Settings
from crawler.seeds import claim_wording
from crawler.storage.claims import ClaimTally


def _tally_record(tally: ClaimTally, texts: dict[str, dict[str, str]], timeline: Timeline) -> dict[str, Any]:
    series = timeline.series(tally.claim_id)
    return {
        "seed": tally.seed,
        "id": tally.claim_id,
        "claim": texts.get(tally.claim_id, {}),
        "supports": tally.supports,
        "disputes": tally.disputes,
        "mentions": tally.mentions,
        "latest_dispute": _latest(tally),
        # Articles per day from per_day.first, one number a day (empty when the claim has none).
        "per_day": {
            "first": timeline.days[0].isoformat() if series else None,
            **{stance: list(series.stance(stance)) if series else [] for stance in STANCES},
        },
    }


def _spark_cell(timeline: Timeline, claim_id: str) -> str:
    series = timeline.series(claim_id)
    if series is None:
        return "-"
    supports, disputes = claim_sparkline(series)
    return f"✔ {supports} ❗ {disputes}"


def _latest(tally: ClaimTally) -> dict[str, Any] | None:
    if tally.latest_dispute is None:
        return None
    when = tally.latest_dispute_at.isoformat() if tally.latest_dispute_at else None
    return {"evidence": tally.latest_dispute, "url": dispute_link(tally) or None,
            "title": tally.latest_dispute_title, "at": when}  # fmt: skip


@click.command("claims")
@click.option(
    "--seed", "seed_names", multiple=True, help="Only this seed (repeatable; default: the watched seeds)."
)
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the claims timeline (a chart per claim, day by day) as a web page.",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the --html page.")
@settings_options
def claims_tracker(
    seed_names: tuple[str, ...],
    output_format: str,
    html_file: Path | None,
    lang: str | None,
    settings: Settings,
) -> None:
    """The claims tracker: per claim, how many stored articles support, dispute or mention it,
    how that moved day by day (✔ supports and ❗ disputes as sparklines), and the latest disputing
    evidence with its link.

    \b
    Examples:
      seedwatch claims
      seedwatch claims --seed deepseek-stargate --format json
      seedwatch claims --html claims.html --lang zh
    """
    names = list(seed_names) or list(settings.seeds)
    claim_sets = {name: load_seed(settings, name) for name in names}
    wording = {
        claim_id: text
        for claim_set in claim_sets.values()
        for claim_id, text in claim_wording(claim_set).items()
    }
    store = open_store(settings, existing=True)
    try:
        everything = build_timeline(store.claims.per_day(), store.claims.coverage_per_day(), list(wording))
        records = []
        for claim_set in claim_sets.values():
            texts = {claim.id: claim.text for claim in claim_set.claims}
            tallies = store.claims.tracker(claim_set.seed, [claim.id for claim in claim_set.claims])
            records += [(_tally_record(tally, texts, everything), _spark_cell(everything, tally.claim_id))
                        for tally in tallies]  # fmt: skip
    finally:
        store.close()
    if html_file is not None:
        page = render_timeline_page(everything, lang or settings.bot.default_lang, wording)
        html_file.write_text(page, encoding="utf-8")
        click.echo(f"wrote {html_file}", err=True)
    if output_format == "json":
        click.echo(json.dumps([record for record, _ in records], ensure_ascii=False, indent=2))
        return
    rows = [
        [r["id"], str(r["supports"]), str(r["disputes"]), str(r["mentions"]), spark,
         f"{r['latest_dispute']['evidence']}\n{r['latest_dispute']['url']}" if r["latest_dispute"] else "-"]
        for r, spark in records
    ]  # fmt: skip
    columns = ["claim", "supports", "disputes", "mentions", "per day", "latest dispute"]
    per_day = f"{legend(everything, 'en')}\n{coverage_line(everything, 'en')}" if not everything.empty else ""
    print_table(f"Claims tracker\n{per_day}".strip(), columns, rows)
