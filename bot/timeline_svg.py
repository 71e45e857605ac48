"""The claims timeline drawn as one inline SVG: coverage per day and language, then one row per claim.

Supports rise above each claim's baseline in green with mentions stacked on them in grey, disputes hang
below it in red; every row shares one scale. Text, axes and mentions use `currentColor`, so the chart
takes the page's text colour and reads in light and dark mode alike; the stance and language colours are
mid-tones visible on both. No script, no external file. Pure: no I/O.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date

from bot.i18n import phrase
from bot.timeline import Timeline
from crawler.judge.digest import ClaimWording, display_width

WIDTH = 720
LEFT = 44  # room for the y-axis numbers
RIGHT = 8
ROW = 64  # one claim: its wording, then bars up and down from the baseline
BAR_UP = 26
BAR_DOWN = 14
COVERAGE = 90
AXIS = 22
COLOURS = {
    "supports": "#2f9e44",
    "disputes": "#e03131",
    "en": "#1c7ed6",
    "zh": "#f08c00",
}
LABEL_COLUMNS = 110


def day_label(day: date, lang: str) -> str:
    """A day on the axis in the reader's language: `27 Jan` or `1月27日`."""
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {day:%b}"


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11, extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="currentColor"{extra}>'
        f"{html.escape(text)}</text>"
    )


def _short(text: str, columns: int = LABEL_COLUMNS) -> str:
    text = " ".join(text.split())
    if display_width(text) <= columns:
        return text
    out, width = "", 0
    for char in text:
        width += display_width(char)
        if width > columns - 1:
            break
        out += char
    return out.rstrip() + "…"


LABEL_GAP = 64  # pixels between two day labels, so that they never overlap


def _ticks(days: Sequence[date]) -> list[int]:
    """Indexes of the days to label: the first, the last, and Mondays between with room around them."""
    if not days:
        return []
    step = (WIDTH - LEFT - RIGHT) / len(days)
    gap = max(1, int(LABEL_GAP / step) + 1)
    last = len(days) - 1
    mondays = [i for i, d in enumerate(days) if d.weekday() == 0]
    kept = [0]
    for index in mondays:
        # The last label is drawn leftwards from its day, so it needs twice the room.
        if index - kept[-1] >= gap and last - index >= 2 * gap:
            kept.append(index)
    if last > 0 and last - kept[-1] >= gap:
        kept.append(last)
    elif last > 0 and len(kept) > 1:
        kept[-1] = last
    return kept


class _Frame:
    """Where day i sits horizontally."""

    def __init__(self, days: int) -> None:
        self.days = max(days, 1)
        self.step = (WIDTH - LEFT - RIGHT) / self.days
        self.bar = max(1.0, self.step * 0.72)

    def x(self, index: int) -> float:
        return LEFT + index * self.step + (self.step - self.bar) / 2

    def centre(self, index: int) -> float:
        return LEFT + (index + 0.5) * self.step


def _axis(frame: _Frame, days: Sequence[date], y: float, lang: str) -> list[str]:
    out = [
        f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="currentColor" '
        'stroke-opacity=".5"/>'
    ]
    for index in _ticks(days):
        x = frame.centre(index)
        anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" stroke="currentColor"/>')
        out.append(_text(x, y + 16, day_label(days[index], lang), anchor, 10))
    return out


def _rect(x: float, y: float, width: float, height: float, fill: str, extra: str = "") -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{fill}"{extra}/>'


def _legend(x: float, y: float, items: Sequence[tuple[str, str, str]]) -> list[str]:
    out = []
    for label, fill, extra in items:
        out.append(_rect(x, y - 9, 10, 10, fill, extra))
        out.append(_text(x + 14, y, label, size=11))
        x += 24 + display_width(label) * 6.5
    return out


