"""The fetch policy: which URLs and which addresses seedwatch may fetch, for every request it makes.

Feeds are written by strangers, so a link in one may point anywhere: at a local file, at the machine
itself, at a database on the private network, at a cloud metadata service. The policy allows the
schemes http and https only, and connections to public addresses only; the networks in
`crawl.allowed_networks` are allowed despite the guard (the demo and the tests allow 127.0.0.1/32).

The address is checked where the connection is made: `crawler.resolver.GuardedResolver` filters every
answer Scrapy's downloader gets (IP literals included, Twisted resolves those too), so neither a redirect
nor a DNS answer that changes between two look-ups gets around it. `seedwatch seeds add URL` and
`sources add` fetch through Scrapy too (`crawler.probe`), under the same policy.

Pure: no Scrapy, no Twisted; used by the resolver and the downloader middleware.

Errors::

    ValueError   an allowed network that is not a CIDR (raised by `AddressGuard`, shown by the config)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")

# Special-purpose ranges (IANA registries), by what a user should be told about them. Checked in order.
_BLOCKED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unspecified", ("0.0.0.0/8", "::/128")),
    ("loopback", ("127.0.0.0/8", "::1/128")),
    ("private", ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")),
    ("link-local", ("169.254.0.0/16", "fe80::/10")),
    ("carrier-grade NAT (shared)", ("100.64.0.0/10",)),
    ("multicast", ("224.0.0.0/4", "ff00::/8")),
    (
        "reserved",
        (
            "192.0.0.0/24",
            "192.0.2.0/24",
            "192.88.99.0/24",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "240.0.0.0/4",
            "100::/64",
            "2001::/23",
            "2001:db8::/32",
            "64:ff9b:1::/48",
            "fec0::/10",
            "::/96",
        ),
    ),
)
_BLOCKED_NETWORKS = tuple(
    (label, tuple(ipaddress.ip_network(cidr) for cidr in cidrs)) for label, cidrs in _BLOCKED
)
# IPv6 forms that carry an IPv4 address a connection ends up at.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Names that mean this machine whatever a resolver says (RFC 6761).
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings as networks; ValueError names the one that is not a network."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{cidr!r} is not a network in CIDR form (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128)"
            ) from None
    return tuple(networks)


def parse_address(text: str) -> IPAddress | None:
    """The IP address a host string is (brackets and an IPv6 zone stripped); None for a name."""
    host = text.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def embedded_ipv4(address: IPAddress) -> Iterator[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (mapped, 6to4, NAT64, IPv4-compatible)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped
    if address.sixtofour is not None:
        yield address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 0xFFFF):
        yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("IPv6") else "a"


@dataclass(frozen=True)
class Refusal:
    """Why the policy refuses a fetch: reason code (`blocked_scheme`/`blocked_address`) and a sentence."""

    reason: str
    detail: str
    address: str = ""


class AddressGuard:
    """Decides which URLs and addresses may be fetched: http(s) to public addresses, plus allowed networks."""

    def __init__(self, allowed_networks: Sequence[str] = ()) -> None:
        self.allowed = parse_networks(allowed_networks)

    def url_refusal(self, url: str) -> Refusal | None:
        """Why a URL may not be fetched by its scheme or host alone (None: resolve and check addresses)."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            return Refusal("blocked_scheme", f"the URL cannot be parsed: {url[:200]}")
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            shown = f"{scheme}: URLs are" if scheme else "a URL without a scheme is"
            return Refusal("blocked_scheme", f"{shown} not fetched (http and https only)")
        name = host.rstrip(".").lower()
        if name in _LOCAL_NAMES or name.endswith(".localhost"):
            return Refusal(
                "blocked_address",
                f"the host name {name} always means this machine; not fetched",
                name,
            )
        address = parse_address(host)
        return self.address_refusal(address) if address is not None else None

    def address_refusal(self, address: IPAddress | str) -> Refusal | None:
        """Why a connection to this address is refused; None when it is public or allowed."""
        ip = parse_address(address) if isinstance(address, str) else address
        if ip is None:
            return Refusal("blocked_address", f"{address!r} is not an IP address", str(address))
        label = self.blocked_kind(ip)
        if label is None:
            return None
        return Refusal(
            "blocked_address",
            f"{ip} is {_article(label)} {label} address; not fetched "
            "(allow its network in crawl.allowed_networks if it is yours)",
            str(ip),
        )

    def blocked_kind(self, ip: IPAddress) -> str | None:
        """What kind of non-public address this is (None: public, or in an allowed network)."""
        if any(ip.version == net.version and ip in net for net in self.allowed):
            return None
        for inner in embedded_ipv4(ip):
            kind = self.blocked_kind(inner)
            if kind is not None:
                return f"IPv6 form of {inner}, {_article(kind)} {kind}"
        if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped is not None or ip in _NAT64):
            return None  # the IPv4 address it carries was judged above
        for label, networks in _BLOCKED_NETWORKS:
            if any(ip.version == net.version and ip in net for net in networks):
                return label
        if not ip.is_global:
            return "reserved"
        return None

    def allows(self, address: str) -> bool:
        """Whether a connection to this address is allowed."""
        return self.address_refusal(address) is None
