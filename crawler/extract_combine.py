"""Article body: trafilatura first, agreement between several extractors only where its output is doubtful.

`first_pass` runs trafilatura once (balanced mode, comments off) and drops headline repeats and furniture
lines; most pages stop there. Where that pass flattened the body into one cell of a table that lays out the
page, `out_of_layout_tables` reads it again with such tables unwrapped. `doubt` says, from cheap measures of
that output against the page, when it is worth the costlier path (measured on the ScrapingHub benchmark by
`benchmarks/extraction.py`): the output covers much less or much more than the page's paragraphs (a missed
block, or furniture outside them), its lines are whole paragraphs of hundreds of words (not split where the
page splits), part of it is lines that are entirely link text, most of it is table rows (a page laid out in
tables), or it is short.

What runs on a doubtful page depends on the doubt (measured on the ScrapingHub benchmark and trafilatura's
evaluation pages, issue 11): where the first pass has too much in blocks (`EXCESS_TEXT`), `narrowed` runs
trafilatura's precision mode alone; elsewhere `gather_candidates` runs the other extractors: trafilatura in
precision mode, trafilatura's readability port and trafilatura's baseline, plus jusText (paragraphs with
their place in the DOM) where text may be missing (`MISSING_TEXT`), all on a copy of the page without its
header, menus, footer and forms (readers' comments are gone already: `crawler.extract_comments`).
`combine` then builds the body from those candidates under a `Tuning`:

1. take the precision extraction, unless it kept almost none of the prose balanced mode found (then
   precision mode locked onto the wrong block, e.g. a print notice or a metadata table);
2. complete it: article bodies split over several sibling blocks (one per ad slot) lose every block but
   the first; jusText paragraphs with the same DOM path as the kept ones, under the same ancestor, are
   added back when together they are a real share of the body (a lone bio or form notice is not);
3. drop short lines that no independent extractor has (stray captions, widgets), lines that repeat the
   headline, and short lines that read as boilerplate (share bars, "Read more", newsletter sign-ups).

Pure: no I/O, no network. Tuned and cross-validated by `benchmarks/extraction.py`.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import justext  # type: ignore[import-untyped]
import lxml.html
import trafilatura
from lxml.etree import XPath, strip_elements
from lxml.html import HtmlElement
from trafilatura.baseline import baseline
from trafilatura.readability_lxml import Document as ReadabilityDocument
from trafilatura.settings import Document as TrafilaturaDocument

logger = logging.getLogger(__name__)

# Tokens for agreement between extractors: Latin words, and single CJK characters (a Chinese sentence
# has no spaces, so a word regex would make one token of it).
_CJK_RANGES = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK_RANGES}]|[^\W_{_CJK_RANGES}]+")  # a class, not a look-ahead per character
_SHINGLE = 4

_BOILERPLATE = re.compile(
    r"""(?ix)
    ^(read|see|watch|listen\ to)\ (more|also|next)(\s*[:：»>|-].*|\W*)$
  | ^(don'?t\ miss|related(\ (articles?|stories|posts|content|coverage|links))?|recommended(\ for\ you)?
      |most\ (read|popular|viewed|shared)|trending(\ now)?|you\ may\ also\ like|also\ read
      |further\ reading|more\ from\ [^.!?]{1,40})\s*:?\s*$
  | ^related:\ | ^also\ on\ \S+\s
  | ^(did\ you\ )?(like|enjoy)d?\ this\ (story|article|post)\b
  | \bshare\ (this|it)\b.{0,30}\b(story|article|post|friend)\b
  | \b(sign\ up|subscribe)\b.{0,80}\bnewsletters?\b | \bnewsletters?\b.{0,60}\b(sign\ up|subscribe|inbox)\b
  | ^(advertisement|advertising|sponsored(\ content)?|anzeige|publicidad|publicité|广告)\s*$
  | ^-?\s*(order\ reprints|print(\ article)?|share|tweet|e-?mail|facebook|twitter|whatsapp|linkedin
      |pinterest|weibo|wechat|微信|微博|分享)\s*$
  | ^(tell\ us\ what\ you\ think|leave\ a\ (comment|reply)|post\ a\ comment|\d*\s*comments?
      |show\ comments|view\ comments)\W*$
  | ^follow\ (us|@\w+)\ on\b
  | this\ copy\ is\ for\ your\ personal,?\ non-commercial\ use
  | \ball\ rights\ reserved\b | ^(©|\(c\)|copyright\ ©?)\s*\d{4} | 版权所有
  | \[(insight|video|pictures|poll|reaction|news|latest|analysis|revealed|photos|comment)\]\s*\|?\s*$
  | ^(accept|allow)\ (all\ )?cookies\b | \bwe\ use\ cookies\b | \bcookie\ (policy|settings|preferences)\b
  | ^(责任编辑|编辑|来源|图片来源|摄影)[:：]
  | ^(photo|picture|image|foto|video)s?(\ credit)?\s*[:：|]\s*\S.{0,80}$
  | ^(by|von|par|por)\ (?-i:[A-Z][\w.'’-]*)(\ (?-i:[A-Z][\w.'’-]*)){0,3}
    (\s*(,|and|&)\s*(?-i:[A-Z][\w.'’-]*)(\ (?-i:[A-Z][\w.'’-]*)){0,3})*\s*$
    """
)
_DATELINE = re.compile(
    r"""(?ix)
    ^(updated|published|posted|last\ (updated|modified)|first\ published)\b.{0,60}$
  | ^\d{4}-\d{2}-\d{2}([t\ ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|z)?)?$
    """
)


@dataclass(frozen=True)
class Tuning:
    """The thresholds of `doubt` and `combine`; chosen on the ScrapingHub benchmark, checked by 2-fold CV."""

    fallback_ratio: float = 0.2  # precision prose under this share of balanced prose: use balanced
    completion_ratio: float = 0.3  # added paragraphs must make at least this share of the body
    completion_levels: int = 2  # how far above the kept paragraphs' common ancestor completion may look
    completion_max_ratio: float = 2.0  # completion adds at most this many times the body's own text
    vote_max_tokens: int = 40  # lines at least this long are kept without asking the other extractors
    vote_support: float = 0.5  # share of a line's shingles another extractor must have to vote for it
    boilerplate_max_tokens: int = 30  # only lines this short can be dropped as boilerplate
    drop_boilerplate: bool = True
    drop_title: bool = True
    doubt_min_tokens: int = 50  # a first pass shorter than this is doubtful
    doubt_low_coverage: float = 0.6  # first pass tokens under this share of the page's <p> tokens
    doubt_high_coverage: float = 2.0  # ... or over this share: doubtful
    doubt_line_tokens: int = 150  # more tokens per line than this on average: paragraphs not split
    doubt_link_share: float = 0.05  # more of the text than this in lines that are wholly a link's text
    doubt_table_share: float = 0.5  # more of the text than this in table rows: a layout table, perhaps


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class JusTextParagraph:
    """One jusText paragraph: its text, absolute XPath, tag path and class (good, bad, short, ...)."""

    text: str
    xpath: str
    dom_path: str
    good: bool


@dataclass
class Candidates:
    """What each extractor found on one page, plus trafilatura's metadata document (or None)."""

    precision: str = ""
    balanced: str = ""
    readability: str = ""
    baseline: str = ""
    justext: list[JusTextParagraph] = field(default_factory=list)


