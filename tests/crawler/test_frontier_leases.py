"""The leased queue, on Redis: a pop is a lease, released once handled, requeued when its holder dies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from scrapy import Request, Spider
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from crawler.frontier import FRONTIER_LOST_STAT, LEASE_META, LeasedQueue, LeaseKeeper

pytestmark = [pytest.mark.redis, pytest.mark.xdist_group("demo-crawl")]


class NewsSpider(Spider):
    name = "news"


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """Keys of this test alone (other test runs may share the Redis database); deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def queue_of(client: redis.Redis, prefix: str, lease: float) -> LeasedQueue:
    crawler = get_crawler(
        NewsSpider,
        {"SEEDWATCH_FRONTIER_LEASE": lease, "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter"},
    )
    spider = NewsSpider.from_crawler(crawler)
    return LeasedQueue(client, spider, f"{prefix}:%(spider)s:requests")


def test_a_lease_that_is_not_renewed_comes_back_in_its_place(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    # Leases of a few seconds, not one: on a loaded machine a second can pass between two calls.
    dead = queue_of(client, prefix, lease=3)
    alive = queue_of(client, prefix, lease=30)
    for n, priority in ((1, 0), (2, 5), (3, 0)):
        dead.push(Request(f"https://example.com/{n}", priority=priority))
    first = dead.pop()
    assert first is not None and first.url == "https://example.com/2"  # the highest priority first
    assert LEASE_META in first.meta
    assert len(dead) == 2 and dead.outstanding() == 1
    # Its holder dies (stops renewing); another process finds the lease expired and requeues it.
    assert alive.requeue_expired() == 0
    time.sleep(3.2)
    assert alive.requeue_expired() == 1
    assert alive.outstanding() == 0
    again = alive.pop()
    assert again is not None and again.url == "https://example.com/2"


def test_released_and_renewed_leases_never_come_back(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    queue = queue_of(client, prefix, lease=3)
    queue.push(Request("https://example.com/a"))
    queue.push(Request("https://example.com/b"))
    handled, busy = queue.pop(), queue.pop()
    assert handled is not None and busy is not None
    queue.release([handled.meta[LEASE_META]])
    for _ in range(3):
        time.sleep(1.0)
        queue.renew()
        assert queue.requeue_expired() == 0
    assert len(queue) == 0 and queue.outstanding() == 1
    queue.expire_keys(600)
    assert 0 < client.ttl(f"{prefix}:news:requests:expiry") <= 600


def test_a_run_whose_keys_are_deleted_mid_crawl_says_requests_were_lost(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)

    def keeper(worker: bool) -> LeaseKeeper:
        crawler = get_crawler(NewsSpider)
        crawler.stats = StatsCollector(crawler)
        return LeaseKeeper(crawler, "sqlite://", 1, worker=worker, keys_ttl=600, run_prefix=prefix)

    producer, worker = keeper(worker=False), keeper(worker=True)
    for _ in range(2):  # heartbeats while the run's keys are there: nothing to say
        producer.check_marker(client)
        worker.check_marker(client)
    assert not producer.lost and not worker.lost
    client.delete(*client.scan_iter(f"{prefix}:*"))  # another program empties the Redis database
    producer.check_marker(client)
    worker.check_marker(client)
    assert producer.lost and worker.lost
    for process in (producer, worker):
        assert process.crawler.stats is not None
        assert process.crawler.stats.get_value(FRONTIER_LOST_STAT) == 1
