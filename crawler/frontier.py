"""A shared Redis frontier that loses no request when the process holding it dies.

scrapy-redis pops a request off the shared queue and forgets it: a worker killed mid-crawl takes the
requests it had popped with it. Here a pop is a lease instead. In one Redis script the request moves
from the queue (a sorted set, as scrapy-redis keeps it) into a hash of leased requests, and its token gets
an expiry time. The process holding it renews its leases every few seconds while it lives and releases
each one when the request has been handled (its response and every item from it processed), or at the
latest when its spider goes idle. A lease that is not renewed expires, and whichever process looks next
(any spider going idle, in any process) puts the request back in the queue.

A request handled just before its holder died may be fetched again; storage refuses a second copy of an
article (same canonical URL), so it is stored once.

Keys, per run and spider (`<queue>` is SCHEDULER_QUEUE_KEY)::

    <queue>            sorted set   the requests waiting (scrapy-redis's PriorityQueue)
    <queue>:leased     hash         token -> request, for requests being handled
    <queue>:scores     hash         token -> the request's score, to requeue it where it stood
    <queue>:expiry     sorted set   token -> when its lease runs out (Redis server time)
    <run>:producer     the starting process's heartbeat ("pid@host"), with a TTL
    <run>:frontier     set by the starting process: when it vanishes mid-run, the run's keys were deleted
                       (Redis emptied or evicting), and the requests waiting in the queues with them

where `<run>` is the run's key prefix (`crawler.settings.run_keys`: the database and the run id).

Every key of a run expires `frontier_keys_ttl` after its last heartbeat, so a run whose processes all died
leaves nothing behind for long.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import uuid
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

from crawler.settings import seedwatch_settings
from crawler.storage import Store

logger = logging.getLogger(__name__)

LEASE_META = "seedwatch_lease"
FRONTIER_LOST_STAT = "seedwatch/frontier_lost"  # set when the run's keys vanished from Redis mid-run
# This process's name in lease tokens: tokens of a dead process are told apart from a live one's.
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
local now = redis.call('TIME')
redis.call('HSET', KEYS[2], ARGV[1], found[1])
redis.call('HSET', KEYS[3], ARGV[1], found[2])
redis.call('ZADD', KEYS[4], tonumber(now[1]) + tonumber(ARGV[2]), ARGV[1])
return found[1]
"""
RENEW = """
local now = redis.call('TIME')
local until_ = tonumber(now[1]) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i]) end
return #ARGV - 1
"""
REAP = """
local now = redis.call('TIME')
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', tonumber(now[1]), 'LIMIT', 0, 1000)
for _, token in ipairs(expired) do
  local data = redis.call('HGET', KEYS[2], token)
  if data then redis.call('ZADD', KEYS[1], tonumber(redis.call('HGET', KEYS[3], token) or '0'), data) end
  redis.call('HDEL', KEYS[2], token)
  redis.call('HDEL', KEYS[3], token)
  redis.call('ZREM', KEYS[4], token)
end
return #expired
"""

# The leased queue of each open spider of this process, for the LeaseKeeper of its crawler.
_QUEUES: weakref.WeakValueDictionary[int, LeasedQueue] = weakref.WeakValueDictionary()


class LeasedQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis's priority queue, where a pop is a lease that comes back if its holder dies."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        crawler = spider.crawler
        self.lease_seconds = crawler.settings.getfloat("SEEDWATCH_FRONTIER_LEASE", 60.0)
        self.keys = (self.key, f"{self.key}:leased", f"{self.key}:scores", f"{self.key}:expiry")
        dupefilter = crawler.settings.get("SCHEDULER_DUPEFILTER_KEY")
        self.dupefilter_key = dupefilter % {"spider": spider.name} if dupefilter else None
        self.held: set[str] = set()
        self._tokens = itertools.count()
        self._pop = server.register_script(POP)
        self._renew = server.register_script(RENEW)
        self._reap = server.register_script(REAP)
        _QUEUES[id(spider)] = self

    def pop(self, timeout: int = 0) -> Request | None:
        """Lease the first request of the queue to this process."""
        token = f"{OWNER}:{next(self._tokens)}"
        data = self._pop(keys=self.keys, args=[token, self.lease_seconds])
        if not data:
            return None
        self.held.add(token)
        request: Request = self._decode_request(data)
        request.meta[LEASE_META] = token
        return request

    def release(self, tokens: Iterable[str]) -> None:
        """The requests of these leases are handled: forget them."""
        tokens = [token for token in tokens if token in self.held]
        if not tokens:
            return
        pipe = self.server.pipeline()
        pipe.hdel(self.keys[1], *tokens).hdel(self.keys[2], *tokens).zrem(self.keys[3], *tokens)
        pipe.execute()
        self.held.difference_update(tokens)

    def renew(self) -> None:
        """Push back the expiry of every lease this process holds."""
        if self.held:
            self._renew(keys=[self.keys[3]], args=[self.lease_seconds, *self.held])

    def requeue_expired(self) -> int:
        """Put back in the queue the requests whose holder stopped renewing them; how many."""
        return int(self._reap(keys=self.keys, args=[]))

    def outstanding(self) -> int:
        """Leases held by any process."""
        return int(self.server.zcard(self.keys[3]))

    def expire_keys(self, seconds: int) -> None:
        """Let the queue's keys (and the dupefilter's) disappear `seconds` after the last call."""
        pipe = self.server.pipeline()
        for key in (*self.keys, self.dupefilter_key):
            if key:
                pipe.expire(key, seconds)
        pipe.execute()


