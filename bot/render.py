"""Rendering a digest: Telegram HTML messages, terminal text, and a self-contained HTML page.

One layout (`digest_blocks`) is drawn three ways. For Telegram, every piece of article text is escaped, only
`<b>`, `<i>` and `<a href>` are used, lines end in newlines (never `<br>`), and the digest is split at block
boundaries into messages of at most 4096 characters as Telegram counts them: the visible text after entity
parsing, in UTF-16 code units. Pure: no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.i18n import phrase
from bot.timeline import Timeline
from bot.timeline_svg import timeline_svg
from crawler.judge.digest import ClaimUpdate, ClaimWording, Digest, StoryEntry, display_width
from crawler.judge.text import cjk_ratio

TELEGRAM_LIMIT = 4096
PART_MARK_RESERVE = 12  # room for the "(12/13)" mark added once the number of parts is known
# Lengths in columns (a Chinese character takes two), so both languages read alike.
TITLE_CHARS = 300
EVIDENCE_CHARS = 220
CLAIM_CHARS = 200
WRAPPED = ('"', '"'), ("“", "”"), ("「", "」"), ("『", "』"), ("‘", "’")
OUTLET_CHARS = 80
OTHER_NAMES = 8
ENTRY_CLAIMS = 2

STOPS = ".;:,。；：，"
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Span:
    """A run of text drawn plainly, bold, italic, as a link, or (terminal only) as a bare URL."""

    text: str
    style: str = ""  # "" | "b" | "i" | "a" (link) | "ba" (bold link) | "url"
    url: str = ""


Line = tuple[Span, ...]
Block = tuple[Line, ...]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(message_html: str) -> int:
    """The length Telegram checks against its limit: the text left after parsing our HTML entities."""
    return utf16_len(html.unescape(_TAG.sub("", message_html)).strip())


def clip(text: str, limit: int) -> str:
    """One line of at most `limit` columns, cut at a word boundary where there is one."""
    text = " ".join(text.split())
    if display_width(text) <= limit:
        return text
    width = 0
    for index, char in enumerate(text):
        width += display_width(char)
        if width > limit - 1:
            cut = text[:index]
            break
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:，。；：") + "…"


def quote(evidence: str) -> str:
    """Evidence in quotation marks: 「」 around Chinese, “” around the rest; its own outer marks dropped."""
    text = " ".join(evidence.split())
    if len(text) > 2 and (text[0], text[-1]) in WRAPPED:
        text = text[1:-1].strip()
    text = clip(text, EVIDENCE_CHARS)
    return f"「{text}」" if cjk_ratio(text) >= 0.3 else f"“{text}”"


def format_time(when: datetime, lang: str, zone: tzinfo) -> str:
    """A moment in the reader's time zone: `4 May 2025 07:12` or `2025年5月4日 07:12`."""
    local = when.astimezone(zone)
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %Y %H:%M}"


def _header(digest: Digest, lang: str, zone: tzinfo) -> Block:
    start = format_time(digest.start, lang, zone) if digest.start else "…"
    window = phrase(lang, "window", start=start, end=format_time(digest.end, lang, zone), tz=str(zone))
    summary = phrase(
        lang, "summary", stories=len(digest.entries) + digest.more_entries, articles=digest.articles
    )
    return ((Span("📰 "), Span(phrase(lang, "digest_title"), "b")), (Span(window, "i"),), (Span(summary),))


def unstopped(text: str) -> str:
    """A sentence without its closing stop, to sit inside a list or before a colon."""
    return text.rstrip().rstrip(STOPS).rstrip()


def _claim_names(digest: Digest, ids: Sequence[str], lang: str) -> str:
    names = [clip(unstopped(digest.claim_text(i, lang)), 80) for i in ids[:ENTRY_CLAIMS]]
    extra = len(ids) - len(names)
    if lang == "zh":
        return "；".join(names) + (f"（另 {extra} 条）" if extra > 0 else "")
    return "; ".join(names) + (f" (+{extra})" if extra > 0 else "")


