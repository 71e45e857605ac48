"""GuardedResolver: the name resolver of a crawl, which never hands the downloader a refused address.

Scrapy's HTTP handler connects through Twisted's `HostnameEndpoint`, which asks the reactor's name
resolver for the addresses of every host, IP literals included, and connects only to the addresses the
resolver reports. Installed as `TWISTED_DNS_RESOLVER`, this resolver passes on the addresses the fetch
policy allows and keeps back the others, so the check is made on the address the connection actually
uses, at the moment it is made: a redirect, or a DNS answer that changes between two look-ups, gets
no further than the first. What it kept back is remembered by host name, for the failure's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingHostnameResolver, HostResolution
from scrapy.utils.datatypes import LocalCache
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer, provider  # type: ignore[import-untyped]

from crawler.fetch_policy import AddressGuard, Refusal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


@provider(IResolutionReceiver)
class _GuardedReceiver:
    """Passes on the allowed addresses of one resolution and notes the refused ones."""

    def __init__(self, receiver: Any, host: str, resolver: GuardedResolver) -> None:
        self.receiver = receiver
        self.host = host
        self.resolver = resolver
        self.allowed: list[str] = []
        self.refused: list[Refusal] = []
        self.name_refusal = resolver.guard.url_refusal(f"http://{host}/") if ":" not in host else None

    def resolutionBegan(self, resolution: Any) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:
        host = str(getattr(address, "host", ""))
        refusal = self.name_refusal or self.resolver.guard.address_refusal(host)
        if refusal is None:
            self.allowed.append(host)
            self.receiver.addressResolved(address)
            return
        self.refused.append(refusal)

    def resolutionComplete(self) -> None:
        if self.refused:
            self.resolver.note_refused(self.host, self.refused, bool(self.allowed))
        self.receiver.resolutionComplete()


@provider(IResolutionReceiver)
class _Collector:
    """Collects the addresses of one resolution into a Deferred."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.done: Deferred[list[str]] = Deferred()

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(str(getattr(address, "host", "")))

    def resolutionComplete(self) -> None:
        self.done.callback(self.addresses)


@implementer(IHostnameResolver)
class GuardedResolver:
    """Scrapy's caching IPv4/IPv6 resolver, with every answer filtered through the fetch policy."""

    def __init__(self, reactor: Any, guard: AddressGuard, cache_size: int = 10000) -> None:
        self.reactor = reactor
        self.guard = guard
        # Wraps the reactor's resolver as it is now (getaddrinfo in a thread, or a test's fake DNS).
        self.inner = CachingHostnameResolver(reactor, cache_size)
        self.refused: LocalCache[str, list[Refusal]] = LocalCache(1000)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        guard = AddressGuard(settings.getlist("SEEDWATCH_ALLOWED_NETWORKS"))
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, guard, cache_size)

    def install_on_reactor(self) -> None:
        """Make this the reactor's name resolver (Scrapy calls it when the crawl starts)."""
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[Any] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        """Resolve a name (or an IP literal), reporting only the addresses the policy allows."""
        receiver = _GuardedReceiver(resolutionReceiver, hostName, self)
        inner: Any = self.inner  # typed for IResolutionReceiver, which our receivers provide
        result = inner.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)
        return result if result is not None else HostResolution(hostName)

    def note_refused(self, host: str, refused: list[Refusal], some_allowed: bool) -> None:
        """Remember why a host's addresses were kept back (the failure's reason names them)."""
        self.refused[host.lower()] = refused
        logger.info(
            "kept back %s of %s%s",
            ", ".join(r.address for r in refused),
            host,
            " (connecting to its other addresses)" if some_allowed else "",
        )

    def refusal_for(self, host: str) -> Refusal | None:
        """Why the last resolution of this host gave no address, if the policy kept them back."""
        refused = self.refused.get(host.lower())
        return refused[0] if refused else None

    async def check(self, host: str) -> Refusal | None:
        """Resolve a host now; the refusal when the policy allows none of its addresses."""
        from scrapy.utils.defer import maybe_deferred_to_future

        name_refusal = self.guard.url_refusal(f"http://{host}/") if ":" not in host else None
        if name_refusal is not None:
            return name_refusal
        collector = _Collector()
        inner: Any = self.inner
        inner.resolveHostName(collector, host)
        addresses = await maybe_deferred_to_future(collector.done)
        refusals = [self.guard.address_refusal(address) for address in addresses]
        if addresses and all(refusals):
            found = [r for r in refusals if r is not None]
            self.refused[host.lower()] = found
            return found[0]
        return None