def _coverage(timeline: Timeline, frame: _Frame, top: float, lang: str) -> list[str]:
    langs = list(timeline.coverage)
    totals = [sum(timeline.coverage[lg][i] for lg in langs) for i in range(len(timeline.days))]
    peak = max([*totals, 1])
    height = COVERAGE - 30
    base = top + 24 + height
    out = [_text(LEFT, top + 12, phrase(lang, "timeline_coverage"), size=12, extra=' font-weight="600"')]
    legend = [(phrase(lang, f"lang_name_{lg}") if lg in ("en", "zh") else lg, _fill(lg), "") for lg in langs]
    out += _legend(WIDTH - RIGHT - 170, top + 12, legend)
    out.append(_text(LEFT - 6, top + 24 + 4, str(peak), "end", 10))
    out.append(_text(LEFT - 6, base, "0", "end", 10))
    for index in range(len(timeline.days)):
        y = base
        for lg in langs:
            value = timeline.coverage[lg][index]
            if value:
                h = height * value / peak
                y -= h
                out.append(_rect(frame.x(index), y, frame.bar, h, _fill(lg), f' data-lang="{lg}"'))
    return out + _axis(frame, timeline.days, base, lang)


def _fill(key: str) -> str:
    return COLOURS.get(key, "currentColor")


def _claim_rows(
    timeline: Timeline, frame: _Frame, top: float, lang: str, wording: Mapping[str, ClaimWording]
) -> list[str]:
    up = max(
        [s.supports[i] + s.mentions[i] for s in timeline.claims for i in range(len(timeline.days))] + [1]
    )
    down = max([v for s in timeline.claims for v in s.disputes] + [1])
    out = [_text(LEFT, top + 12, phrase(lang, "timeline_claims"), size=12, extra=' font-weight="600"')]
    legend = [
        (phrase(lang, "stance_supports"), COLOURS["supports"], ""),
        (phrase(lang, "stance_disputes"), COLOURS["disputes"], ""),
        (phrase(lang, "stance_mentions"), "currentColor", ' fill-opacity=".35"'),
    ]
    out += _legend(WIDTH - RIGHT - 210, top + 12, legend)
    y = top + 22
    for series in timeline.claims:
        text = wording[series.claim_id].text(lang) if series.claim_id in wording else series.claim_id
        out.append(_text(LEFT, y + 12, _short(text), size=11))
        base = y + 18 + BAR_UP
        out.append(
            f'<line x1="{LEFT}" y1="{base:.1f}" x2="{WIDTH - RIGHT}" y2="{base:.1f}" stroke="currentColor" '
            'stroke-opacity=".25"/>'
        )
        for index in range(len(timeline.days)):
            supports, mentions = series.supports[index], series.mentions[index]
            disputes = series.disputes[index]
            x = frame.x(index)
            h_sup = BAR_UP * supports / up
            h_men = BAR_UP * mentions / up
            if supports:
                out.append(
                    _rect(x, base - h_sup, frame.bar, h_sup, COLOURS["supports"], ' data-stance="supports"')
                )
            if mentions:
                out.append(
                    _rect(x, base - h_sup - h_men, frame.bar, h_men, "currentColor", ' fill-opacity=".35"')
                )
            if disputes:
                h = BAR_DOWN * disputes / down
                out.append(_rect(x, base, frame.bar, h, COLOURS["disputes"], ' data-stance="disputes"'))
        y += ROW
    out.append(_text(LEFT - 6, top + 22 + 18 + 4, str(up), "end", 10))
    return out + _axis(frame, timeline.days, y + 4, lang)


def timeline_svg(timeline: Timeline, lang: str, wording: Mapping[str, ClaimWording] | None = None) -> str:
    """The timeline as an inline `<svg>` element, labelled in `lang`; empty when there is no day."""
    if timeline.empty:
        return ""
    wording = wording or {}
    frame = _Frame(len(timeline.days))
    parts = _coverage(timeline, frame, 0, lang)
    claims_top = COVERAGE + AXIS + 8
    parts += _claim_rows(timeline, frame, claims_top, lang, wording)
    height = claims_top + 22 + ROW * len(timeline.claims) + AXIS + 8
    title = html.escape(phrase(lang, "timeline_title"))
    first, last = day_label(timeline.days[0], lang), day_label(timeline.days[-1], lang)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{title} ({html.escape(first)} – {html.escape(last)})" '
        "font-family=\"system-ui,-apple-system,'PingFang SC','Noto Sans CJK SC',sans-serif\">"
        f"<title>{title}</title>" + "".join(parts) + "</svg>"
    )
