"""`seedwatch seeds add|list|show` and `seedwatch claims` (the claims tracker)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bot.claims_text import coverage_line, legend
from bot.cli import main
from bot.cli.common import configure_logging, open_store, settings_options
from bot.render import render_timeline_page
from bot.timeline import STANCES, Timeline, build_timeline, claim_sparkline
from crawler.config import Settings
from crawler.fetch_page import FetchError, FetchLimits, fetch_page
from crawler.fetch_policy import AddressGuard
from crawler.judge.claimdraft import propose_claims, render_draft
from crawler.judge.claims import ClaimSet, ClaimsFileError, load_claim_set
from crawler.judge.digest import ClaimWording
from crawler.judge.numbers import Quantity
from crawler.judge.text import detect_lang
from crawler.storage.claims import ClaimTally

logger = logging.getLogger(__name__)

SEED_NAME = re.compile(r"^[a-z0-9][a-z0-9\-_]{0,79}$")
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_MARKDOWN_MARKS = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|^\s{0,3}#{1,6}\s*|\*\*|__", re.M)


@dataclass(frozen=True)
class SeedArticle:
    """A seed article's title and body text, and where it came from."""

    title: str
    text: str
    source: str


def seeds_dir(settings: Settings) -> Path:
    """The folder holding one subfolder per seed."""
    return settings.resolve(settings.seeds_dir)


def _fetch(url: str, settings: Settings) -> tuple[str, str]:
    """The body of a URL as text, and its content type: one page under the crawl's fetch policy and limits."""
    crawl = settings.crawl
    limits = FetchLimits(crawl.max_page_bytes, crawl.download_timeout, user_agent=crawl.user_agent)
    try:
        page = fetch_page(url, AddressGuard(crawl.allowed_networks), limits)
    except FetchError as exc:
        hint = "; save the article to a file" if exc.reason in ("too_large", "timeout") else ""
        raise click.ClickException(f"could not fetch {url} ({exc.reason}): {exc.detail}{hint}") from None
    try:
        text = page.body.decode(page.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = page.body.decode("utf-8", errors="replace")
    return text, page.content_type


def _from_html(html: str, url: str) -> SeedArticle:
    from crawler.extract import extract_article

    extracted = extract_article(html, url)
    if not extracted.ok:
        raise click.ClickException(f"no article found in {url}: {extracted.reason}")
    return SeedArticle(extracted.title, extracted.text, url)


def read_seed_article(path_or_url: str, settings: Settings) -> SeedArticle:
    """The seed article from a local .txt/.md/.html file or from a URL."""
    if re.match(r"https?://", path_or_url, re.IGNORECASE):
        body, content_type = _fetch(path_or_url, settings)
        if "html" in content_type or re.search(r"<html|<body|<p[\s>]", body[:5000], re.IGNORECASE):
            return _from_html(body, path_or_url)
        return SeedArticle("", body, path_or_url)
    path = Path(path_or_url).expanduser()
    if not path.is_file():
        raise click.BadParameter(f"{path} is not a file or an http(s) URL", param_hint="PATH_OR_URL")
    try:
        body = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter(f"{path} is not UTF-8 text", param_hint="PATH_OR_URL") from None
    if path.suffix.lower() in (".html", ".htm"):
        return _from_html(body, path.resolve().as_uri())
    if path.suffix.lower() in (".md", ".markdown"):
        body = _MARKDOWN_MARKS.sub(lambda m: m.group(1) or "", _FRONT_MATTER.sub("", body, count=1))
    return SeedArticle("", body.strip(), str(path))


def default_seed_name(article: SeedArticle) -> str:
    """A folder name from the title or file name, ASCII only; a dated name when neither has one."""
    base = article.title or Path(article.source.rstrip("/")).stem
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:60].strip("-")
    return slug or f"seed-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def write_seed(folder: Path, lang: str, article_text: str, claims_yaml: str) -> None:
    """Create the seed folder with its article and draft claims in one step, or not at all."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        (staging / f"article.{lang}.txt").write_text(article_text.rstrip() + "\n", encoding="utf-8")
        (staging / "claims.yaml").write_text(claims_yaml, encoding="utf-8")
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@main.group()
def seeds() -> None:
    """Seed articles and their claims: add a new one, list them, show one."""


@seeds.command("add")
@click.argument("path_or_url")
@click.option("--name", help="Folder name of the new seed (default: from the title or file name).")
@settings_options
def seeds_add(path_or_url: str, name: str | None, settings: Settings) -> None:
    """Add a seed article and draft its check-worthy claims for you to edit.

    Reads a .txt, .md or .html file or fetches a URL, splits it into sentences (Chinese or English),
    proposes claims (figures, money, dates, people, organisations, quotes, attributions) and writes
    seeds/NAME/article.LANG.txt and seeds/NAME/claims.yaml, marked as a draft. Never overwrites a seed.

    Example: seedwatch seeds add ~/articles/stargate.txt --name stargate-jan
    """
    import jieba  # noqa: F401 - imported before logging is set up, which then quiets its start-up chatter

    configure_logging(settings)
    article = read_seed_article(path_or_url, settings)
    if not article.text.strip():
        raise click.ClickException(f"{path_or_url} has no text")
    name = name or default_seed_name(article)
    if not SEED_NAME.match(name):
        raise click.BadParameter(
            "use lower-case letters, digits, - and _ (e.g. stargate-jan)", param_hint="--name"
        )
    folder = seeds_dir(settings) / name
    if folder.exists():
        raise click.ClickException(
            f"seed {name!r} already exists at {folder}; choose another --name or remove it"
        )
    lang = detect_lang(article.text)
    proposed = propose_claims(article.text, lang)
    if not proposed:
        raise click.ClickException("found no check-worthy sentence (figures, names, quotes) to propose")
    text = f"{article.title}\n\n{article.text}" if article.title else article.text
    write_seed(folder, lang, text, render_draft(name, lang, proposed, article.source))
    click.echo(f"Added seed {name!r} ({lang}) with {len(proposed)} proposed claims:")
    click.echo(f"  {folder / f'article.{lang}.txt'}")
    click.echo(f"  {folder / 'claims.yaml'}   <- DRAFT: edit it, then set draft: false")
    click.echo(f"Watch it by adding {name!r} to `seeds` in your config file.")


def _claim_sets(settings: Settings) -> list[tuple[str, ClaimSet | None, str]]:
    """Every seed folder: its name, its claims (None when they do not load) and the error if any."""
    root = seeds_dir(settings)
    found: list[tuple[str, ClaimSet | None, str]] = []
    for folder in (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if root.is_dir()
        else []
    ):
        if not (folder / "claims.yaml").exists():
            continue
        try:
            found.append((folder.name, load_claim_set(folder), ""))
        except ClaimsFileError as exc:
            found.append((folder.name, None, str(exc)))
    return found


def _print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A rich table on a terminal, tab-separated lines otherwise."""
    console = Console()
    if console.is_terminal:
        table = Table(title=title, show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))


