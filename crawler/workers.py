"""The crawl's page workers: processes that extract and analyse pages on the other cores.

One pool per crawl process, shared by its spiders. Workers are started when the first spider opens and
warmed up (libraries imported; claim sets, the word-segmentation dictionary and the sentence encoder
loaded) while the feeds are still being fetched. If the pool cannot start or dies, pages are handled in
threads instead: slower, but nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits

from crawler.analysis import AnalysisContext, Page, claim_sets, extract_page
from crawler.judge.embedding import load_encoder
from crawler.shared import ProcessShared

logger = logging.getLogger(__name__)


def start_worker(crawl_pid: int) -> None:
    """In a worker: leave Ctrl-C to the crawl process, which stops the pool itself (a worker that took
    the terminal's SIGINT would die mid-page and break the pool), end when the crawl process is gone
    (killed, it cannot stop the pool: a worker waiting for pages would wait for ever), and compute with
    one thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The workers are one per CPU already. numpy's BLAS would start a thread per CPU in each of them, and
    # its idle threads spin before they sleep: on 2 CPUs, 2 workers spent half their CPU time spinning.
    threadpool_limits(1)
    threading.Thread(target=_exit_with, args=(crawl_pid,), name="crawl-watch", daemon=True).start()


def _exit_with(crawl_pid: int, every: float = 1.0) -> None:
    # The worker's parent is the forkserver, which ends when the crawl process does (even before the
    # crawl is reaped); the pid check covers a worker forked by the crawl process itself.
    parent = os.getppid()
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(0)
        try:
            os.kill(crawl_pid, 0)
        except OSError:  # gone (or the pid now belongs to another user's process)
            os._exit(0)


def warm_up(context: AnalysisContext | None) -> bool:
    """Import and load what analysing a page needs, once per worker."""
    import jieba

    jieba.initialize()
    if context is not None:
        claim_sets(context.claim_files, context.min_score)
        load_encoder(context.embedding_backend)
    return True


class PagePool(ProcessShared):
    """Extracts and analyses pages in worker processes, or in threads when there are none."""

    def __init__(self, processes: int, context: AnalysisContext | None) -> None:
        self.executor: ProcessPoolExecutor | None = None
        if processes > 1:
            # forkserver, not fork: forking a process with a running reactor and threads is unsafe.
            context_kind = multiprocessing.get_context("forkserver")
            self.executor = ProcessPoolExecutor(
                processes, mp_context=context_kind, initializer=start_worker, initargs=(os.getpid(),)
            )
            self.warming: list[Future[bool]] = [
                self.executor.submit(warm_up, context) for _ in range(processes)
            ]

    @classmethod
    def acquire(cls, processes: int, context: AnalysisContext | None) -> PagePool:
        """The process's pool (started on first use)."""
        return cls.acquire_shared(lambda: cls(processes, context))

    def close(self) -> None:
        """Shut the workers down (the last spider's `release` calls it)."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    async def page(self, *args: Any) -> Page:
        """`extract_page(*args)` in a worker (or a thread)."""
        if self.executor is not None:
            try:
                return await asyncio.wrap_future(self.executor.submit(extract_page, *args))
            except (BrokenProcessPool, OSError, RuntimeError) as exc:
                logger.warning("page workers unavailable (%s); extracting in threads", exc)
                executor, self.executor = self.executor, None
                executor.shutdown(wait=False, cancel_futures=True)
        return await asyncio.to_thread(extract_page, *args)