def _entry_block(digest: Digest, number: int, entry: StoryEntry, lang: str, zone: tzinfo) -> Block:
    lead = entry.lead
    title = clip(lead.title, TITLE_CHARS) or phrase(lang, "untitled")
    lines: list[Line] = [(Span(f"{number}. ", "b"), Span(title, "ba", lead.url))]
    meta = [clip(lead.outlet, OUTLET_CHARS), format_time(lead.when, lang, zone)]
    if entry.novelty is not None and entry.novelty < 0.995:  # "100% new" on every first report is noise
        meta.append(phrase(lang, "novelty", pct=round(entry.novelty * 100)))
    lines.append((Span(" · ".join(m for m in meta if m), "i"),))
    lines.append((Span(lead.url, "url"),))
    if entry.snippet:
        lines.append((Span(entry.snippet),))
    if entry.others:
        shown = entry.others[:OTHER_NAMES]
        spans: list[Span] = []
        comma = "、" if lang == "zh" else ", "
        for index, other in enumerate(shown):
            spans.extend(
                [Span(comma if index else ""), Span(clip(other.outlet, OUTLET_CHARS), "a", other.url)]
            )
        if len(entry.others) > len(shown):
            spans.append(Span(" " + phrase(lang, "others_more", n=len(entry.others) - len(shown))))
        prefix = phrase(lang, "others", n=len(entry.others), names="")
        lines.append((Span(prefix), *spans))
    # A claim some of the story's articles dispute and others support is named once, as contested.
    contested = [claim for claim in entry.disputes if claim in entry.supports]
    for mark, key, claims in (
        ("❗", "entry_disputes", [claim for claim in entry.disputes if claim not in contested]),
        ("⚖️", "entry_contested", contested),
        ("✔️", "entry_supports", [claim for claim in entry.supports if claim not in contested]),
    ):
        if claims:
            lines.append((Span(f"{mark} " + phrase(lang, key, claims=_claim_names(digest, claims, lang))),))
    return tuple(lines)


def _claim_block(digest: Digest, update: ClaimUpdate, lang: str) -> Block:
    mark = "❗" if update.stance == "disputes" else "✔️"
    label = phrase(lang, update.stance)
    colon = "：" if lang == "zh" else ": "
    first: Line = (
        Span(f"{mark} "),
        Span(label, "b"),
        Span(colon + clip(digest.claim_text(update.claim_id, lang), CLAIM_CHARS)),
    )
    source: list[Span] = [
        Span(quote(update.evidence), "i"),
        Span(" — "),
        Span(clip(update.outlet, OUTLET_CHARS) or update.url, "a", update.url),
    ]
    if update.articles > 1:
        source.append(Span(" (" + phrase(lang, "claim_more", n=update.articles - 1) + ")"))
    return (first, tuple(source), (Span(update.url, "url"),))


def _footer(digest: Digest, lang: str) -> Block:
    left = phrase(lang, "left_out", dups=digest.left_out_duplicates, irrelevant=digest.left_out_irrelevant)
    if digest.left_out_filtered:
        left += phrase(lang, "left_out_filtered", n=digest.left_out_filtered)
    lines: list[Line] = []
    if digest.more_entries:
        lines.append((Span(phrase(lang, "more_stories", n=digest.more_entries)),))
    if digest.more_claims:
        lines.append((Span(phrase(lang, "more_claims", n=digest.more_claims)),))
    lines.append((Span(left + ("。" if lang == "zh" else "."), "i"),))
    return tuple(lines)


def digest_blocks(digest: Digest, lang: str, zone: tzinfo) -> list[Block]:
    """The digest's layout: header, one block per story, the claims section, the left-out line."""
    if digest.empty:
        since = format_time(digest.start, lang, zone) if digest.start else "…"
        return [
            _header(digest, lang, zone),
            ((Span(phrase(lang, "empty", since=since)),),),
            _footer(digest, lang),
        ]
    blocks = [_header(digest, lang, zone)]
    blocks.extend(_entry_block(digest, i, e, lang, zone) for i, e in enumerate(digest.entries, 1))
    if digest.claims:
        blocks.append(((Span(phrase(lang, "claims_heading"), "b"),),))
        blocks.extend(_claim_block(digest, u, lang) for u in digest.claims)
    blocks.append(_footer(digest, lang))
    return blocks


