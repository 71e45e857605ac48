"""Reading a seed's claims file (the schema is documented at the top of seeds/*/claims.yaml).

Pure: takes the parsed YAML mapping and the file name (for messages) and returns compiled claims.
Every error names the file, the claim id and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crawler.judge.claim_terms import TermError, TermGroup, compile_terms, expand_terms
from crawler.judge.numbers import Quantity

KINDS = ("money", "count", "percent", "date")
CLAIM_FIELDS = frozenset(
    {
        "id",
        "claim",
        "about",
        "asserts",
        "touches",
        "disputes",
        "quantities",
        "others",
        "doubt",
        "note",
        "where",
    }
)
QUANTITY_FIELDS = frozenset(
    {"kind", "value", "unit", "approx", "bound", "context", "conflict", "text", "note"}
)
TOP_FIELDS = frozenset({"seed", "language", "draft", "terms", "doubt", "claims", "article", "source", "note"})
_ID = re.compile(r"^[a-z0-9][a-z0-9\-_.]*$")


class ClaimsFileError(ValueError):
    """A claims file that cannot be used, with the file, claim and field at fault."""


Group = TermGroup
Pattern = tuple[Group, ...]


@dataclass(frozen=True)
class QuantitySpec:
    """A number a claim asserts, and what the sentence must be about for a figure to count."""

    quantity: Quantity
    context: tuple[Pattern, ...] = ()
    conflict_disputes: bool = True


@dataclass(frozen=True)
class Claim:
    """One check-worthy claim of a seed, compiled for matching."""

    id: str
    text: dict[str, str]
    about: Group | None
    asserts: tuple[Pattern, ...] = ()
    touches: tuple[Pattern, ...] = ()
    disputes: tuple[Pattern, ...] = ()
    quantities: tuple[QuantitySpec, ...] = ()
    others: Group | None = None
    cues: dict[str, list[list[str]]] = field(default_factory=dict)
    doubt: bool = True

    @property
    def groups(self) -> tuple[Group, ...]:
        """Every group of the claim's asserting and touching patterns, and its subject."""
        groups = [g for pattern in (*self.asserts, *self.touches) for g in pattern]
        return tuple(groups + ([self.about] if self.about is not None else []))


@dataclass(frozen=True)
class ClaimsDocument:
    """A whole claims file, compiled."""

    seed: str
    language: str
    draft: bool
    claims: tuple[Claim, ...]
    doubt: Group | None