def tokens(text: str) -> list[str]:
    """Lower-cased Latin words and single CJK characters of `text`."""
    return _TOKEN.findall(text.lower())  # one lower() for the text, not one per token


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def token_count(text: str) -> tuple[int, int]:
    """How many tokens `text` has, and how many of them are Chinese characters."""
    return len(_TOKEN.findall(text)), len(_HAN.findall(text))


class _Support:
    """How much of a line another extractor's text contains."""

    def __init__(self, text: str) -> None:
        toks = tokens(text)
        self.shingles = {tuple(toks[i : i + _SHINGLE]) for i in range(len(toks) - _SHINGLE + 1)}
        self.joined = " " + " ".join(toks) + " "

    def of(self, line_tokens: list[str]) -> float:
        """Share of the line's shingles found (1 or 0 for lines shorter than a shingle)."""
        if len(line_tokens) < _SHINGLE:
            return 1.0 if " " + " ".join(line_tokens) + " " in self.joined else 0.0
        shingles = {tuple(line_tokens[i : i + _SHINGLE]) for i in range(len(line_tokens) - _SHINGLE + 1)}
        return len(shingles & self.shingles) / len(shingles)


# A cell that holds these lays out a page: a data table's cells hold values, not paragraphs or tables.
_BLOCK_TAGS = (
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "blockquote",
    "table",
    "article",
    "section",
)
_TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr", "td", "th")
_PROSE_CELL_TOKENS = 40
_SENTENCE_ENDS = re.compile(r"[.!?][\"'”’)]*\s|[。！？]")


