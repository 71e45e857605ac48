"""The fetch policy: the address guard, the downloader middleware and the crawl's resolver."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver
from zope.interface import implementer

from crawler.config import ConfigError, Settings, load_settings
from crawler.failures import FetchRefused, diagnose
from crawler.fetch_policy import AddressGuard, parse_address
from crawler.middlewares import FetchPolicyMiddleware
from crawler.resolver import GuardedResolver
from crawler.settings import scrapy_settings
from crawler.spiders.feed import FeedSpider

REFUSED = [
    "127.0.0.1",  # loopback (not in the allowed networks of these tests' guard)
    "127.0.0.2",
    "::1",
    "0.0.0.0",
    "::",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "fd12::1",
    "169.254.169.254",
    "fe80::1%eth0",
    "100.64.0.1",
    "224.0.0.251",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.2.1",
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "::10.0.0.1",  # IPv4-compatible
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_and_their_ipv6_forms_are_refused(address: str) -> None:
    refusal = AddressGuard().address_refusal(address)
    assert refusal is not None and refusal.reason == "blocked_address"
    assert "not fetched" in refusal.detail


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressGuard().address_refusal(address) is None


def test_allowed_networks_open_exactly_what_they_name() -> None:
    guard = AddressGuard(["127.0.0.1/32", "10.1.0.0/16"])
    assert guard.allows("127.0.0.1") and guard.allows("::ffff:127.0.0.1") and guard.allows("10.1.2.3")
    assert not guard.allows("127.0.0.2") and not guard.allows("::1") and not guard.allows("10.2.0.1")
    assert guard.url_refusal("http://127.0.0.1:8080/feed.xml") is None
    refusal = guard.url_refusal("http://localhost:8080/")
    assert refusal is not None and refusal.reason == "blocked_address"  # a name for this machine


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "ftp://x.test/a",
        "data:,hello",
        "s3://b/k",
        "gopher://x/",
    ],
)
def test_schemes_other_than_http_are_refused(url: str) -> None:
    refusal = AddressGuard().url_refusal(url)
    assert refusal is not None and refusal.reason == "blocked_scheme"


def test_allowed_networks_setting_is_validated_with_a_clear_message() -> None:
    with pytest.raises(
        ConfigError, match=r"SEEDWATCH_CRAWL__ALLOWED_NETWORKS.*'my lan' is not a network in CIDR"
    ):
        load_settings(environ={"SEEDWATCH_CRAWL__ALLOWED_NETWORKS": '["my lan"]'})
    assert load_settings(environ={}).crawl.allowed_networks == []


def _middleware(settings: Settings) -> FetchPolicyMiddleware:
    crawler = get_crawler(FeedSpider, scrapy_settings(settings))
    return FetchPolicyMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "blocked_scheme"),
        ("data:text/html,<p>x</p>", "blocked_scheme"),
        ("ftp://127.0.0.1/x", "blocked_scheme"),
        ("http://127.0.0.2:8000/a", "blocked_address"),
        ("http://[::1]:8000/a", "blocked_address"),
        ("http://[::ffff:10.0.0.1]/a", "blocked_address"),
        ("http://169.254.169.254/latest/meta-data/", "blocked_address"),
    ],
)
def test_the_middleware_refuses_before_anything_is_sent_and_says_why(
    settings: Settings, url: str, reason: str
) -> None:
    middleware = _middleware(settings)
    with pytest.raises(FetchRefused) as refused:
        asyncio.run(middleware.process_request(Request(url)))
    diagnosis = diagnose(refused.value)
    assert diagnosis.reason == reason and diagnosis.detail


def test_the_middleware_lets_the_allowed_loopback_site_through(settings: Settings) -> None:
    assert settings.crawl.allowed_networks == ["127.0.0.1/32"]
    assert asyncio.run(_middleware(settings).process_request(Request("http://127.0.0.1:8000/a"))) is None


@pytest.mark.parametrize(
    ("location", "detail"),
    [("file:///etc/passwd", "file:///etc/passwd"), ("https://[news/a", "cannot be parsed")],
)
def test_a_redirect_to_a_local_file_or_to_no_url_at_all_is_refused_with_its_reason(
    settings: Settings, location: str, detail: str
) -> None:
    middleware = _middleware(settings)
    request = Request("http://127.0.0.1:8000/r")
    redirect = Response(request.url, status=302, headers={"Location": location}, request=request)
    with pytest.raises(FetchRefused) as refused:
        middleware.process_response(request, redirect)
    assert refused.value.reason == "blocked_scheme" and detail in refused.value.detail
    assert diagnose(refused.value).reason == "blocked_scheme"
    ordinary = Response(request.url, status=302, headers={"Location": "/elsewhere"}, request=request)
    assert middleware.process_response(request, ordinary) is ordinary


def test_the_crawl_downloads_nothing_but_http() -> None:
    values = scrapy_settings(load_settings(environ={}))
    assert {values["DOWNLOAD_HANDLERS"][s] for s in ("file", "ftp", "s3", "data")} == {None}
    assert values["TWISTED_DNS_RESOLVER"] == "crawler.resolver.GuardedResolver"
    assert values["SEEDWATCH_ALLOWED_NETWORKS"] == []


@implementer(IHostnameResolver)
class _FakeDNS:
    """A DNS that answers from a table (what the resolver wraps)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    def resolveHostName(self, receiver: Any, name: str, port: int = 0, *args: Any, **kw: Any) -> None:
        receiver.resolutionBegan(None)
        literal = [name] if parse_address(name) is not None else []  # as getaddrinfo answers an IP literal
        for address in self.answers.get(name, literal):
            receiver.addressResolved((IPv6Address if ":" in address else IPv4Address)("TCP", address, port))
        receiver.resolutionComplete()


class _Reactor:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.nameResolver = _FakeDNS(answers)


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


def test_the_resolver_hands_the_downloader_only_allowed_addresses() -> None:
    answers = {
        "meta.policy.test": ["169.254.169.254"],
        "mixed.policy.test": ["10.0.0.1", "93.184.215.14", "::1"],
        "ok.policy.test": ["127.0.0.1"],
        "localhost": ["127.0.0.1"],
    }
    resolver = GuardedResolver(_Reactor(answers), AddressGuard(["127.0.0.1/32"]), cache_size=0)
    seen = {}
    for name in [*answers, "127.0.0.2", "::1", "127.0.0.1"]:
        receiver = _Receiver()
        resolver.resolveHostName(receiver, name, 80)
        assert receiver.complete
        seen[name] = receiver.addresses
    assert seen["meta.policy.test"] == [] and seen["mixed.policy.test"] == ["93.184.215.14"]
    assert seen["ok.policy.test"] == ["127.0.0.1"] == seen["127.0.0.1"]
    assert seen["127.0.0.2"] == seen["::1"] == seen["localhost"] == []
    refusal = resolver.refusal_for("meta.policy.test")
    assert refusal is not None and refusal.address == "169.254.169.254"
    assert resolver.refusal_for("ok.policy.test") is None