class _Where:
    """Where in the file we are, so errors can say it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.claim = ""

    def error(self, field_name: str, problem: str) -> ClaimsFileError:
        where = f"claim {self.claim!r}: " if self.claim else ""
        return ClaimsFileError(f"{self.source}: {where}field {field_name!r}: {problem}")


def parse_claims(data: Any, source: str) -> ClaimsDocument:
    """Compile the parsed YAML of a claims file; `source` names it in errors."""
    where = _Where(source)
    if not isinstance(data, dict):
        raise ClaimsFileError(f"{source}: expected a mapping with 'seed', 'terms' and 'claims' at the top")
    unknown = set(data) - TOP_FIELDS
    if unknown:
        raise where.error(
            sorted(unknown)[0], f"unknown field; expected one of {', '.join(sorted(TOP_FIELDS))}"
        )
    terms = data.get("terms") or {}
    if not isinstance(terms, dict) or not all(isinstance(v, list) for v in terms.values()):
        raise where.error("terms", "expected a mapping of names to lists of words")
    claims_data = data.get("claims")
    if not isinstance(claims_data, list) or not claims_data:
        raise where.error("claims", "expected a non-empty list of claims")
    doubt = _group(data.get("doubt") or [], terms, where, "doubt") if data.get("doubt") else None
    claims: list[Claim] = []
    seen: set[str] = set()
    for index, item in enumerate(claims_data):
        where.claim = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
        claim = _claim(item, terms, where)
        if claim.id in seen:
            raise where.error("id", "used twice; ids must be unique")
        seen.add(claim.id)
        claims.append(claim)
    seed = str(data.get("seed") or "")
    if not seed:
        where.claim = ""
        raise where.error("seed", "missing; give the seed's folder name")
    return ClaimsDocument(
        seed, str(data.get("language") or ""), bool(data.get("draft")), tuple(claims), doubt
    )


def _claim(item: Any, terms: dict[str, list[str]], where: _Where) -> Claim:
    if not isinstance(item, dict):
        raise where.error("claims", "each claim must be a mapping with at least 'id' and 'claim'")
    unknown = set(item) - CLAIM_FIELDS
    if unknown:
        raise where.error(
            sorted(unknown)[0], f"unknown field; expected one of {', '.join(sorted(CLAIM_FIELDS))}"
        )
    claim_id = item.get("id")
    if not isinstance(claim_id, str) or not _ID.match(claim_id):
        raise where.error("id", "expected a lower-case id such as 'r1-release-jan20'")
    text = item.get("claim")
    if isinstance(text, str):
        text = {"en": text}
    if not isinstance(text, dict) or not text or not all(isinstance(v, str) and v for v in text.values()):
        raise where.error("claim", "expected the claim's wording, e.g. {zh: ..., en: ...}")
    about = _group(item.get("about") or [], terms, where, "about") if item.get("about") else None
    others = _group(item.get("others") or [], terms, where, "others") if item.get("others") else None
    patterns = {
        name: _patterns(item.get(name) or [], terms, where, name)
        for name in ("asserts", "touches", "disputes")
    }
    quantities = tuple(_quantity(q, terms, where, i) for i, q in enumerate(item.get("quantities") or []))
    if not any(patterns.values()) and not quantities:
        raise where.error(
            "asserts", "a claim needs at least one pattern (asserts, touches, disputes) or quantity"
        )
    cues = {
        name: [[_cue(g) for g in p] for p in item.get(name) or []]
        for name in ("asserts", "touches", "disputes")
    }
    doubt = item.get("doubt", True)
    if not isinstance(doubt, bool):
        raise where.error("doubt", f"expected true or false, got {doubt!r}")
    return Claim(claim_id, dict(text), about, patterns["asserts"], patterns["touches"], patterns["disputes"],
                 quantities, others, cues, doubt)  # fmt: skip


def _group(entries: Any, terms: dict[str, list[str]], where: _Where, field_name: str) -> Group:
    """One group: a word, a list name, or a list of them."""
    if isinstance(entries, str | int | float):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise where.error(field_name, f"expected a word, a list name or a list of them, got {entries!r}")
    try:
        return compile_terms(expand_terms([_word(e) for e in entries], terms))
    except TermError as exc:
        raise where.error(field_name, str(exc)) from None


def _cue(group: Any, shown: int = 5) -> str:
    """A group as a person reads it: a list name, a word, or some words of a list ("a/b/c/…")."""
    if not isinstance(group, list):
        return str(_word(group))
    words = [str(_word(w)) for w in group]
    return "/".join(words[:shown]) + ("/…" if len(words) > shown else "")


def _word(entry: Any) -> Any:
    """A word as written: YAML reads 2048 as a number and false as a boolean."""
    if isinstance(entry, bool):
        return str(entry).lower()
    return str(entry) if isinstance(entry, int | float) else entry


def _patterns(raw: Any, terms: dict[str, list[str]], where: _Where, field_name: str) -> tuple[Pattern, ...]:
    if not isinstance(raw, list):
        raise where.error(field_name, "expected a list of patterns, each a list of groups")
    patterns: list[Pattern] = []
    for index, pattern in enumerate(raw):
        if not isinstance(pattern, list) or not pattern:
            raise where.error(f"{field_name}[{index}]", "expected a non-empty list of groups")
        patterns.append(tuple(_group(g, terms, where, f"{field_name}[{index}]") for g in pattern))
    return tuple(patterns)


def _quantity(raw: Any, terms: dict[str, list[str]], where: _Where, index: int) -> QuantitySpec:
    name = f"quantities[{index}]"
    if not isinstance(raw, dict):
        raise where.error(name, "expected a mapping with kind and value")
    unknown = set(raw) - QUANTITY_FIELDS
    if unknown:
        raise where.error(f"{name}.{sorted(unknown)[0]}", "unknown field")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise where.error(f"{name}.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    value = _quantity_value(kind, raw.get("value"), where, name)
    unit = str(raw.get("unit") or ("date" if kind == "date" else "%" if kind == "percent" else ""))
    if kind == "money" and unit not in ("USD", "CNY", "EUR", "HKD", "JPY"):
        raise where.error(f"{name}.unit", f"expected a currency code such as USD or CNY, got {unit!r}")
    bound = raw.get("bound")
    if bound not in (None, "upper", "lower"):
        raise where.error(f"{name}.bound", f"expected upper or lower, got {bound!r}")
    conflict = raw.get("conflict", "disputes")
    if conflict not in ("disputes", "ignore"):
        raise where.error(f"{name}.conflict", f"expected disputes or ignore, got {conflict!r}")
    context = _patterns([raw["context"]], terms, where, f"{name}.context") if raw.get("context") else ()
    quantity = Quantity(value, unit, kind, str(raw.get("text") or ""), 0, 0, bool(raw.get("approx")), bound)
    return QuantitySpec(quantity, context, conflict == "disputes")


def _quantity_value(kind: str, value: Any, where: _Where, name: str) -> float:
    if kind == "date":
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise where.error(f"{name}.value", f"expected a date as YYYY-MM-DD, got {value!r}") from None
        if not isinstance(value, date):
            raise where.error(f"{name}.value", f"expected a date as YYYY-MM-DD, got {value!r}")
        return float(value.year * 10000 + value.month * 100 + value.day)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise where.error(
                f"{name}.value", f"expected a number in base units (6.0e6), got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.error(f"{name}.value", f"expected a number in base units (6.0e6), got {value!r}")
    return float(value)
