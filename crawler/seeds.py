"""Seeds on disk: the folder of seeds, each seed's article and claims file, and what is read from them.

A seed is a folder `seeds_dir/NAME/` holding `article.LANG.txt` and `claims.yaml` (the schema is documented at
the top of seeds/deepseek-stargate/claims.yaml). The active seeds are `settings.seeds`. The crawl and
`rejudge` match their claims (`load_matchers`), the digest shows their wording (`load_wording`),
`seedwatch seeds` lists, shows and adds them (`seed_claim_sets`, `write_seed`). Parsing and matching a claims
file is `crawler.judge.claims`; drafting one from an article is `crawler.judge.claimdraft`.

Exceptions: `SeedError` (an active seed without a claims file); `crawler.judge.claims.ClaimsFileError`
(a claims file that does not parse).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crawler.config import Settings
from crawler.judge.claims import ClaimSet, ClaimsFileError, load_claim_set
from crawler.judge.digest import ClaimWording
from crawler.judge.types import ClaimMatcher

logger = logging.getLogger(__name__)

CLAIMS_FILE = "claims.yaml"
SEED_NAME = re.compile(r"^[a-z0-9][a-z0-9\-_]{0,79}$")


class SeedError(Exception):
    """A seed's claims file that cannot be used."""


def seeds_dir(settings: Settings) -> Path:
    """The folder holding one subfolder per seed."""
    return settings.resolve(settings.seeds_dir)


def claims_file(folder: Path) -> Path:
    """The claims file of the seed in `folder`."""
    return folder / CLAIMS_FILE


def load_matchers(settings: Settings) -> list[ClaimMatcher]:
    """The claim sets of the active seeds."""
    matchers: list[ClaimMatcher] = []
    for folder in settings.seed_dirs():
        path = claims_file(folder)
        if not path.exists():
            raise SeedError(f"seed {folder.name!r} has no claims file at {path}")
        matchers.append(load_claim_set(path, min_score=settings.judge.claim_min_score))
    return matchers


def claim_wording(claim_set: ClaimSet) -> dict[str, ClaimWording]:
    """How the claims of one seed are shown to readers, in claims-file order."""
    return {
        claim.id: ClaimWording(claim.id, en=claim.text.get("en", ""), zh=claim.text.get("zh", ""))
        for claim in claim_set.claims
    }


def load_wording(settings: Settings) -> dict[str, ClaimWording]:
    """The display wording of the active seeds' claims, in claims-file order; empty when unavailable."""
    wording: dict[str, ClaimWording] = {}
    for folder in settings.seed_dirs():
        path = claims_file(folder)
        if not path.exists():
            continue
        try:
            claim_set = load_claim_set(path)
        except Exception as exc:  # a broken claims file must not stop digests: show ids instead
            logger.warning("cannot read claim wording from %s: %s", path, exc)
            continue
        wording.update(claim_wording(claim_set))
    return wording


def seed_claim_sets(settings: Settings) -> list[tuple[str, ClaimSet | None, str]]:
    """Every seed folder: its name, its claims (None when they do not load) and the error if any."""
    root = seeds_dir(settings)
    found: list[tuple[str, ClaimSet | None, str]] = []
    for folder in (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if root.is_dir()
        else []
    ):
        if not claims_file(folder).exists():
            continue
        try:
            found.append((folder.name, load_claim_set(folder), ""))
        except ClaimsFileError as exc:
            found.append((folder.name, None, str(exc)))
    return found


@dataclass(frozen=True)
class SeedArticle:
    """A seed article's title and body text, and where it came from."""

    title: str
    text: str
    source: str


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
        claims_file(staging).write_text(claims_yaml, encoding="utf-8")
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
