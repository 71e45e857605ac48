"""Adding and removing sources by hand, for `seedwatch sources` and the bot's /addsource and /removesource.

The source list file is what the project ships; sources added or removed here live in the database, so
every process sharing it (daemon, workers on other machines) crawls the same set. A new source is fetched
once first (`crawler.probe`, under the crawl's own fetch policy): a duplicate, under any spelling of its
URL, or a dead source is reported, never added.

Errors: SourceListError (the source list cannot be read), ProbeError (the probe could not run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crawler.config import Settings
from crawler.probe import Probe, probe_urls
from crawler.sources import SourceSpec, load_sources, source_key, with_managed
from crawler.storage import Store

KIND_OF_PROBE = {"feed": "feed", "sitemap": "sitemap", "html": "article"}


@dataclass
class AddOutcome:
    """What became of each URL offered: one line each, saying why."""

    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def current_sources(settings: Settings, store: Store) -> list[SourceSpec]:
    """What a crawl without --source crawls: the source list, plus sources added, less those removed."""
    return with_managed(load_sources(settings.resolve(settings.sources_file)), *store.sources.managed())


def refusal(probe: Probe) -> str | None:
    """Why a probed URL cannot be added, or None."""
    if not probe.ok:
        return f"{probe.reason}: {probe.detail}"
    if not probe.usable:
        return "it serves neither a feed, a sitemap nor a web page"
    return None


def add_sources(
    settings: Settings, store: Store, specs: Sequence[SourceSpec], check: bool = True
) -> AddOutcome:
    """Add sources, each fetched once first under the crawl's fetch policy unless `check` is off."""
    outcome = AddOutcome()
    known = {source_key(spec.url): spec for spec in current_sources(settings, store)}
    fresh: list[SourceSpec] = []
    for spec in specs:
        key = source_key(spec.url)
        if key in known:
            outcome.present.append(f"{spec.url}: already a source ({known[key].name})")
        else:
            known[key] = spec
            fresh.append(spec)
    probes = {p.url: p for p in probe_urls(settings, [s.url for s in fresh])} if check and fresh else {}
    for spec in fresh:
        probe = probes.get(spec.url)
        chosen = spec
        if probe is not None:
            why = refusal(probe)
            if why:
                outcome.refused.append(f"{spec.url}: {why}")
                continue
            chosen = _learned(spec, probe)
        row, created = store.sources.add(chosen)
        (outcome.added if created else outcome.present).append(
            f"{row.url}: {'added' if created else 'already a source'} ({row.name}, {row.kind})"
        )
    return outcome


def remove_source(settings: Settings, store: Store, url: str) -> SourceSpec | None:
    """Stop crawling a source (its history is kept); None when no source has that URL."""
    known = {source_key(spec.url): spec for spec in current_sources(settings, store)}
    spec = known.get(source_key(url))
    if spec is None:
        return None
    if store.sources.get(spec.url) is None:
        # Listed in the source list but never crawled: a row records that it is removed.
        store.sources.upsert(spec.url, spec.name, spec.kind, spec.lang, dict(spec.options))
    store.sources.remove(spec.url)
    return spec


def _learned(spec: SourceSpec, probe: Probe) -> SourceSpec:
    """The spec with what the probe learned: the feed's title as its name, the kind it serves."""
    name = probe.title if (not spec.name or spec.name == spec.url) and probe.title else spec.name
    kind = KIND_OF_PROBE.get(probe.kind, "auto") if spec.kind == "auto" else spec.kind
    return SourceSpec(name=name, kind=kind, url=spec.url, lang=spec.lang, options=spec.options)
