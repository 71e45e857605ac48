"""Decoding a fetched page: the charset it declares, unless that charset plainly does not fit.

Pages lie about their encoding: a GBK page served as UTF-8, UTF-8 served as ISO-8859-1, a BOM that
disagrees with the header. Decoded by the declaration, such a page becomes replacement characters or
mojibake, and extraction then finds "no article". The order of trust follows the HTML standard's encoding
sniffing: a byte order mark, then the HTTP header, then a `<meta>` declaration; a declaration that does not
fit the bytes is passed over, and when none fits the encoding is detected (charset-normalizer).

Pure: bytes and strings in, a `DecodedPage` out. The spider calls `decode_page` before extraction and
keeps `DecodedPage.note` on the article when a declaration was overridden.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels browsers treat as a wider encoding (WHATWG Encoding): decode with the superset, which reads
# every page the narrow one does.
SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "cp936": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
SNIFF_BYTES = 4096  # where a <meta> charset must be, per the HTML standard (1024) with some slack
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
# A decoding "does not fit" when more than this share of its characters are U+FFFD (a few stray bad
# bytes in a page that is otherwise right are kept: the page is still readable).
MAX_REPLACEMENT_SHARE = 0.002
MIN_REPLACEMENTS = 4
UTF8_NAMES = ("utf_8", "utf_8_sig")


@dataclass(frozen=True)
class DecodedPage:
    """A page's text and how it was decoded."""

    text: str
    encoding: str  # the codec used (Python's name)
    how: str  # bom | header | meta | detected
    declared: str | None = None  # what the page declared (header, else meta), when it was overridden
    declared_by: str | None = None  # header | meta

    @property
    def overridden(self) -> bool:
        """True when the page declared a charset that did not fit and another one was used."""
        return self.declared is not None

    @property
    def note(self) -> str | None:
        """One line for the article record and the log, when the declaration was overridden."""
        if self.declared is None:
            return None
        where = "HTTP header" if self.declared_by == "header" else "<meta>"
        return (
            f"declared charset {self.declared} ({where}) does not fit the page; "
            f"decoded as {self.encoding.replace('_', '-')} ({self.how})"
        )


def codec_name(label: str | None) -> str | None:
    """Python's codec for a charset label (with browsers' supersets), or None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name.replace("-", "_")
    except (LookupError, ValueError):
        return None
    return SUPERSETS.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset label of a Content-Type header value, if any."""
    match = CONTENT_TYPE_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset label a page declares in a `<meta>` near its start, if any."""
    match = META_CHARSET.search(body[:SNIFF_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


@dataclass(frozen=True)
class Declaration:
    """A charset the page states: where (header or meta), the label as written, and its codec."""

    by: str
    label: str
    codec: str | None


def declarations(body: bytes, content_type: str | None) -> list[Declaration]:
    """The charsets a page declares, the HTTP header's first."""
    labels = (("header", charset_from_content_type(content_type)), ("meta", meta_charset(body)))
    return [Declaration(by, label.strip().lower(), codec_name(label)) for by, label in labels if label]


def decode_page(body: bytes, content_type: str | None = None) -> DecodedPage:
    """Decode a page: BOM, then the HTTP header, then `<meta>`, passing over declarations that do not
    fit; detection when none does (UTF-8 when the bytes are valid UTF-8)."""
    declared = declarations(body, content_type)
    stated = declared[0] if declared else None

    def decoded(text: str, codec: str, how: str) -> DecodedPage:
        if stated is None or (stated.codec is not None and _same(stated.codec, codec)):
            return DecodedPage(text, codec, how)
        return DecodedPage(text, codec, how, stated.label, stated.by)

    for bom, codec in BOMS:
        if body.startswith(bom):
            return decoded(body[len(bom) :].decode(codec, "replace"), codec, "bom")
    for declaration in declared:
        if declaration.codec is not None:
            text = _fitting(body, declaration.codec)
            if text is not None:
                return decoded(text, declaration.codec, declaration.by)
    detected = _detect(body)
    if detected is not None:
        return decoded(*detected, "detected")
    fallback = next((d for d in declared if d.codec is not None), None)
    if fallback is None or fallback.codec is None:
        return decoded(body.decode("utf-8", "replace"), "utf_8", "detected")
    return decoded(body.decode(fallback.codec, "replace"), fallback.codec, fallback.by)


def _same(a: str, b: str) -> bool:
    a, b = a.replace("-", "_"), b.replace("-", "_")
    return a == b or {a, b} <= set(UTF8_NAMES) or (a.startswith("utf_16") and b.startswith("utf_16"))


def _fitting(body: bytes, codec: str) -> str | None:
    """The text when the codec fits the bytes: few replacement characters, and no UTF-8 read as a
    single-byte charset (mojibake such as "Ã©" or "â€™")."""
    if codec not in UTF8_NAMES and _single_byte(codec) and _is_utf8_with_multibyte(body):
        return None
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        text = body.decode(codec, "replace")
    bad = text.count("\ufffd")
    if bad < MIN_REPLACEMENTS or bad <= MAX_REPLACEMENT_SHARE * len(text):
        return text
    if codec in UTF8_NAMES:
        # Mostly valid UTF-8 with some broken bytes is still UTF-8 (another charset's bytes rarely form
        # valid multi-byte sequences): keep it rather than guess a charset that decodes anything.
        readable = sum(1 for char in text if char > "\x7f") - bad
        if readable >= bad:
            return text
    return None


def _single_byte(codec: str) -> bool:
    try:
        return len(codecs.encode("\u00e9", codec, "ignore")) <= 1 and codec not in ("utf_16", "utf_32")
    except LookupError:
        return False


def _is_utf8_with_multibyte(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(body: bytes) -> tuple[str, str] | None:
    """(text, codec) from the bytes alone: UTF-8 when valid, else charset-normalizer's best guess."""
    if _is_utf8_with_multibyte(body) or body.isascii():
        return body.decode("utf-8"), "utf_8"
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is None or best.encoding is None:
        return None
    codec = codec_name(best.encoding) or best.encoding
    text = _fitting(body, codec)
    return (text, codec) if text is not None else None
