"""Where the words of a claims file come from: flags every word that occurs in the shared corpus but not in
the seed article, the claims' own wording or the reviewed list of general words.

    python -m benchmarks.claims_audit            # report; exit status 1 when a word is unexplained
    python -m benchmarks.claims_audit --all      # also list every word with its source

A claims file may use words of the seed article, of each claim's wording (the file's `claim` texts and
../shared/seeds/claims-reference.yaml: claim, where, note) and general knowledge: names, products, figures,
units and their translations, generic vocabulary of doubt and of the claims' subjects. General words are
listed, by kind, in `benchmarks/claims_general_terms.yaml` after review. A word that occurs in the corpus
articles or the labels' evidence quotes and comes from none of these sources may have been copied from
coverage: it is flagged, to be removed or, when it is general, reviewed into the list. Words found in at
most two articles and inside their evidence quotes are the likeliest copies, and are shown even when
explained. The general stance cues (`crawler.judge.stance`) are checked the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.labelled_corpus import corpus_dir, load_corpus
from crawler.config import PROJECT_ROOT
from crawler.judge import stance
from crawler.judge.claim_terms import compile_terms

SEED = PROJECT_ROOT / "seeds" / "deepseek-stargate"
REFERENCE = PROJECT_ROOT.parent / "shared" / "seeds" / "claims-reference.yaml"
GENERAL = Path(__file__).resolve().parent / "claims_general_terms.yaml"
PATTERN_FIELDS = ("asserts", "touches", "disputes")
GROUP_FIELDS = ("about", "others")
RARE_ARTICLES = 2


@dataclass(frozen=True)
class WordAudit:
    """Where one word of a claims file occurs."""

    word: str
    used_in: tuple[str, ...]
    articles: int
    in_evidence: bool
    source: str  # "seed", "wording", a general kind, or "" when unexplained

    @property
    def in_corpus(self) -> bool:
        return self.articles > 0 or self.in_evidence

    @property
    def flagged(self) -> bool:
        """Occurs in coverage but comes from no allowed source."""
        return self.in_corpus and not self.source

    @property
    def suspect(self) -> bool:
        """Rare in the corpus and inside its evidence quotes: the likeliest copy of an article phrase."""
        return self.in_evidence and self.articles <= RARE_ARTICLES and self.source not in ("seed", "wording")


def _words_of_group(group: Any, names: Mapping[str, Any]) -> Iterable[str]:
    items = group if isinstance(group, list) else [group]
    for item in items:
        word = str(item).lower() if isinstance(item, bool) else str(item)
        if word not in names:
            yield word


def claims_file_words(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every word of a parsed claims file (list names resolved away) -> where it is used."""
    names = data.get("terms") or {}
    used: dict[str, list[str]] = {}

    def add(words: Iterable[str], place: str) -> None:
        for word in words:
            used.setdefault(word, []).append(place)

    for name, words in names.items():
        add(_words_of_group(words, names), f"terms.{name}")
    add(_words_of_group(data.get("doubt") or [], names), "doubt")
    for claim in data.get("claims") or []:
        cid = claim.get("id", "?")
        for field in GROUP_FIELDS:
            if claim.get(field):
                add(_words_of_group(claim[field], names), f"{cid}.{field}")
        for field in PATTERN_FIELDS:
            for pattern in claim.get(field) or []:
                for group in pattern:
                    add(_words_of_group(group, names), f"{cid}.{field}")
        for quantity in claim.get("quantities") or []:
            for group in quantity.get("context") or []:
                add(_words_of_group(group, names), f"{cid}.quantities")
    return used


def claim_wording(data: Mapping[str, Any], reference: Mapping[str, Any] | None) -> str:
    """The claims' own words: the file's `claim` texts and the reference file's claim, where and note."""
    parts: list[str] = []
    for claim in data.get("claims") or []:
        text = claim.get("claim")
        parts += list(text.values()) if isinstance(text, dict) else [str(text or "")]
    for claim in (reference or {}).get("claims") or []:
        parts += [str(claim.get(key) or "") for key in ("claim", "where", "note")]
    return "\n".join(parts)