def _telegram_span(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.style in ("b", "i"):
        return f"<{span.style}>{text}</{span.style}>" if text else ""
    if span.style in ("a", "ba"):
        link = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>' if span.url else text
        return f"<b>{link}</b>" if span.style == "ba" else link
    return "" if span.style == "url" else text


def telegram_block(block: Block) -> str:
    """One block as Telegram HTML: lines joined by newlines, article text escaped."""
    lines = ("".join(_telegram_span(s) for s in line) for line in block)
    return "\n".join(line for line in lines if line)


def split_messages(blocks: Iterable[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack HTML blocks into as few messages as fit `limit`, breaking only between blocks."""
    budget = limit - PART_MARK_RESERVE
    parts: list[list[str]] = [[]]
    for raw in blocks:
        block = _shrink(raw, budget) if visible_length(raw) > budget else raw
        candidate = "\n\n".join([*parts[-1], block])
        if parts[-1] and visible_length(candidate) > budget:
            parts.append([block])
        else:
            parts[-1].append(block)
    messages = ["\n\n".join(p) for p in parts if p]
    if len(messages) > 1:
        messages = [f"{m}\n\n<i>({i}/{len(messages)})</i>" for i, m in enumerate(messages, 1)]
    return messages


def _shrink(block: str, budget: int) -> str:
    # A single block longer than a message cannot come from our caps, but a message must never be too
    # long: drop whole lines from the end (never cutting inside a tag) until it fits.
    lines = block.split("\n")
    while len(lines) > 1 and visible_length("\n".join(lines)) > budget - 2:
        lines.pop()
    kept = "\n".join(lines)
    if visible_length(kept) > budget - 2:
        kept = html.escape(clip(plain_text(kept), budget // 2), quote=False)
    return kept + "\n…"


def render_digest(digest: Digest, lang: str, zone: tzinfo, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The digest as Telegram HTML messages, each at most `limit` characters after entity parsing."""
    return split_messages((telegram_block(b) for b in digest_blocks(digest, lang, zone)), limit)


def plain_text(message_html: str) -> str:
    """A Telegram HTML message as the plain text it shows (the fallback when Telegram rejects the HTML)."""
    return html.unescape(_TAG.sub("", message_html))


def render_text(digest: Digest, lang: str, zone: tzinfo) -> str:
    """The digest as terminal text, links written out."""
    blocks = digest_blocks(digest, lang, zone)
    out = []
    for number, block in enumerate(blocks):
        # Entries and claims read as a list: their later lines sit indented under the first.
        indent = "   " if 0 < number < len(blocks) - 1 else ""
        lines = []
        for index, line in enumerate(block):
            url = next((s.text for s in line if s.style == "url"), "")
            text = url or "".join(s.text for s in line if s.style != "url")
            lines.append(f"{indent if index else ''}{text}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


PAGE_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;max-width:46rem;
margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fff}
section{margin:0 0 1.4rem}section p{margin:.15rem 0}a{color:#0a58ca}
.meta{color:#6b6b6b;font-size:.9rem}h1{font-size:1.5rem;margin:0}h2{font-size:1.15rem;margin:0 0 .4rem}
svg.timeline{display:block;height:auto;margin:.4rem 0}
@media (prefers-color-scheme:dark){body{background:#161616;color:#e8e8e8}a{color:#7ab7ff}.meta{color:#a0a0a0}}
"""


def _page_span(span: Span) -> str:
    text = html.escape(span.text)
    if span.style == "b":
        return f"<strong>{text}</strong>"
    if span.style == "i":
        return f"<em>{text}</em>"
    if span.style in ("a", "ba") and span.url:
        link = f'<a href="{html.escape(span.url)}" rel="noopener">{text}</a>'
        return f"<strong>{link}</strong>" if span.style == "ba" else link
    return "" if span.style == "url" else text


def _timeline_section(timeline: Timeline | None, lang: str, wording: Mapping[str, ClaimWording]) -> str:
    svg = timeline_svg(timeline, lang, wording) if timeline is not None else ""
    if not svg:
        return ""
    return f'<section class="timeline"><h2>{html.escape(phrase(lang, "timeline_title"))}</h2>{svg}</section>'


def _page(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def render_timeline_page(timeline: Timeline, lang: str, wording: Mapping[str, ClaimWording]) -> str:
    """The claims timeline alone as a self-contained HTML page (`seedwatch claims --html`)."""
    section = (
        _timeline_section(timeline, lang, wording) or f"<p>{html.escape(phrase(lang, 'claims_none'))}</p>"
    )
    return _page(lang, phrase(lang, "timeline_title"), section)


def render_page(digest: Digest, lang: str, zone: tzinfo, timeline: Timeline | None = None) -> str:
    """The digest as a self-contained HTML page: no scripts, no external files.

    With a `timeline`, the claims chart comes before the closing left-out line."""
    blocks = digest_blocks(digest, lang, zone)
    sections = []
    for index, block in enumerate(blocks):
        lines = ["".join(_page_span(s) for s in line) for line in block]
        paragraphs = "".join(f"<p>{line}</p>" for line in lines if line)
        if index == 0:
            paragraphs = f"<h1>{lines[0]}</h1>" + "".join(
                f'<p class="meta">{ln}</p>' for ln in lines[1:] if ln
            )
        sections.append(f"<section>{paragraphs}</section>")
    chart = _timeline_section(timeline, lang, digest.wording)
    if chart:
        sections.insert(len(sections) - 1, chart)
    return _page(lang, phrase(lang, "digest_title"), "\n".join(sections))
