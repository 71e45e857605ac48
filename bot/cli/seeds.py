"""`seedwatch seeds add|list|show`: seed articles and their claims files (see `crawler.seeds`)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import click

from bot.cli.common import configure_logging, print_table, settings_options
from crawler.config import Settings
from crawler.judge.claimdraft import propose_claims, render_draft
from crawler.judge.claims import ClaimSet, ClaimsFileError, load_claim_set
from crawler.judge.numbers import Quantity
from crawler.judge.text import detect_lang
from crawler.probe import ProbeError, probe_urls
from crawler.seeds import (
    SEED_NAME,
    SeedArticle,
    claims_file,
    default_seed_name,
    seed_claim_sets,
    seeds_dir,
    write_seed,
)

logger = logging.getLogger(__name__)

_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_MARKDOWN_MARKS = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|^\s{0,3}#{1,6}\s*|\*\*|__", re.M)


def _fetch(url: str, settings: Settings) -> tuple[str, str]:
    """The body of a URL as text, and its content type: one page through Scrapy, under the crawl's policy."""
    try:
        (page,) = probe_urls(settings, [url], keep_text=True)
    except ProbeError as exc:
        raise click.ClickException(f"could not fetch {url}: {exc}") from None
    if not page.ok:
        hint = "; save the article to a file" if page.reason in ("too_large", "timeout") else ""
        raise click.ClickException(f"could not fetch {url} ({page.reason}): {page.detail}{hint}")
    return page.text, page.content_type


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


@click.group()
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


@seeds.command("list")
@settings_options
def seeds_list(settings: Settings) -> None:
    """List the seeds: language, number of claims, whether still a draft, whether watched.

    Example: seedwatch seeds list
    """
    rows = []
    for name, claim_set, error in seed_claim_sets(settings):
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
    print_table("Seeds", ["seed", "language", "claims", "draft", "watched", "problem"], rows)


def load_seed(settings: Settings, name: str) -> ClaimSet:
    """The claims of the seed called `name`; a usage error naming the known seeds when there is none."""
    folder = seeds_dir(settings) / name
    if not claims_file(folder).exists():
        known = ", ".join(n for n, _, _ in seed_claim_sets(settings)) or "none"
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
    claim_set = load_seed(settings, name)
    draft = " (DRAFT)" if claim_set.draft else ""
    click.echo(f"Seed {claim_set.seed}{draft}: {len(claim_set)} claims, language {claim_set.language}")
    rows = []
    for claim in claim_set.claims:
        wording = "\n".join(f"[{lang}] {text}" for lang, text in claim.text.items())
        figures = ", ".join(_figure(spec.quantity) for spec in claim.quantities) or "-"
        rows.append([claim.id, wording, _cue_text(claim.cues.get("asserts", [])),
                     _cue_text(claim.cues.get("disputes", [])), figures])  # fmt: skip
    print_table(
        f"Claims of {claim_set.seed}", ["id", "claim", "supported by", "disputed by", "figures"], rows
    )


def _figure(quantity: Quantity) -> str:
    if quantity.kind == "date":
        return quantity.iso
    bound = {"upper": "≤ ", "lower": "≥ "}.get(quantity.bound or "", "")
    approx = "~" if quantity.approx else ""
    return f"{bound}{approx}{quantity.value:g} {quantity.unit}".strip()