def general_words(data: Mapping[str, Any]) -> dict[str, str]:
    """The reviewed general words -> their kind (names, figures, dispute vocabulary ...)."""
    kinds: dict[str, str] = {}
    for kind, words in (data.get("kinds") or {}).items():
        for word in words or []:
            kinds[str(word)] = str(kind)
    return kinds


def _occurs(word: str, text: str) -> bool:
    return compile_terms((word,)).search(text) is not None


def audit(used: Mapping[str, list[str]], seed_text: str, wording: str, general: Mapping[str, str],
          articles: list[str], evidence: list[str]) -> list[WordAudit]:  # fmt: skip
    """Each word with where it occurs and which source explains it."""
    results = []
    evidence_text = "\n".join(evidence)
    for word, places in sorted(used.items()):
        if _occurs(word, seed_text):
            source = "seed"
        elif _occurs(word, wording):
            source = "wording"
        else:
            source = general.get(word, "")
        found = sum(_occurs(word, article) for article in articles)
        results.append(WordAudit(word, tuple(places), found, _occurs(word, evidence_text), source))
    return results


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


def run(claims_file: Path, show_all: bool = False) -> int:
    """Audit a claims file (and the general stance cues) against the shared corpus; 1 when a word is
    unexplained."""
    folder = corpus_dir()
    if folder is None:
        print(
            "claims_audit: ../shared/corpus/news/deepseek_stargate is absent; nothing audited",
            file=sys.stderr,
        )
        return 0
    corpus = load_corpus(folder)
    articles = [f"{a.title}\n{a.text}" for a in corpus]
    evidence = [quote for a in corpus for quote in a.evidence.values()]
    data = _load_yaml(claims_file)
    wording = claim_wording(data, _load_yaml(REFERENCE))
    seed_text = (claims_file.parent / "article.zh.txt").read_text(encoding="utf-8")
    general = general_words(_load_yaml(GENERAL) or {})
    results = audit(claims_file_words(data), seed_text, wording, general, articles, evidence)
    cues = {word: ["crawler.judge.stance"] for word in (*stance.DOUBT_ZH, *stance.DOUBT_EN,
                                                         *stance.DEBUNK_ZH, *stance.DEBUNK_EN)}  # fmt: skip
    results += audit(cues, seed_text, wording, general, articles, evidence)
    print_report(results, claims_file, show_all)
    return 1 if any(r.flagged for r in results) else 0


def _line(r: WordAudit) -> str:
    return f"  {r.word!r}: {r.articles} articles, in evidence {r.in_evidence}; used in {', '.join(r.used_in)}"


def print_report(results: list[WordAudit], claims_file: Path, show_all: bool) -> None:
    """The words by source, the unexplained ones, and the rare ones inside evidence quotes."""
    counts = Counter(r.source or ("unexplained" if r.in_corpus else "not in corpus") for r in results)
    by_source = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{len(results)} words ({claims_file} and the stance cues); by source: {by_source}")
    flagged = [r for r in results if r.flagged]
    print(f"\nUnexplained (in the corpus, from no allowed source): {len(flagged)}")
    for r in flagged:
        print(_line(r))
    print(f"\nRare (<= {RARE_ARTICLES} articles) and inside evidence quotes, with their source:")
    for r in (r for r in results if r.suspect):
        print(f"{_line(r)}; {r.source or 'UNEXPLAINED'}")
    if show_all:
        print("\nEvery word:")
        for r in results:
            print(f"{_line(r)}; {r.source or '-'}")


def main(argv: list[str] | None = None) -> int:
    """Audit the seed's claims file."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.claims_audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--claims", type=Path, default=SEED / "claims.yaml", help="claims file to audit")
    parser.add_argument("--all", action="store_true", help="list every word with its source")
    args = parser.parse_args(argv if argv is not None else [])
    return run(args.claims, args.all)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