def read_from_layout_table(text: str) -> bool:
    """The body came out as a table row with paragraphs in one cell: trafilatura read a table that lays
    out the page (masthead, menus, body and sidebar in its cells) as if it held data, and flattened the
    body's paragraphs and lists into that cell."""
    for line in (line.strip() for line in text.splitlines()):
        if line.startswith("|") and line.endswith("|"):
            for cell in line.strip("|").split("|"):
                if len(tokens(cell)) >= _PROSE_CELL_TOKENS and len(_SENTENCE_ENDS.findall(cell + " ")) >= 2:
                    return True
    return False


def unwrap_layout_tables(tree: HtmlElement) -> int:
    """Turn in place the tables that lay out the page (some cell of their own holds paragraphs,
    headings, lists or another table, or the table says `role="presentation"`) into plain blocks, so
    that an extractor sees the body's paragraphs as paragraphs. Data tables are left as they are.
    Returns how many tables were unwrapped."""
    layout = [
        table
        for table in tree.iter("table")
        if table.get("role") in ("presentation", "none")
        or any(
            cell.find(f".//{tag}") is not None
            for cell in table.xpath("./tr/td | ./tr/th | ./*/tr/td | ./*/tr/th")
            for tag in _BLOCK_TAGS
        )
    ]
    for table in layout:
        parts = [table, *table.xpath("./* | ./tr/* | ./*/tr | ./*/tr/*")]
        for part in parts:
            if part.tag in _TABLE_PARTS:
                part.tag = "div"
                for attribute in ("colspan", "rowspan"):
                    part.attrib.pop(attribute, None)
    return len(layout)


def out_of_layout_tables(
    tree: HtmlElement, url: str | None, first: str, tuning: Tuning = DEFAULT_TUNING
) -> tuple[HtmlElement, str]:
    """The page and its first pass, read again with its layout tables unwrapped (on a copy) where the
    first pass flattened the body into a table cell; as they were otherwise, or where the second reading
    keeps almost none of the first's prose, or on a page of over `MAX_JUSTEXT_ELEMENTS` elements."""
    if not read_from_layout_table(first) or sum(1 for _ in tree.iter()) > MAX_JUSTEXT_ELEMENTS:
        return tree, first  # a huge page is not read twice (a hostile one would double its cost)
    unwrapped = deepcopy(tree)
    if not unwrap_layout_tables(unwrapped):
        return tree, first
    again = first_pass(unwrapped, url)
    if _prose(again) < tuning.fallback_ratio * _prose(first):
        return tree, first
    return unwrapped, again


def first_pass(tree: HtmlElement, url: str | None) -> str:
    """trafilatura's body in balanced mode with comments off (the page's tree is left as it was).

    In its fast mode: trafilatura's own fallbacks to readability and jusText are what the agreement
    path runs on doubtful pages anyway, and on the benchmarks the first pass plus the doubt rule scores
    the same with them off (see `benchmarks/extraction.py`) at about two thirds of the time.
    """
    return str(
        _safe(lambda: _trafilatura_text(tree, url, precision=False, fast=True), url, "trafilatura") or ""
    )


def _trafilatura_text(tree: HtmlElement, url: str | None, precision: bool, fast: bool = False) -> str:
    document = trafilatura.bare_extraction(
        tree, url=url, favor_precision=precision, include_comments=False, deduplicate=False, fast=fast
    )
    return (document.text or "") if isinstance(document, TrafilaturaDocument) else ""


_FURNITURE_CELL_TOKENS = 6  # words; a Chinese word is about two characters ("资讯天下" is two words)


def _cell_words(text: str) -> int:
    """About how many words a table cell has: Latin words, and Chinese characters two to a word."""
    count, han = token_count(text)
    return count - han + (han + 1) // 2


_LINKED_CELL_CHARS = 15  # a link text this long, then a few words, is a cell that links elsewhere
_SENTENCE_END = re.compile(r"[.!?。！？]$")
_BULLETS = "・•·▪▸►›»>*-–— \u3000"


