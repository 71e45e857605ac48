"""OPML source lists, as feed readers import and export them (OPML 1.0 and 2.0).

A feed is an `<outline>` with an `xmlUrl`; the outlines around it (folders) become its tags, as do the
names in an OPML 2.0 `category` attribute ("/Tech/AI,/News"). Pure functions over bytes and
`SourceSpec`s; a file that cannot be read raises `SourceListError` saying why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime

import lxml.etree

from crawler.sources import FEED_KINDS, KINDS, SourceListError, SourceSpec, check_url

MAX_OPML_BYTES = 10 * 1024 * 1024
# Feed readers disagree on the attribute's case (xmlUrl, xmlurl, XMLURL).
_URL_ATTRS = ("xmlurl", "url")


def _attrs(node: lxml.etree._Element) -> dict[str, str]:
    return {str(key).lower(): str(value).strip() for key, value in node.attrib.items()}


def _category_tags(value: str) -> list[str]:
    tags: list[str] = []
    for path in value.split(","):
        tags.extend(part.strip() for part in path.split("/") if part.strip())
    return tags


def _feed_kind(attrs: dict[str, str]) -> str:
    # Our own exports name a kind that is not a feed (a sitemap, a listing page); readers ignore it.
    own = attrs.get("seedwatchkind", "").lower()
    if own in KINDS:
        return own
    return {"rss": "rss", "atom": "atom", "json": "json"}.get(attrs.get("type", "").lower(), "feed")


def parse_opml(data: bytes, origin: str = "OPML file") -> list[SourceSpec]:
    """The feeds of an OPML document, each with its folders as tags; the first of each URL kept.

    Outlines whose xmlUrl is not an http(s) URL are passed over, unless no outline is usable.
    """
    if len(data) > MAX_OPML_BYTES:
        raise SourceListError(f"{origin}: larger than {MAX_OPML_BYTES // (1024 * 1024)} MB")
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise SourceListError(f"{origin}: not well-formed XML ({exc})") from None
    if root is None or lxml.etree.QName(root).localname.lower() != "opml":
        raise SourceListError(f"{origin}: the root element is not <opml>")
    body = next((child for child in root if _local(child) == "body"), None)
    if body is None:
        raise SourceListError(f"{origin}: no <body> element")
    specs: dict[str, SourceSpec] = {}
    skipped: list[str] = []
    _walk(body, [], specs, skipped)
    if skipped and not specs:
        raise SourceListError(f"{origin}: no feed outline with an http(s) xmlUrl ({'; '.join(skipped[:3])})")
    return list(specs.values())


def _local(node: lxml.etree._Element) -> str:
    return lxml.etree.QName(node).localname.lower() if isinstance(node.tag, str) else ""


def _walk(
    node: lxml.etree._Element, folders: list[str], specs: dict[str, SourceSpec], skipped: list[str]
) -> None:
    for child in node:
        if _local(child) != "outline":
            continue
        attrs = _attrs(child)
        label = attrs.get("title") or attrs.get("text") or ""
        url = next((attrs[key] for key in _URL_ATTRS if attrs.get(key)), "")
        if url:
            try:
                url = check_url(url)
            except SourceListError as exc:
                skipped.append(str(exc))
            else:
                tags = list(dict.fromkeys([*folders, *_category_tags(attrs.get("category", ""))]))
                options: dict[str, object] = {"tags": tags} if tags else {}
                if attrs.get("htmlurl"):
                    options["site"] = attrs["htmlurl"]
                name = label or url
                lang = attrs.get("language", "")[:10]
                specs.setdefault(
                    url, SourceSpec(name=name, kind=_feed_kind(attrs), url=url, lang=lang, options=options)
                )
        # A folder's children are tagged with its name; an outline that is a feed and has children too
        # (rare, but readers write it) passes the folders around it on unchanged.
        _walk(child, folders if url else [*folders, label] if label else folders, specs, skipped)


def write_opml(
    specs: Iterable[SourceSpec], title: str = "seedwatch sources", now: datetime | None = None
) -> bytes:
    """An OPML 2.0 document of the sources: one folder per first tag, as feed readers expect."""
    root = lxml.etree.Element("opml", version="2.0")
    head = lxml.etree.SubElement(root, "head")
    lxml.etree.SubElement(head, "title").text = title
    lxml.etree.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = lxml.etree.SubElement(root, "body")
    folders: dict[str, lxml.etree._Element] = {}
    for spec in sorted(specs, key=lambda s: (s.tags[:1], s.name.lower(), s.url)):
        parent = body
        if spec.tags:
            first = spec.tags[0]
            if first not in folders:
                folders[first] = lxml.etree.SubElement(body, "outline", text=first, title=first)
            parent = folders[first]
        attrs = {"type": "rss", "text": spec.name, "title": spec.name, "xmlUrl": spec.url}
        site = spec.options.get("site")
        if isinstance(site, str) and site:
            attrs["htmlUrl"] = site
        if spec.lang:
            attrs["language"] = spec.lang
        if len(spec.tags) > 1:
            # Tags past the folder's travel in OPML 2.0's category attribute.
            attrs["category"] = ",".join(f"/{tag}" for tag in spec.tags[1:])
        if spec.kind not in FEED_KINDS:
            attrs["seedwatchKind"] = spec.kind
        lxml.etree.SubElement(parent, "outline", attrs)
    return bytes(lxml.etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
