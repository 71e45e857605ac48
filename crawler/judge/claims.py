"""What an article says about a seed's claims: supports, disputes or only mentions each, with evidence.

The claims file (seeds/NAME/claims.yaml, schema at its top) carries everything language-specific: the
words of each claim in Chinese and English, the names of its people and organisations, the numbers it
asserts. Matching is then the same for every language: each sentence is tested against each claim's
patterns, and its numbers are compared with the claim's (`crawler.judge.numbers`), across languages,
currencies and units. Offline, deterministic, no model.

Errors::

    ValueError
     └── ClaimsFileError   (a claims file that cannot be used; names file, claim id and field)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml

from crawler.judge.claim_schema import Claim, ClaimsDocument, ClaimsFileError, Group, Pattern, parse_claims
from crawler.judge.claim_structure import (
    compares,
    figure_owner,
    names_other_product,
    names_subject,
    turns_away,
)
from crawler.judge.numbers import Quantity, compare, extract_quantities
from crawler.judge.stance import (
    all_negated,
    debunk_framing,
    doubts,
    finds_no_record,
    is_question,
    negated,
    rejects_previous,
)
from crawler.judge.text import split_paragraphs, split_sentences
from crawler.judge.types import ClaimMatch, Stance

__all__ = [
    "CandidateFinder",
    "Claim",
    "ClaimSet",
    "ClaimsFileError",
    "load_claim_set",
    "parse_claim_set",
    "rule_candidates",
]

logger = logging.getLogger(__name__)

# Scores of the kinds of evidence: a number that agrees or conflicts is the strongest.
SCORE_NUMBER = 0.9
SCORE_PATTERN = 0.75
SCORE_DOUBT = 0.65
SCORE_MENTION = 0.55
SCORE_FRAMING = 0.7  # the title or lead frames the article as a debunk of the claim
NEAR_PENALTY = 0.1
SUBJECT_FROM_PREVIOUS = True  # the claim's subject is named only in the paragraph or title, not the sentence
_RANK: dict[Stance, int] = {"disputes": 3, "supports": 2, "mentions": 1}
MAX_EVIDENCE = 400
_ANAPHOR = re.compile(
    r"这一?(?:数字|说法|数据|估算|结论)|该(?:数字|说法|数据)|此说法|这个数字|这种说法"
    r"|\b(?:this|that|the|these) (?:figure|number|claim|estimate|figures|numbers|claims)\b|\bwhich\b|\bit\b",
    re.IGNORECASE,
)
# A sentence that opens by referring back to the subject of its paragraph ("该模型…", "这家公司称…",
# "这是一款…", "The company said…", "It was…") is about that subject even though it does not name it.
# "X、Y、Z……用这些来描述它有些夸张", "all these claims are overblown": a doubt that refers back to several
# things takes in everything the sentence said before it.
_PLURAL_ANAPHOR = re.compile(
    r"这些|这类|此类|诸如此类|凡此种种|\b(?:these|those|such|all these|all those) "
    r"(?:claims|descriptions|headlines|reports|comments|predictions|views|narratives|words|statements|fears"
    r"|figures)\b",
    re.IGNORECASE,
)
# "对 X 的质疑", "doubts about X": what a doubt is about, named with it.
_DOUBT_OBJECT = re.compile(
    r"对(?P<object>[^，。；！？]{2,40}?)的(?:质疑|怀疑|担忧|争议)"
    r"|\b(?:doubts?|questions|scepticism|skepticism) (?:about|over|on|regarding) "
    r"(?P<en>(?:(?!\b(?:as|while|but|after|when|because|since|and)\b)[^,;.]){3,80})",
    re.IGNORECASE,
)
_OPENING_ANAPHOR = re.compile(
    r"^[\s“\"「『（(]*(?:(?:而|但|且|并且|同时|此外|据悉|另外)[，,]?\s*)?"
    r"(?:该|这家|这款|这个|这是|此|其|它)(?:公司|模型|初创公司|初创企业|企业|团队|大模型|AI模型)?"
    r"|^[\s“\"(]*(?:(?:But|And|Yet|Still|However),?\s+)?(?:The|This) (?:company|startup|firm|model|lab)\b"
    r"|^[\s“\"(]*(?:(?:But|And|Yet|Still|However),?\s+)?(?:It|Its)\b",
)
# A day named only by reference to the date just given ("座谈会当天", "the same day", "that day"): it is that
# date ("Liang attended on 20 January. That day, DeepSeek released R1.").
_SAME_DAY = re.compile(
    r"当天|当日|同日|同一天|同一日|\b(?:that(?:\s+same)?|the\s+same)\s+day\b",
    re.IGNORECASE,
)


_SAME_DAY_LOOKBACK = 50  # dated sentences searched back for the event a "当天" refers to


def _same_day(sentence: str, previous: str, dated: list[tuple[str, Quantity]]) -> Quantity | None:
    """The date a sentence names only by reference ("座谈会当天", "that day"), placed at that reference: the
    date of the event named just before the reference where an earlier sentence dates it ("梁文峰1月20日参加了
    座谈会。… 座谈会当天，DeepSeek发布了R1"), else the date of the sentence just before."""
    reference = _SAME_DAY.search(sentence)
    if reference is None or not dated:
        return None
    day = dated[-1][1] if dated[-1][0] == previous else None
    event = re.search(r"[\u4e00-\u9fff]{2,3}$", sentence[: reference.start()])
    if event is not None:
        for length in (3, 2):
            word = event.group()[-length:]
            if len(word) == length:
                recent = dated[-_SAME_DAY_LOOKBACK:]  # bounded: a hostile page may date every sentence
                match = next((date for text, date in reversed(recent) if word in text), None)
                if match is not None:
                    day = match
                    break
    if day is None:
        return None
    return replace(day, text=reference.group(), start=reference.start(), end=reference.end())


_RATE = re.compile(
    r"\s*(?:/|每|一(?:天|小时|个月|年)|per\b|an? (?:day|hour|month|year|week)\b|apiece\b|each\b)",
    re.IGNORECASE,
)
# A clause that opens with its predicate has no subject of its own: it says something of the clause right
# before it ("所谓“X”，其实是一种误读"; in English, a clause opening with "is" / "seems" after a comma).
_PREDICATE_OPENING = re.compile(
    r"^(?:至少|恐怕|可能|显然|其实|实际上|未免|只|也|都|则|仍|还|更|不过|纯|实)*"
    r"(?:是(?!否)|为(?!了|何|什么|此)|属)"
    r"|^(?:is|was|are|were|seems?|seemed|appears?|appeared|remains?|remained|looks?|looked)\b",
    re.IGNORECASE,
)
# A first part of an amount ("US$100 billion immediately", "首期投资1000亿美元", "an initial $100bn"):
# no total a claim states can be compared with it.
_TRANCHE_AFTER = re.compile(
    r"[\s,，]*(?:(?:will\s+be\s+|to\s+be\s+)?(?:deployed|invested|spent|committed)\s+)?"
    r"(?:immediately|initially|at first|at the outset|up\s?front|right away"
    r"|in (?:the|its) first (?:phase|stage|tranche|year|round))\b",
    re.IGNORECASE,
)
_TRANCHE_BEFORE = re.compile(
    r"(?:首期|首批|初期|一期|第一期|第一阶段|先期|起步|首轮"
    r"|\binitial(?:ly)?|\bfirst(?:-phase)?|\bfirst tranche of|\bstarting with|\bimmediate)"
    r"\s*(?:(?:投资|投入|资金|规模|部署|的|of|an?|about|around|some|roughly|nearly|US)\s*)*[\s$¥€£约近逾超]*$",
    re.IGNORECASE,
)


def _tranche(text: str, found: Quantity) -> bool:
    """Whether the amount is stated as a first part of something ("$100 billion immediately")."""
    return bool(
        _TRANCHE_AFTER.match(text, found.end)
        or _TRANCHE_BEFORE.search(text[max(0, found.start - 30) : found.start])
    )


_CONTRAST = re.compile(r"(?:而|但|却|可是|反观|相比之下|while\b|whereas\b|but\b)", re.IGNORECASE)
_LEADS_IN = re.compile(
    r"(?:认为|表示|称|指出|说|觉得|怀疑|质疑|担心|\bthat|\bwhether|[:：])\s*$", re.IGNORECASE
)
_CLAUSE = re.compile(
    r"[，,；;：:]\s*|\s+(?:but|while|whereas|although|though|however)\s+|但是?|不过|然而|尽管"
)


@dataclass(frozen=True)
class _Sentence:
    text: str
    paragraph: str
    quantities: tuple[Quantity, ...]
    previous: str = ""


@dataclass(frozen=True)
class _Verdict:
    stance: Stance
    score: float


@lru_cache(maxsize=1 << 16)
def _found(group: Group, text: str) -> bool:
    """Whether a group's words occur in a text; remembered, since every claim asks about every sentence
    and the paragraph around it, and many claims share their groups."""
    return group.search(text) is not None


def _hit(group: Group | None, text: str) -> bool:
    return group is not None and _found(group, text)


def _matches(pattern: Pattern, text: str) -> bool:
    return all(_found(group, text) for group in pattern)


def _any(patterns: tuple[Pattern, ...], text: str) -> bool:
    return any(_matches(pattern, text) for pattern in patterns)


def _matches_with_subject(pattern: Pattern, text: str, context: str) -> bool:
    """Whether the pattern matches the sentence, its subject (first group) allowed to be named only in the
    sentence's context (the sentence before): "R1 came out on Monday. It is open source and free."."""
    if _matches(pattern, text):
        return True
    return bool(context) and len(pattern) > 1 and _found(pattern[0], context) and _matches(pattern[1:], text)


def _polarity(patterns: tuple[Pattern, ...], text: str, context: str = "") -> tuple[bool, bool]:
    """Whether some pattern matches the text as written, and whether some matches with its claim word
    negated ("OpenAI 选择不开放权重", "R1 is not on par with o1"): when every occurrence of one of a
    pattern's groups is negated, the sentence says the opposite of what the pattern describes."""
    plain = flipped = False
    for pattern in patterns:
        if not _matches_with_subject(pattern, text, context):
            continue
        if len(pattern) > 1 and any(all_negated(group.pattern, text) for group in pattern):
            flipped = True
        else:
            plain = True
    return plain, flipped


# A candidate finder proposes, for one claim, sentences of an article that may address it (their indices
# in `sentences`, title first) with a score in [0, 1]; `lang` is the article's language ("zh", "en", "").
# The rules judge every proposed sentence. When they judge none, the finder's best sentence counts with the
# finder's score and the stance its `stance(sentence, score)` method gives ("mentions" without one).
# Finders are added with `ClaimSet(..., finders=[...])` or `with_finders` (crawler/judge/claim_finder.py).
CandidateFinder = Callable[[Claim, Sequence[str], str], Sequence[tuple[int, float]]]


def _finder_stance(finder: CandidateFinder, sentence: str, score: float) -> Stance:
    """The stance a finder gives a sentence the rules could not judge ("mentions" unless it says)."""
    stance = getattr(finder, "stance", None)
    return stance(sentence, score) if callable(stance) else "mentions"


def rule_candidates(claim: Claim, sentences: Sequence[str], lang: str) -> Sequence[tuple[int, float]]:
    """The rules' own candidates: every sentence (their patterns decide); none for a claim whose patterns
    and figures cannot match this article. `lang` is not needed: the words of both languages are tried."""
    del claim, lang
    return [(index, 0.0) for index in range(len(sentences))]


class ClaimSet:
    """The claims of one seed, able to find them in articles (implements `ClaimMatcher`)."""

    def __init__(
        self, document: ClaimsDocument, *, min_score: float = 0.5, finders: Sequence[CandidateFinder] = ()
    ) -> None:
        self.seed = document.seed
        self.language = document.language
        self.draft = document.draft
        self.claims = document.claims
        self.doubt = document.doubt
        self.min_score = min_score
        self.finders: tuple[CandidateFinder, ...] = tuple(finders)

    def __len__(self) -> int:
        return len(self.claims)

    def match(self, title: str, text: str, lang: str = "") -> list[ClaimMatch]:
        """The seed's claims this article addresses, each with stance, score and evidence sentence.

        `lang` (the article's language) is handed to the candidate finders."""
        sentences = self._sentences(title, text)
        whole = f"{title}\n{text}"
        kinds = {(q.kind, q.unit) for sentence in sentences for q in sentence.quantities}
        framing = self._framing(title, sentences)
        best: dict[str, tuple[_Verdict, str]] = {}
        for claim in self.claims:
            if claim.about is not None and not _hit(claim.about, whole):
                continue
            feasible = _feasible(claim, whole, kinds)
            fallback: tuple[_Verdict, str] | None = None
            for index, finder_score, finder in self._candidates(feasible, sentences, lang):
                sentence = sentences[index]
                verdict = self._judge(feasible, sentence, title, doubt_groups=claim.groups)
                if verdict is None and finder is not None and finder_score > 0:
                    # Only when no sentence gives the rules a verdict: a finder proposes, the rules judge.
                    said = _finder_stance(finder, sentence.text, finder_score)
                    if fallback is None or finder_score > fallback[0].score:
                        fallback = (_Verdict(said, finder_score), sentence.text)
                if verdict is None:
                    continue
                evidence = sentence.text
                answer = sentences[index + 1] if index + 1 < len(sentences) else None
                if (
                    verdict.stance != "disputes"
                    and answer is not None
                    and answer.paragraph == sentence.paragraph
                    and rejects_previous(answer.text)
                ):
                    # "“Trump signed a $500bn plan.” That's not what happened.": quoted to be rejected.
                    verdict, evidence = _Verdict("disputes", verdict.score), f"{sentence.text} {answer.text}"
                current = best.get(claim.id)
                if current is None or (_RANK[verdict.stance], verdict.score) > (
                    _RANK[current[0].stance],
                    current[0].score,
                ):
                    best[claim.id] = (verdict, evidence)
            if claim.id not in best and fallback is not None:
                best[claim.id] = fallback
            found = best.get(claim.id)
            if found and found[0].stance != "disputes" and framing:
                debunked = self._debunked(feasible, framing, title)
                if debunked is not None:
                    best[claim.id] = (_Verdict("disputes", SCORE_FRAMING), debunked)
        return [
            ClaimMatch(claim_id, verdict.stance, round(verdict.score, 3), _clip(evidence), self.seed)
            for claim_id, (verdict, evidence) in best.items()
            if verdict.score >= self.min_score
        ]

    def _candidates(
        self, claim: Claim, sentences: list[_Sentence], lang: str
    ) -> list[tuple[int, float, CandidateFinder | None]]:
        """The sentences that may address the claim (see `CandidateFinder`), each once, best score kept,
        with the finder that proposed it (None: the rules)."""
        proposed: dict[int, tuple[float, CandidateFinder | None]] = {}
        texts = [s.text for s in sentences]
        if claim.asserts or claim.touches or claim.disputes or claim.quantities:
            proposed.update((i, (score, None)) for i, score in rule_candidates(claim, texts, lang))
        for finder in self.finders:
            for index, finder_score in finder(claim, texts, lang):
                if 0 <= index < len(sentences) and finder_score > proposed.get(index, (0.0, None))[0]:
                    proposed[index] = (finder_score, finder)
        return [(index, score, finder) for index, (score, finder) in sorted(proposed.items())]

    def with_finders(self, finders: Sequence[CandidateFinder]) -> ClaimSet:
        """The same claims with these candidate finders added."""
        document = ClaimsDocument(self.seed, self.language, self.draft, self.claims, self.doubt)
        return ClaimSet(document, min_score=self.min_score, finders=(*self.finders, *finders))

    @staticmethod
    def _framing(title: str, sentences: list[_Sentence]) -> list[_Sentence]:
        """The title and lead sentence when they frame the article as a debunk ("辟谣", "fact check")."""
        lead = [s for s in sentences if s.text != title.strip()][:2]
        head = [s for s in sentences[:1] if title.strip() and s.text == title.strip()] + lead
        return [s for s in head if debunk_framing(s.text)]

    def _debunked(self, claim: Claim, framing: list[_Sentence], title: str) -> str | None:
        """The framing sentence that names the claim, when there is one: a debunking title or lead that
        addresses a claim disputes it, whatever the body goes on to quote."""
        for sentence in framing:
            if self._judge(claim, sentence, title) is not None:
                return sentence.text
        return None

    def covers(self, sentence: str) -> bool:
        """Whether a sentence restates (or addresses) any of the seed's claims."""
        parsed = _Sentence(sentence, sentence, tuple(extract_quantities(sentence)))
        return any(self._judge(claim, parsed, "", require_about=False) is not None for claim in self.claims)

    def judge_sentence(self, claim_id: str, sentence: str) -> Stance | None:
        """The stance one sentence on its own takes on one claim, or None (for tests and tuning)."""
        claim = next((c for c in self.claims if c.id == claim_id), None)
        if claim is None:
            raise KeyError(f"no claim {claim_id!r} in seed {self.seed!r}")
        verdict = self._judge(claim, _Sentence(sentence, sentence, tuple(extract_quantities(sentence))), "")
        return verdict.stance if verdict else None

    @staticmethod
    def _sentences(title: str, text: str) -> list[_Sentence]:
        found: list[_Sentence] = []
        if title.strip():
            found.append(_Sentence(title.strip(), title.strip(), tuple(extract_quantities(title))))
        previous = ""
        dated: list[tuple[str, Quantity]] = []  # sentences that give a date, with their last date
        for paragraph in split_paragraphs(text):
            for sentence in split_sentences(paragraph):
                quantities = extract_quantities(sentence)
                dates = [q for q in quantities if q.kind == "date"]
                day = None if dates else _same_day(sentence, previous, dated)
                if day is not None:
                    quantities.append(day)
                found.append(_Sentence(sentence, paragraph, tuple(quantities), previous))
                if dates:
                    dated.append((sentence, dates[-1]))
                previous = sentence
        return found

    def _judge(
        self,
        claim: Claim,
        sentence: _Sentence,
        title: str,
        *,
        require_about: bool = True,
        doubt_groups: tuple[Group, ...] | None = None,
    ) -> _Verdict | None:
        """The stance one sentence takes on one claim, or None when it does not address it."""
        text = sentence.text
        about_here = claim.about is None or _hit(claim.about, text)
        if not about_here and _OPENING_ANAPHOR.match(text):
            about_here = _hit(claim.about, sentence.paragraph) or _hit(claim.about, sentence.previous)
        if (
            require_about
            and not about_here
            and not (_hit(claim.about, sentence.paragraph) or _hit(claim.about, title))
        ):
            return None
        if not about_here and (turns_away(text) or names_other_product(text, claim.about)):
            return None  # "相比之下，国外的模型…", "Qwen2.5-Max 的表现…": about something else
        # A name the subject is only compared with ("比 o1 便宜", "cheaper than o1") is no other subject.
        other_subject = _hit(claim.others, text) and names_subject(claim.others, text)
        if other_subject and not about_here:
            return None
        penalty = 0.0 if about_here else NEAR_PENALTY
        agree, conflicts = self._numbers(claim, sentence.quantities, text)
        # A figure contradicts the claim only when it is the claim's subject's: named last before it (or
        # right after it) in the sentence, or, with no subject named near it, the sentence names the
        # claim's subject and no other the figure could belong to.
        conflict = not agree and any(
            (owner := figure_owner(text, q.start, q.end, claim.about, claim.others)) == "about"
            or (owner is None and about_here and not other_subject)
            for q in conflicts
        )
        said, denied = _polarity(claim.asserts, text)
        if not (said or denied) and SUBJECT_FROM_PREVIOUS:
            said, denied = _polarity(claim.asserts, text, sentence.previous)
            penalty = max(penalty, NEAR_PENALTY) if said or denied else penalty
        asserted = agree or said
        touched = asserted or denied or conflict or _any(claim.touches, text)
        # With figures to go by, a correction must be about the claim's subject or its figure, named in
        # this sentence or the one before ("It cost $5.6m. That leaves out research.").
        grounded = about_here or agree or not claim.quantities or self._grounds(claim, sentence.previous)
        # A claim that states no amount of money (or no count) is not corrected by a comparison of prices
        # or of counts ("o1 的价格为 15 美元和 60 美元，差距约 27 倍", "visits fall far short of ChatGPT's
        # 130 million" say nothing of how R1 performs).
        stated = frozenset(spec.quantity.kind for spec in claim.quantities)
        corrected, corrected_denied = _polarity_in_clauses(claim.disputes, text, skip_amounts=stated)
        if grounded and corrected:
            return _Verdict("disputes", SCORE_PATTERN + 0.1 - penalty)
        if conflict:
            return _Verdict("disputes", SCORE_NUMBER - penalty)
        if denied and not asserted:
            return _Verdict("disputes", SCORE_PATTERN - penalty)
        if touched and claim.doubt and self._doubted(claim, text, doubt_groups or claim.groups):
            return _Verdict("disputes", SCORE_DOUBT - penalty)
        if corrected_denied and not asserted:
            # "OpenAI 选择不开放权重": the correction is negated, so the sentence agrees with the claim.
            return _Verdict("supports", SCORE_PATTERN - penalty)
        if asserted and not agree and is_question(text):
            return _Verdict("mentions", SCORE_MENTION - penalty)
        if asserted:
            return _Verdict("supports", (SCORE_NUMBER if agree else SCORE_PATTERN) - penalty)
        if touched:
            return _Verdict("mentions", SCORE_MENTION - penalty)
        return None

    def _grounds(self, claim: Claim, previous: str) -> bool:
        """Whether the previous sentence names the claim's subject or states its figure."""
        if not previous:
            return False
        if _hit(claim.about, previous):
            return True
        return self._numbers(claim, tuple(extract_quantities(previous)), previous)[0]

    def _doubted(self, claim: Claim, text: str, groups: tuple[Group, ...]) -> bool:
        """Whether a word of doubt bears on the claim: it stands in a clause (or the clause before one)
        that names the claim's subject, one of its words or a figure comparable with the claim's."""
        if not self._voices_doubt(text):
            return False
        for window in _doubt_windows(text, self._voices_doubt):
            if any(_found(group, window) for group in groups):
                return True
            agree, conflicts = self._numbers(claim, tuple(extract_quantities(window)), window)
            if agree or conflicts:
                return True
        return False

    def _voices_doubt(self, text: str) -> bool:
        """General doubt (`crawler.judge.stance`) or a word of the seed's own `doubt` list, not negated."""
        if doubts(text):
            return True
        if self.doubt is None or not _found(self.doubt, text):
            return False
        return any(not negated(text, m.start()) for m in self.doubt.pattern.finditer(text) if m.group())

    @staticmethod
    def _numbers(claim: Claim, quantities: tuple[Quantity, ...], text: str) -> tuple[bool, list[Quantity]]:
        """Whether the text has a figure that agrees with the claim's, and the figures that conflict."""
        agree = False
        conflicts: list[Quantity] = []
        for spec in claim.quantities:
            if spec.context and not _any(spec.context, text):
                continue
            for found in quantities:
                if found.kind in ("money", "count") and _RATE.match(text, found.end):
                    continue  # "$87,072/天", "$2 per hour": a rate, not a total a claim's figure could be
                if _tranche(text, found):
                    continue  # "$100 billion immediately", "首期1000亿美元": a first part, not the whole
                verdict = compare(spec.quantity, found)
                agree = agree or verdict == "agree"
                if verdict == "conflict" and spec.conflict_disputes:
                    conflicts.append(found)
        return agree, conflicts


def _feasible(claim: Claim, text: str, kinds: set[tuple[str, str]]) -> Claim:
    """The claim without the patterns and figures that cannot match anywhere in this article (a large
    saving: most claims have nothing to do with most articles)."""

    def keep(patterns: tuple[Pattern, ...]) -> tuple[Pattern, ...]:
        return tuple(p for p in patterns if _matches(p, text))

    money = any(kind == "money" for kind, _ in kinds)
    quantities = tuple(
        spec
        for spec in claim.quantities
        if (spec.quantity.kind, spec.quantity.unit) in kinds or (spec.quantity.kind == "money" and money)
    )
    return replace(
        claim,
        asserts=keep(claim.asserts),
        touches=keep(claim.touches),
        disputes=keep(claim.disputes),
        quantities=quantities,
    )


def _clause_windows(text: str) -> list[str]:
    """Each clause of a sentence joined with the clause after it ("有人怀疑，成本远不止于此")."""
    clauses = [c for c in _CLAUSE.split(text) if c.strip()] or [text]
    return [" ".join(clauses[i : i + 2]) for i in range(len(clauses))]


def _doubt_windows(text: str, doubt: Callable[[str], bool]) -> list[str]:
    """The clause with a word of doubt; with the clause after it when that says what is doubted ("有人
    怀疑，成本远不止于此"), and with the clause before it when the doubt refers back to it ("成本为558万
    美元，但这一数字受到质疑"). A clause that turns to something else ("而…", "while…") stays apart."""
    clauses = [c.strip() for c in _CLAUSE.split(text) if c.strip()] or [text]
    windows = []
    for index, clause in enumerate(clauses):
        if not doubt(clause):
            continue
        named = _DOUBT_OBJECT.search(clause)
        if named is not None:
            windows.append(named.group("object") or named.group("en"))  # "对 X 的质疑": names what it doubts
            continue
        windows.append(clause)
        following = clauses[index + 1] if index + 1 < len(clauses) else ""
        if following and not _CONTRAST.match(following) and (len(clause) <= 10 or _LEADS_IN.search(clause)):
            windows.append(f"{clause} {following}")
        if index and _PLURAL_ANAPHOR.search(clause):
            windows.append(" ".join(clauses[: index + 1]))
        elif index and (
            _ANAPHOR.search(clause) or _PREDICATE_OPENING.match(clause) or finds_no_record(clause)
        ):
            windows.append(f"{clauses[index - 1]} {clause}")
    return windows


def _polarity_in_clauses(
    patterns: tuple[Pattern, ...], text: str, *, skip_amounts: frozenset[str] | None = None
) -> tuple[bool, bool]:
    """`_polarity` of the patterns within two neighbouring clauses of the sentence; with `skip_amounts`
    (the kinds of figure the claim states), none in a comparison that states an amount of money or a
    count of another kind: it compares prices or counts, not what the claim says."""
    if not _any(patterns, text):
        return False, False
    if skip_amounts is not None and compares(text) and _states_amount(text, skip_amounts):
        return False, False
    plain = flipped = False
    for window in _clause_windows(text):
        said, denied = _polarity(patterns, window)
        plain, flipped = plain or said, flipped or denied
    return plain, flipped and not plain


def _states_amount(text: str, stated: frozenset[str]) -> bool:
    """Whether the text states an amount of money or a count of a thousand or more, of a kind the claim
    does not state."""
    return any(
        q.kind not in stated and (q.kind == "money" or (q.kind == "count" and q.value >= 1000))
        for q in extract_quantities(text)
    )


def _clip(sentence: str) -> str:
    """The evidence sentence, verbatim, cut at a word boundary when very long."""
    if len(sentence) <= MAX_EVIDENCE:
        return sentence
    cut = sentence[:MAX_EVIDENCE]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_EVIDENCE // 2 else cut) + "…"


_BOOL = "tag:yaml.org,2002:bool"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML with YAML 1.2 booleans ("no", "on" and "off" are words) and dates left as text, so a bad date
    is reported with its field rather than as a YAML error. libyaml's parser where PyYAML has it: the
    pure-Python one takes 30 times as long over a claims file, in every crawl process and page worker."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, "tag:yaml.org,2002:timestamp")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_claim_set(
    text: str, source: str = "<claims>", *, min_score: float = 0.5, finders: Sequence[CandidateFinder] = ()
) -> ClaimSet:
    """A claim set from the text of a claims file; `source` names it in errors."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ClaimsFileError(f"{source}: not valid YAML: {exc}") from None
    return ClaimSet(parse_claims(data, source), min_score=min_score, finders=finders)


def load_claim_set(
    path: str | Path, *, min_score: float = 0.5, finders: Sequence[CandidateFinder] = ()
) -> ClaimSet:
    """Read and compile a seed's claims file (a folder means its claims.yaml)."""
    path = Path(path)
    if path.is_dir():
        path = path / "claims.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClaimsFileError(f"{path}: cannot read the claims file: {exc.strerror or exc}") from None
    return parse_claim_set(text, str(path), min_score=min_score, finders=finders)