class LeaseKeeper:
    """Renews, releases and requeues leases; keeps spiders open while other processes hold leases.

    A spider middleware, so that it sees each response's output end; also the idle check of every
    process of a run with a shared frontier (the run's workers and the process that started it).
    """

    def __init__(
        self, crawler: Crawler, store_url: str, run_id: int, worker: bool, keys_ttl: int, run_prefix: str
    ) -> None:
        self.crawler = crawler
        self.run_prefix = run_prefix
        self.store_url = store_url
        self.run_id = run_id
        self.worker = worker
        self.keys_ttl = keys_ttl
        self.pending: defaultdict[str, int] = defaultdict(int)  # items of a response not yet processed
        self.finished_output: set[str] = set()
        self.loop: task.LoopingCall | None = None
        self._store: Store | None = None
        self.marked = False  # this process has seen the run's frontier marker
        self.lost = False

    @property
    def store(self) -> Store:
        """The database, opened when a worker first goes idle (most never need it)."""
        if self._store is None:
            self._store = Store(self.store_url)
        return self._store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseKeeper:
        if not crawler.settings.get("SEEDWATCH_FRONTIER_LEASE"):
            raise NotConfigured  # no shared frontier (said quietly)
        settings = seedwatch_settings(crawler)
        keeper = cls(
            crawler,
            settings.database,
            int(crawler.settings.get("SEEDWATCH_RUN_ID")),
            crawler.settings.getbool("SEEDWATCH_WORKER"),
            settings.crawl.frontier_keys_ttl,
            str(crawler.settings.get("SEEDWATCH_RUN_KEYS")),
        )
        for handler, signal in (
            (keeper.spider_opened, signals.spider_opened),
            (keeper.spider_idle, signals.spider_idle),
            (keeper.spider_closed, signals.spider_closed),
            (keeper.item_done, signals.item_scraped),
            (keeper.item_done, signals.item_dropped),
            (keeper.item_done, signals.item_error),
        ):
            crawler.signals.connect(handler, signal=signal)
        return keeper

    # --- a lease is released when its response and every item from it are processed -------------------

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider
    ) -> Iterator[Any]:
        token = response.meta.get(LEASE_META)
        try:
            for output in result:
                if token and not isinstance(output, Request):
                    self.pending[token] += 1
                yield output
        finally:
            self._output_done(self.crawler.spider, token)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        token = response.meta.get(LEASE_META)
        try:
            async for output in result:
                if token and not isinstance(output, Request):
                    self.pending[token] += 1
                yield output
        finally:
            self._output_done(self.crawler.spider, token)

    def _output_done(self, spider: Spider | None, token: str | None) -> None:
        if token and spider is not None:
            self.finished_output.add(token)
            self._maybe_release(spider, token)

    def item_done(self, item: Any, response: Response | None, spider: Spider, **_: Any) -> None:
        token = response.meta.get(LEASE_META) if response is not None else None
        if token and token in self.pending:
            self.pending[token] -= 1
            self._maybe_release(spider, token)

    def _maybe_release(self, spider: Spider, token: str) -> None:
        if token in self.finished_output and self.pending.get(token, 0) <= 0:
            self.finished_output.discard(token)
            self.pending.pop(token, None)
            queue = _QUEUES.get(id(spider))
            if queue is not None:
                queue.release([token])

    # --- heartbeat ------------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        if self.loop is None:
            interval = max(1.0, self.crawler.settings.getfloat("SEEDWATCH_FRONTIER_LEASE") / 4)
            self.loop = task.LoopingCall(self.heartbeat)
            self.loop.start(interval, now=True)

    def heartbeat(self) -> None:
        """Renew this process's leases; the starting process says it is alive; keys live on."""
        try:
            for queue in list(_QUEUES.values()):
                if queue.spider.crawler is not self.crawler:
                    continue
                queue.renew()
                queue.expire_keys(self.keys_ttl)
                if not self.worker:
                    queue.server.set(
                        producer_key(self.run_prefix), OWNER, ex=producer_ttl(queue.lease_seconds)
                    )
                self.check_marker(queue.server)
        except Exception as exc:  # a Redis hiccup: the next beat tries again, leases last several beats
            logger.warning("frontier heartbeat failed: %s", exc)

    def check_marker(self, server: Any) -> None:
        """Notice when the run's keys were deleted under it (requests waiting in Redis are then lost)."""
        marker = frontier_key(self.run_prefix)
        if server.expire(marker, self.keys_ttl):
            self.marked = True
            return
        if not self.worker and not self.marked:
            server.set(marker, OWNER, ex=self.keys_ttl)
            self.marked = True
            return
        if self.marked and not self.lost:
            self.lost = True  # one alarm per process; the marker stays gone, so every process hears it
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(FRONTIER_LOST_STAT, 1)
            logger.error(
                "the run's keys vanished from Redis (emptied by FLUSHDB, or evicted): "
                "requests that were waiting in the shared frontier are lost"
            )

    # --- idle: nothing of this process is in progress -----------------------------------------------

    def spider_idle(self, spider: Spider) -> None:
        queue = _QUEUES.get(id(spider))
        if queue is None:
            return
        # Idle means every request this process took is handled: errback paths included.
        queue.release(list(queue.held))
        requeued = queue.requeue_expired()
        if requeued:
            logger.warning(
                "%s requests of a process that stopped renewing its leases are back in the queue", requeued
            )
        if len(queue) or queue.outstanding():
            raise DontCloseSpider("the shared frontier still has requests waiting or being handled")
        if not self.worker:
            return
        if self._run_busy(queue):
            # Another spider's queue of this run still has requests waiting or leased.
            raise DontCloseSpider("the run still has requests waiting or being handled")
        store = self.store
        run = store.runs.get(self.run_id)
        if run is None or run.status != "running":
            return
        holder = queue.server.get(producer_key(self.run_prefix))
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
        young = datetime.now(UTC) - started < timedelta(seconds=2 * producer_ttl(queue.lease_seconds))
        if holder is not None or young:
            # A run younger than two heartbeats may not have said it is alive yet.
            raise DontCloseSpider("the run this worker joined is still running")
        # The process that started the run died; its queue is empty and nobody holds a lease.
        store.runs.finish(
            self.run_id,
            "interrupted",
            "the process that started this run died; its workers handled every request left",
        )
        logger.warning("crawl run %s: its starting process died; run ended by a worker", self.run_id)

    def _run_busy(self, queue: LeasedQueue) -> bool:
        """Whether any queue of this run (every spider's) has requests waiting or leased."""
        for key in queue.server.scan_iter(f"{self.run_prefix}:*:requests*"):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name.endswith((":requests", ":requests:expiry")) and queue.server.zcard(key):
                return True
        return False

    def spider_closed(self, spider: Spider) -> None:
        queue = _QUEUES.pop(id(spider), None)
        if queue is not None:
            queue.release(list(queue.held))
        if self._store is not None:
            self._store.close()
            self._store = None
        # One spider per crawler: its heartbeat ends with it.
        if self.loop is not None and self.loop.running:
            self.loop.stop()


def frontier_key(run_prefix: str) -> str:
    """The marker whose disappearance says the run's keys were deleted."""
    return f"{run_prefix}:frontier"


def producer_key(run_prefix: str) -> str:
    """Where the process that started a run says it is alive."""
    return f"{run_prefix}:producer"


def producer_ttl(lease_seconds: float) -> int:
    """How long the starting process's heartbeat lasts: a few missed beats are not a death."""
    return max(3, int(lease_seconds))
