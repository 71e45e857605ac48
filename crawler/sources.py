"""The source list: what to crawl, of which kind, in which language.

A source file is YAML::

    sources:
      - name: TechCrunch
        kind: rss            # rss | atom | json | feed | search | sitemap | listing | article | auto
        lang: en
        url: https://techcrunch.com/feed/
        interval_minutes: 30 # optional: the daemon crawls it this often
        tags: [tech, us]     # optional: tags (OPML folders when exported)
        selectors:           # listing pages only
          item: "div.story"
          link: "a::attr(href)"

Errors::

    SourceListError   a source file that cannot be used; the message names the file, the entry and the key
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from w3lib.url import canonicalize_url

FEED_KINDS = frozenset({"rss", "atom", "json", "feed", "search"})
KINDS = FEED_KINDS | {"sitemap", "listing", "article", "auto"}
SELECTOR_KEYS = frozenset({"item", "link", "title", "date", "summary", "next"})


class SourceListError(Exception):
    """A source file or entry that cannot be used."""


@dataclass(frozen=True)
class SourceSpec:
    """One source to crawl, with what the database remembers of it (id, ETag, Last-Modified)."""

    name: str
    kind: str
    url: str
    lang: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    source_id: int | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def tags(self) -> list[str]:
        """The source's tags (OPML folders and categories, or `tags:` in a source list)."""
        value = self.options.get("tags") or []
        return [str(tag) for tag in value] if isinstance(value, list | tuple) else []

    @property
    def selectors(self) -> Mapping[str, str]:
        """CSS/XPath selectors of a listing page."""
        value = self.options.get("selectors") or {}
        return value if isinstance(value, Mapping) else {}

    def with_state(self, source_id: int, etag: str | None, last_modified: str | None) -> SourceSpec:
        """The same source with what the database knows of it."""
        return replace(self, source_id=source_id, etag=etag, last_modified=last_modified)


def check_url(url: str) -> str:
    """An absolute http(s) URL, or a SourceListError that says what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceListError(f"{url!r} is not an absolute http(s) URL")
    return url.strip()


def source_key(url: str) -> str:
    """What makes two spellings of a source URL the same source: scheme, www., case, query order."""
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/") or "/"
    return f"{host}{port}{path}" + (f"?{parts.query}" if parts.query else "")


def source_from_url(url: str, kind: str = "auto") -> SourceSpec:
    """A source for a bare URL given on the command line; its kind is found from what it serves."""
    url = check_url(url)
    return SourceSpec(name=urlsplit(url).netloc, kind=kind, url=url)


def parse_entry(entry: Any, where: str) -> SourceSpec:
    """One entry of a source list, checked; `where` names it in error messages."""
    if not isinstance(entry, Mapping):
        raise SourceListError(f"{where}: expected a mapping with name, kind, lang and url")
    nested = entry.get("options")
    if nested is not None:
        # The form SourceSpec.options takes (and DemoSite.sources() gives): the same keys, one level down.
        if not isinstance(nested, Mapping):
            raise SourceListError(f"{where}: key 'options' must be a mapping")
        entry = {**{k: v for k, v in entry.items() if k != "options"}, **nested}
    unknown = set(entry) - {
        "name",
        "kind",
        "lang",
        "url",
        "selectors",
        "interval_minutes",
        "enabled",
        "note",
        "tags",
        "site",
    }
    if unknown:
        raise SourceListError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("name", "kind", "url"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise SourceListError(f"{where}: key {key!r} is required (a non-empty string)")
    kind = entry["kind"].strip().lower()
    if kind not in KINDS:
        raise SourceListError(f"{where}: kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
    try:
        url = check_url(entry["url"])
    except SourceListError as exc:
        raise SourceListError(f"{where}: key 'url': {exc}") from None
    options: dict[str, Any] = {}
    selectors = entry.get("selectors")
    if kind == "listing":
        if not isinstance(selectors, Mapping) or not selectors.get("item") or not selectors.get("link"):
            raise SourceListError(f"{where}: a listing source needs selectors with 'item' and 'link'")
        bad = set(selectors) - SELECTOR_KEYS
        if bad:
            raise SourceListError(f"{where}: unknown selector(s) {', '.join(sorted(bad))}")
        options["selectors"] = {str(k): str(v) for k, v in selectors.items()}
    if "interval_minutes" in entry:
        interval = entry["interval_minutes"]
        if not isinstance(interval, int | float) or interval <= 0:
            raise SourceListError(f"{where}: key 'interval_minutes' must be a positive number")
        options["interval_minutes"] = float(interval)
    tags = entry.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
            raise SourceListError(f"{where}: key 'tags' must be a list of names")
        options["tags"] = [tag.strip() for tag in tags]
    if isinstance(entry.get("site"), str):
        options["site"] = entry["site"]
    if entry.get("enabled") is False:
        options["enabled"] = False
    return SourceSpec(
        name=entry["name"].strip(), kind=kind, url=url, lang=str(entry.get("lang", "")), options=options
    )


def parse_sources(data: Any, origin: str) -> list[SourceSpec]:
    """Every source of a parsed source list; duplicate URLs are an error."""
    entries = data.get("sources") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise SourceListError(f"{origin}: expected a list under 'sources:'")
    specs: list[SourceSpec] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        where = f"{origin}: source #{index}" + (f" ({name})" if name else "")
        spec = parse_entry(entry, where)
        if spec.url in seen:
            raise SourceListError(f"{where}: URL {spec.url} is already source #{seen[spec.url]}")
        seen[spec.url] = index
        if spec.options.get("enabled", True):
            specs.append(spec)
    return specs


def load_sources(path: Path) -> list[SourceSpec]:
    """Read a YAML source list, or stop with a message naming the file, the entry and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceListError(f"source list {path} cannot be read: {exc.strerror}") from None
    try:
        # libyaml's loader where PyYAML has it: the pure-Python one takes seconds on a list of 5,000 feeds.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise SourceListError(f"source list {path} is not valid YAML: {exc}") from None
    return parse_sources(data, str(path))


def merge_sources(*groups: Iterable[SourceSpec]) -> list[SourceSpec]:
    """Sources from several lists, the first of each URL kept."""
    merged: dict[str, SourceSpec] = {}
    for group in groups:
        for spec in group:
            merged.setdefault(spec.url, spec)
    return list(merged.values())


def with_managed(
    listed: Iterable[SourceSpec], added: Iterable[SourceSpec], removed: Iterable[str]
) -> list[SourceSpec]:
    """The sources to crawl: the source list plus those added with `sources add`, less those removed."""
    chosen: dict[str, SourceSpec] = {source_key(url): None for url in removed}  # type: ignore[misc]
    for spec in [*listed, *added]:
        chosen.setdefault(source_key(spec.url), spec)
    return [spec for spec in chosen.values() if spec is not None]
