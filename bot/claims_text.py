"""The claims tracker as text: the `/claims` messages, with a one-line sparkline per claim.

Pure: takes the tracker's counts (any objects with `ClaimTally`'s fields), the claims' wording and the
`Timeline`, and returns Telegram HTML messages. No I/O, no framework imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.i18n import t
from bot.render import quote, split_messages, unstopped
from bot.timeline import SPARK_COLUMNS, Timeline, bucketed, claim_sparkline, days_per_column, sparkline
from bot.timeline_svg import day_label
from crawler.judge.canonical import link_url
from crawler.judge.digest import ClaimWording

EVIDENCE_CHARS = 300


class Tally(Protocol):
    """What the claims tracker stores per claim (see `crawler.storage.claims.ClaimTally`)."""

    @property
    def claim_id(self) -> str: ...
    @property
    def supports(self) -> int: ...
    @property
    def disputes(self) -> int: ...
    @property
    def mentions(self) -> int: ...
    @property
    def latest_dispute(self) -> str | None: ...
    @property
    def latest_dispute_url(self) -> str | None: ...
    @property
    def latest_dispute_outlet(self) -> str | None: ...


def dispute_link(tally: Tally) -> str:
    """The address of the latest disputing article as readers see it (`link_url`); empty when none."""
    return link_url(tally.latest_dispute_url) if tally.latest_dispute_url else ""


def legend(timeline: Timeline, lang: str, columns: int = SPARK_COLUMNS) -> str:
    """What one mark of the sparklines stands for, and the days they cover (empty without days)."""
    if timeline.empty:
        return ""
    first, last = day_label(timeline.days[0], lang), day_label(timeline.days[-1], lang)
    return t(lang, "claims_legend", n=days_per_column(len(timeline.days), columns), first=first, last=last)


def coverage_line(timeline: Timeline, lang: str, columns: int = SPARK_COLUMNS) -> str:
    """Relevant articles per day in each language, as sparklines on one scale (empty without days)."""
    if timeline.empty or not timeline.coverage:
        return ""
    series = {lg: bucketed(values, columns) for lg, values in timeline.coverage.items()}
    top = max(v for values in series.values() for v in values)
    names = {"en": t(lang, "lang_name_en"), "zh": t(lang, "lang_name_zh")}
    sparks = "  ".join(f"{names.get(lg, lg)} {sparkline(values, top)}" for lg, values in series.items())
    return t(lang, "claims_coverage", sparks=sparks)


def claims_messages(
    tallies: Sequence[Tally], wording: Mapping[str, ClaimWording], timeline: Timeline, lang: str
) -> list[str]:
    """The `/claims` reply: per claim its counts, sparkline and latest dispute, in claims-file order."""
    if not tallies:
        return [t(lang, "claims_none")]
    order = {claim_id: i for i, claim_id in enumerate(wording)}
    head = t(lang, "claims_title")
    head = "\n".join(line for line in (head, legend(timeline, lang), coverage_line(timeline, lang)) if line)
    blocks = [head]
    for tally in sorted(tallies, key=lambda x: (order.get(x.claim_id, len(order)), x.claim_id)):
        text = wording[tally.claim_id].text(lang) if tally.claim_id in wording else tally.claim_id
        block = t(
            lang,
            "claims_line",
            text=unstopped(text),
            supports=tally.supports,
            disputes=tally.disputes,
            mentions=tally.mentions,
        )
        series = timeline.series(tally.claim_id)
        if series is not None:
            supports, disputes = claim_sparkline(series)
            block += "\n" + t(lang, "claims_spark", supports=supports, disputes=disputes)
        if tally.latest_dispute:
            block += "\n" + t(
                lang,
                "claims_latest",
                evidence=quote(tally.latest_dispute[:EVIDENCE_CHARS]),
                url=dispute_link(tally),
                outlet=tally.latest_dispute_outlet or "link",
            )
        blocks.append(block)
    return split_messages(blocks)