def drop_furniture(text: str, title: str = "", tuning: Tuning = DEFAULT_TUNING) -> str:
    """`text` without headline repeats and short lines that read as boilerplate (the cheap filter)."""
    title_tokens = tokens(title)
    kept = []
    for line in (line.strip() for line in text.splitlines()):
        toks = tokens(line)
        if not toks or (tuning.drop_title and toks == title_tokens):
            continue
        if tuning.drop_boilerplate and len(toks) <= tuning.boilerplate_max_tokens and is_boilerplate(line):
            continue
        kept.append(line)
    return strip_furniture_rows("\n".join(kept))


def strip_link_rows(text: str, page: PageShape) -> str:
    """`text` without the table rows it starts or ends with that are furniture or links to other
    pages ("| See also |", "| Headline of another article (02/01/2025) |"): related links laid out in
    a table."""
    lines = text.splitlines()
    while lines and (is_furniture_row(lines[0].strip()) or page.all_links(lines[0])):
        lines.pop(0)
    while lines and (is_furniture_row(lines[-1].strip()) or page.all_links(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def strip_furniture_rows(text: str) -> str:
    """`text` without the table rows of short cells it starts or ends with: a masthead or footer laid
    out in a table ("| SITE | Licensing |") is the page's furniture, not the article's."""
    lines = text.splitlines()
    while lines and is_furniture_row(lines[0].strip()):
        lines.pop(0)
    while lines and is_furniture_row(lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)


def is_furniture_row(line: str) -> bool:
    """A table row (as trafilatura writes one) whose cells are all a few words or the value of a
    labelled field ("| 发布机构： | 市政府办公厅 | 标题： | ... |"), none a sentence."""
    if not (line.startswith("|") and line.endswith("|")):
        return False
    labelled = False
    for cell in (cell.strip() for cell in line.strip("|").split("|")):
        if _SENTENCE_END.search(cell) or not (labelled or _cell_words(cell) <= _FURNITURE_CELL_TOKENS):
            return False
        labelled = cell.endswith((":", "："))
    return True


_LOOSE_CHARS = 24  # characters, so that Chinese and English lines compare
_MASTHEAD = re.compile(
    r"(^|[-_\s])(masthead|logo|slogan|tagline|brand|branding|banner|site-?title|site-?name)"
    r"([-_\s]|$)",
    re.I,
)
_TEXT_NODES = XPath("//body//text()[normalize-space(.) = $line]")


def drop_masthead_edges(text: str, tree: HtmlElement) -> str:
    """`text` without a site's slogan or name kept as its first or last line: a few words that are not
    a sentence, written in the page's masthead (a header, logo, slogan or banner outside the article)."""
    lines = text.splitlines()
    for edge in (0, -1):
        if lines and _loose(lines[edge]) and _in_masthead(tree, " ".join(lines[edge].split())):
            lines.pop(edge)
    return "\n".join(lines)


def _loose(line: str) -> bool:
    """A few words that are not a sentence: a slogan, a section name, a site's name."""
    line = line.strip()
    return len(line) <= _LOOSE_CHARS and not _SENTENCE_END.search(line.rstrip("”\"'」』）)"))


def _in_masthead(tree: HtmlElement, line: str) -> bool:
    for node in _TEXT_NODES(tree, line=line):
        parent = node.getparent() if hasattr(node, "getparent") else None
        if parent is None:
            continue
        chain = [parent, *parent.iterancestors()]
        if any(
            element.tag in ("article", "main") or "article" in (element.get("class") or "")
            for element in chain
        ):
            continue  # an article's own header holds its byline and credits
        if any(
            element.tag == "header"
            or _MASTHEAD.search(f"{element.get('class') or ''} {element.get('id') or ''}")
            for element in chain
        ):
            return True
    return False


@dataclass(frozen=True)
class PageShape:
    """What `doubt` compares a first pass with: the page's paragraph tokens and its links' texts."""

    paragraph_tokens: int
    link_texts: frozenset[str]

    def all_links(self, line: str) -> bool:
        """The line is wholly some link's text, or a table row whose every cell is (related links laid
        out in a table)."""
        line = " ".join(line.split())
        if line in self.link_texts:
            return True
        if not (line.startswith("|") and line.endswith("|")):
            return False
        cells = [cell.strip() for cell in line.strip("|").split("|") if cell.strip()]
        return bool(cells) and all(self._a_link(cell) for cell in cells)

    def _a_link(self, cell: str) -> bool:
        """A link's text, perhaps after a bullet ("・", "•") and followed by a few words (its date, its
        outlet)."""
        cell = cell.lstrip(_BULLETS)
        if cell in self.link_texts:
            return True
        return any(
            cell.startswith(link) and len(tokens(cell[len(link) :])) <= _FURNITURE_CELL_TOKENS
            for link in self._long_links.get(cell[:_LINKED_CELL_CHARS], ())
        )

    @functools.cached_property
    def _long_links(self) -> dict[str, list[str]]:
        """The link texts long enough to name another page, by their first characters."""
        found: dict[str, list[str]] = {}
        for link in self.link_texts:
            if len(link) >= _LINKED_CELL_CHARS:
                found.setdefault(link[:_LINKED_CELL_CHARS], []).append(link)
        return found

    @classmethod
    def of(cls, tree: HtmlElement) -> PageShape:
        """Measure a parsed page."""
        paragraphs = len(_TOKEN.findall(" ".join(tree.xpath("//p//text()"))))
        links = frozenset(" ".join("".join(a.itertext()).split()) for a in tree.iter("a"))
        return cls(paragraphs, links - {""})


SHORT = "short"
COVERS_LITTLE = "covers little of the page's paragraphs"
MUCH_OUTSIDE = "much text outside the page's paragraphs"
NOT_SPLIT = "paragraphs not split"
LINK_LINES = "lines that are link text"
TABLE_ROWS = "mostly table rows"
# Verdicts that say the first pass may have missed text: only there can jusText's completion (paragraphs
# on the same path as the kept ones) change the body.
MISSING_TEXT = frozenset({SHORT, COVERS_LITTLE})
# Verdicts that say the first pass has too much in it, in blocks: trafilatura's precision mode alone
# narrows it (measured: the voters change nothing there), so the other extractors are not run. A page
# laid out in tables is not one of them: there the masthead, menus and related links are table rows
# too, in the same block as the body, and only the voters tell them apart.
EXCESS_TEXT = frozenset({MUCH_OUTSIDE, NOT_SPLIT})


@dataclass(frozen=True)
class DoubtMeasures:
    """The cheap measures of a first pass that `doubt` judges it by."""

    tokens: int
    coverage: float | None  # tokens / the page's <p> tokens (None: the page has no <p> text)
    tokens_per_line: float
    link_share: float  # share of characters in lines that are wholly some link's text
    table_share: float  # share of characters in table rows ("| cell | cell |" as trafilatura writes them)

    @classmethod
    def of(cls, text: str, page: PageShape) -> DoubtMeasures:
        """Measure a first-pass body against its page."""
        lines = [line for line in text.splitlines() if line.strip()]
        total = sum(len(_TOKEN.findall(line)) for line in lines)
        linked = sum(len(line) for line in lines if page.all_links(line))
        chars = sum(map(len, lines))
        tabled = sum(len(line) for line in lines if line.lstrip().startswith("|"))
        return cls(
            total,
            total / page.paragraph_tokens if page.paragraph_tokens else None,
            total / len(lines) if lines else 0.0,
            linked / chars if chars else 0.0,
            tabled / chars if chars else 0.0,
        )

    def verdict(self, tuning: Tuning = DEFAULT_TUNING) -> str | None:
        """Why these measures make the first pass doubtful, or None."""
        if self.tokens < tuning.doubt_min_tokens:
            return SHORT
        if self.coverage is not None and self.coverage < tuning.doubt_low_coverage:
            return COVERS_LITTLE
        if self.coverage is not None and self.coverage > tuning.doubt_high_coverage:
            return MUCH_OUTSIDE
        if self.tokens_per_line > tuning.doubt_line_tokens:
            return NOT_SPLIT
        if self.link_share > tuning.doubt_link_share:
            return LINK_LINES
        if self.table_share > tuning.doubt_table_share:
            return TABLE_ROWS
        return None


def doubt(text: str, page: PageShape, tuning: Tuning = DEFAULT_TUNING) -> str | None:
    """Why a first-pass body needs the agreement path, or None when it can be trusted as it is."""
    return DoubtMeasures.of(text, page).verdict(tuning)


def gather_candidates(
    tree: HtmlElement, url: str | None, balanced: str | None = None, completion: bool = True
) -> Candidates:
    """Run the extractors on a parsed page (`balanced`: the first pass, when already run; jusText, the
    costliest, only for `completion`)."""
    found = Candidates()
    found.balanced = first_pass(tree, url) if balanced is None else balanced
    # The other extractors read the page without its header, menus, footer and forms: never the body,
    # and without them each pass reads a third less. (Readers' comments are gone already:
    # `crawler.extract_comments` removes them from the page.)
    bare = deepcopy(tree)
    strip_elements(bare, *_NEVER_THE_BODY, with_tail=False)
    found.precision = str(_safe(lambda: _trafilatura_text(bare, url, precision=True), url, "precision") or "")
    found.baseline = _safe(lambda: baseline(bare)[1] or "", url, "baseline") or ""  # baseline copies
    # jusText is the slowest voter on huge pages (tens of thousands of comment nodes): skip it there.
    if completion and sum(1 for _ in bare.iter()) <= MAX_JUSTEXT_ELEMENTS:
        found.justext = _safe(lambda: _justext_paragraphs(bare), url, "justext") or []
    found.readability = _safe(lambda: _readability_text(bare), url, "readability") or ""  # mutates `bare`
    return found


_NEVER_THE_BODY = ("header", "nav", "footer", "aside", "form", "noscript", "iframe", "svg", "button")


# Elements trafilatura's cleaning deletes before it extracts anything (from its MANUALLY_CLEANED; not
# the scripts that carry JSON-LD, the forms it keeps when they hold text, nor <nav> and <aside>, whose
# removal from the raw page changes trafilatura's choices: measured, F1 .006 lower on its evaluation set).
_DISCARDED = ("footer", "noscript", "iframe", "svg", "style", "select", "button", "menu")


def drop_discarded_elements(tree: HtmlElement) -> None:
    """Remove in place what every extractor would discard anyway (footers, frames, styles, buttons), so
    that each of trafilatura's passes copies and cleans a smaller page. Their tails are kept."""
    strip_elements(tree, *_DISCARDED, with_tail=False)


def narrowed(
    tree: HtmlElement, url: str | None, first: str, title: str, tuning: Tuning = DEFAULT_TUNING
) -> str:
    """The body by trafilatura's precision mode alone (on the page without its header, menus and
    footer), or the first pass where precision mode kept almost none of its prose."""
    bare = deepcopy(tree)
    strip_elements(bare, *_NEVER_THE_BODY, with_tail=False)
    precise = str(_safe(lambda: _trafilatura_text(bare, url, precision=True), url, "precision") or "")
    if not precise.strip() or _prose(precise) < tuning.fallback_ratio * _prose(first):
        precise = first
    return drop_furniture(precise, title, tuning)


def _safe(run: Any, url: str | None, name: str) -> Any:
    try:
        return run()
    except Exception as error:  # a third-party extractor must not take the page down
        logger.debug("%s failed on %s: %s", name, url, error)
        return None


def _readability_text(tree: HtmlElement) -> str:
    summary = ReadabilityDocument(tree, min_text_length=25).summary()  # changes `tree`
    return str(lxml.html.fromstring(summary).text_content()) if summary.strip() else ""


_STOPLIST: frozenset[str] | None = None
MAX_REVISED_PARAGRAPHS = 2000
MAX_JUSTEXT_ELEMENTS = 20_000


def _stoplist() -> frozenset[str]:
    # Every language's stop words: pages arrive in any language and jusText needs them to judge prose.
    global _STOPLIST
    if _STOPLIST is None:
        _STOPLIST = frozenset(w for lang in justext.get_stoplists() for w in justext.get_stoplist(lang))
    return _STOPLIST


def _justext_paragraphs(tree: HtmlElement) -> list[JusTextParagraph]:
    from justext.core import (  # type: ignore[import-untyped]
        ParagraphMaker,
        classify_paragraphs,
        preprocessor,
        revise_paragraph_classification,
    )

    paragraphs = ParagraphMaker.make_paragraphs(preprocessor(tree))  # lxml's Cleaner works on a copy
    classify_paragraphs(paragraphs, _stoplist())
    # jusText's context revision is quadratic in short paragraphs: a page with thousands of comments
    # would take minutes. Such pages keep the first, context-free classification.
    if len(paragraphs) <= MAX_REVISED_PARAGRAPHS:
        revise_paragraph_classification(paragraphs)
    return [JusTextParagraph(p.text, p.xpath, p.dom_path, p.class_type == "good") for p in paragraphs]


def combine(found: Candidates, title: str = "", tuning: Tuning = DEFAULT_TUNING) -> str:
    """The article body, one paragraph per line, from the candidates of one page."""
    primary = found.precision
    if not primary.strip() or _prose(primary) < tuning.fallback_ratio * _prose(found.balanced):
        primary = found.balanced
    lines = [line.strip() for line in primary.splitlines() if line.strip()]
    lines = _complete(lines, found.justext, tuning)
    return "\n".join(_filter_lines(lines, found, title, tuning))


def _prose(text: str) -> int:
    """Tokens in lines of prose (ten tokens or more): a metadata table or a list of labels has few."""
    return sum(
        n
        for line in text.splitlines()
        if (n := len(_TOKEN.findall(line))) >= 10 and not is_furniture_row(line.strip())
    )


def _complete(lines: list[str], paragraphs: list[JusTextParagraph], tuning: Tuning) -> list[str]:
    """Add back same-path sibling paragraphs that the primary extraction left out."""
    body = _Support("\n".join(lines))
    matched = [i for i, p in enumerate(paragraphs) if (t := tokens(p.text)) and body.of(t) >= 0.8]
    paths = {path for path, n in Counter(paragraphs[i].dom_path for i in matched).items() if n >= 2}
    if not paths:
        return lines
    kept = [paragraphs[i].xpath.rsplit("/", 1)[0] for i in matched if paragraphs[i].dom_path in paths]
    root_steps = _common_prefix([k.split("/") for k in kept])
    root = "/".join(root_steps[: max(3, len(root_steps) - tuning.completion_levels)]) + "/"
    matched_set = set(matched)
    added = [
        i
        for i, p in enumerate(paragraphs)
        if i not in matched_set
        and p.good
        and p.dom_path in paths
        and p.xpath.startswith(root)
        and len(t := tokens(p.text)) >= 10
        and body.of(t) < 0.5
    ]
    added_chars, body_chars = sum(len(paragraphs[i].text) for i in added), sum(map(len, lines))
    # Completion restores the parts of an article split around ad slots; what dwarfs the body it was
    # asked to complete is another kind of block (a thread of readers' comments, an archive).
    if not tuning.completion_ratio * body_chars <= added_chars <= tuning.completion_max_ratio * body_chars:
        return lines
    return _insert_in_order(lines, paragraphs, matched, added)


def _common_prefix(paths: list[list[str]]) -> list[str]:
    prefix: list[str] = []
    for steps in zip(*paths, strict=False):
        if len(set(steps)) != 1:
            break
        prefix.append(steps[0])
    return prefix


def _insert_in_order(
    lines: list[str], paragraphs: list[JusTextParagraph], matched: list[int], added: list[int]
) -> list[str]:
    """Put each added paragraph after the line of the nearest kept paragraph before it in the page."""
    supports = [_Support(line) for line in lines]

    @functools.cache
    def line_of(index: int) -> int:
        head = tokens(paragraphs[index].text)[:20]
        return next((j for j, s in enumerate(supports) if s.of(head) >= 0.5), len(lines) - 1)

    ordered = sorted(matched)
    after: dict[int, list[str]] = {}
    for index in added:
        position = bisect.bisect_left(ordered, index)
        anchor = line_of(ordered[position - 1]) if position else -1
        after.setdefault(anchor, []).append(paragraphs[index].text.strip())
    result = list(after.get(-1, []))
    for j, line in enumerate(lines):
        result.append(line)
        result.extend(after.get(j, []))
    return result


def _filter_lines(lines: list[str], found: Candidates, title: str, tuning: Tuning) -> list[str]:
    """Drop headline repeats, boilerplate lines and short lines no other extractor has."""
    voters = [_Support(text) for text in (found.readability, found.baseline, _justext_text(found))]
    title_tokens = tokens(title)
    kept: list[str] = []
    for line in lines:
        toks = tokens(line)
        if not toks or (tuning.drop_title and toks == title_tokens):
            continue
        if tuning.drop_boilerplate and len(toks) <= tuning.boilerplate_max_tokens and is_boilerplate(line):
            continue
        if len(toks) >= tuning.vote_max_tokens or any(v.of(toks) >= tuning.vote_support for v in voters):
            kept.append(line)
    return kept


def _justext_text(found: Candidates) -> str:
    return "\n".join(p.text for p in found.justext if p.good)


def is_boilerplate(line: str) -> bool:
    """True for a short line that reads as page furniture: share bars, "Read more", sign-ups, datelines."""
    text = line.strip().lstrip("-•*· ").strip()
    return bool(_BOILERPLATE.search(text) or _DATELINE.search(text))
