"""The claims timeline: per claim, how many articles supported, disputed or mentioned it each day.

Pure: `build_timeline` takes plain per-day counts (from `Store.claims.per_day` and
`Store.claims.coverage_per_day`) and returns a `Timeline`; `sparkline` and `claim_sparkline` draw one line
of text per claim (for `/claims` and `seedwatch claims`); `bot.timeline_svg` draws the same as a chart.
No I/O, no framework imports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

STANCES = ("supports", "disputes", "mentions")
MAX_DAYS = 92  # a chart of more days than this shows the latest ones
SPARK_COLUMNS = 24  # a sparkline longer than this groups days into buckets of several days
BARS = "▁▂▃▄▅▆▇█"


class ClaimDayRow(Protocol):
    """One stored count: articles taking `stance` on `claim_id` on `day`."""

    @property
    def claim_id(self) -> str: ...
    @property
    def stance(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def articles(self) -> int: ...


class CoverageRow(Protocol):
    """One stored count: relevant articles in `lang` on `day`."""

    @property
    def day(self) -> date: ...
    @property
    def lang(self) -> str: ...
    @property
    def articles(self) -> int: ...


@dataclass(frozen=True)
class ClaimSeries:
    """One claim's articles per day of the timeline, by stance."""

    claim_id: str
    supports: tuple[int, ...]
    disputes: tuple[int, ...]
    mentions: tuple[int, ...]

    @property
    def total(self) -> int:
        """Articles that addressed the claim on any day of the timeline."""
        return sum(self.supports) + sum(self.disputes) + sum(self.mentions)

    def stance(self, name: str) -> tuple[int, ...]:
        """The series of one stance (`supports`, `disputes` or `mentions`)."""
        series: tuple[int, ...] = getattr(self, name)
        return series


@dataclass(frozen=True)
class Timeline:
    """Consecutive days, each claim's series over them, and coverage volume per language."""

    days: tuple[date, ...]
    claims: tuple[ClaimSeries, ...]
    coverage: Mapping[str, tuple[int, ...]]

    @property
    def empty(self) -> bool:
        """No day to show."""
        return not self.days

    def series(self, claim_id: str) -> ClaimSeries | None:
        """The series of one claim, None when it has none."""
        return next((s for s in self.claims if s.claim_id == claim_id), None)


def _span(weights: Mapping[date, int], max_days: int) -> tuple[date, ...]:
    """Consecutive days from the first to the last with a count, within the `max_days` that hold the
    most articles (the latest such stretch), so one stray date far off does not flatten the chart."""
    known = sorted(weights)
    if not known:
        return ()
    best: tuple[int, date, date] | None = None
    for start in known:
        inside = [d for d in known if start <= d < start + timedelta(days=max_days)]
        weight = sum(weights[d] for d in inside)
        if best is None or weight >= best[0]:
            best = (weight, start, inside[-1])
    assert best is not None
    _, first, last = best
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def build_timeline(
    claim_days: Iterable[ClaimDayRow],
    coverage_days: Iterable[CoverageRow] = (),
    claim_order: Sequence[str] = (),
    max_days: int = MAX_DAYS,
) -> Timeline:
    """Every day from the first to the last with any count (at most `max_days`: where most articles are).

    Claims come in `claim_order` (the claims file's), then any others by id; claims without a single
    article in the span are left out. Counts of one claim, stance and day are added up (several seeds).
    """
    claim_rows = list(claim_days)
    coverage_rows = list(coverage_days)
    weights: Counter[date] = Counter()
    for claim_row in claim_rows:
        weights[claim_row.day] += claim_row.articles
    for coverage_row in coverage_rows:
        weights[coverage_row.day] += coverage_row.articles
    days = _span(weights, max_days)
    index = {day: i for i, day in enumerate(days)}
    counts: dict[str, dict[str, list[int]]] = {}
    for row in claim_rows:
        if row.day in index and row.stance in STANCES:
            by_stance = counts.setdefault(row.claim_id, {s: [0] * len(days) for s in STANCES})
            by_stance[row.stance][index[row.day]] += row.articles
    order = {claim_id: i for i, claim_id in enumerate(claim_order)}
    claims = tuple(
        ClaimSeries(claim_id, *(tuple(counts[claim_id][s]) for s in STANCES))
        for claim_id in sorted(counts, key=lambda c: (order.get(c, len(order)), c))
        if any(sum(counts[claim_id][s]) for s in STANCES)
    )
    coverage: dict[str, list[int]] = {}
    for cov in coverage_rows:
        if cov.day in index:
            coverage.setdefault(cov.lang or "?", [0] * len(days))[index[cov.day]] += cov.articles
    return Timeline(days, claims, {lang: tuple(coverage[lang]) for lang in sorted(coverage)})


def bucketed(values: Sequence[int], columns: int = SPARK_COLUMNS) -> tuple[int, ...]:
    """Values summed in equal runs of consecutive days, so that at most `columns` are left."""
    size = max(1, -(-len(values) // columns))
    return tuple(sum(values[i : i + size]) for i in range(0, len(values), size))


def sparkline(values: Sequence[int], top: int | None = None) -> str:
    """One block character per value: `▁` for none, `▂`…`█` in proportion to `top` (default: the max)."""
    top = max(values, default=0) if top is None else top
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[0] if v <= 0 else BARS[1 + min(6, (v * 7 - 1) // top)] for v in values)


def claim_sparkline(series: ClaimSeries, columns: int = SPARK_COLUMNS) -> tuple[str, str]:
    """A claim's supports and disputes as two sparklines on one scale (mentions are in the counts)."""
    supports, disputes = bucketed(series.supports, columns), bucketed(series.disputes, columns)
    top = max([*supports, *disputes, 0])
    return sparkline(supports, top), sparkline(disputes, top)


def days_per_column(days: int, columns: int = SPARK_COLUMNS) -> int:
    """How many days one character of a sparkline stands for."""
    return max(1, -(-days // columns))