@seeds.command("list")
@settings_options
def seeds_list(settings: Settings) -> None:
    """List the seeds: language, number of claims, whether still a draft, whether watched.

    Example: seedwatch seeds list
    """
    rows = []
    for name, claim_set, error in _claim_sets(settings):
        active = "yes" if name in settings.seeds else "no"
        if claim_set is None:
            rows.append([name, "?", "?", "?", active, f"error: {error}"])
            continue
        rows.append(
            [name, claim_set.language, str(len(claim_set)), "yes" if claim_set.draft else "no", active, ""]
        )
    if not rows:
        click.echo(f"no seeds in {seeds_dir(settings)}; add one with `seedwatch seeds add FILE`")
        return
    _print_table("Seeds", ["seed", "language", "claims", "draft", "watched", "problem"], rows)


def _load_seed(settings: Settings, name: str) -> ClaimSet:
    folder = seeds_dir(settings) / name
    if not (folder / "claims.yaml").exists():
        known = ", ".join(n for n, _, _ in _claim_sets(settings)) or "none"
        raise click.BadParameter(
            f"no seed {name!r} in {seeds_dir(settings)} (known: {known})", param_hint="NAME"
        )
    try:
        return load_claim_set(folder)
    except ClaimsFileError as exc:
        raise click.ClickException(str(exc)) from None


def _cue_text(patterns: list[list[str]]) -> str:
    return "; ".join(" + ".join(groups) for groups in patterns) or "-"


@seeds.command("show")
@click.argument("name")
@settings_options
def seeds_show(name: str, settings: Settings) -> None:
    """Show one seed's claims with the cues that find, support and dispute them.

    Example: seedwatch seeds show deepseek-stargate
    """
    claim_set = _load_seed(settings, name)
    draft = " (DRAFT)" if claim_set.draft else ""
    click.echo(f"Seed {claim_set.seed}{draft}: {len(claim_set)} claims, language {claim_set.language}")
    rows = []
    for claim in claim_set.claims:
        wording = "\n".join(f"[{lang}] {text}" for lang, text in claim.text.items())
        figures = ", ".join(_figure(spec.quantity) for spec in claim.quantities) or "-"
        rows.append([claim.id, wording, _cue_text(claim.cues.get("asserts", [])),
                     _cue_text(claim.cues.get("disputes", [])), figures])  # fmt: skip
    _print_table(
        f"Claims of {claim_set.seed}", ["id", "claim", "supported by", "disputed by", "figures"], rows
    )


def _figure(quantity: Quantity) -> str:
    if quantity.kind == "date":
        return quantity.iso
    bound = {"upper": "≤ ", "lower": "≥ "}.get(quantity.bound or "", "")
    approx = "~" if quantity.approx else ""
    return f"{bound}{approx}{quantity.value:g} {quantity.unit}".strip()


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
    return {"evidence": tally.latest_dispute, "url": tally.latest_dispute_url,
            "title": tally.latest_dispute_title, "at": when}  # fmt: skip


@main.command("claims")
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
    claim_sets = {name: _load_seed(settings, name) for name in names}
    wording = {
        claim.id: ClaimWording(claim.id, en=claim.text.get("en", ""), zh=claim.text.get("zh", ""))
        for claim_set in claim_sets.values()
        for claim in claim_set.claims
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
    _print_table(f"Claims tracker\n{per_day}".strip(), columns, rows)
