"""Locks that are real: one daemon per database, and migrations that several processes may start at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.config import PROJECT_ROOT
from crawler.storage import DaemonLock, LeaseHolder, Store

TTL = timedelta(seconds=60)


def lock(store: Store, name: str, host: str = "host-a", ttl: timedelta = TTL) -> DaemonLock:
    return DaemonLock(store.db, f"{host}:{name}:nonce", host, int(name), ttl)


def test_one_holder_at_a_time_and_the_refusal_names_it(db_url: str) -> None:
    with Store(db_url) as first_store, Store(db_url) as second_store:
        first, second = lock(first_store, "101"), lock(second_store, "202", host="host-b")
        assert first.acquire() is None
        held = second.acquire()
        assert isinstance(held, LeaseHolder) and (held.host, held.pid) == ("host-a", 101)
        assert "pid 101 on host-a" in held.describe()
        assert first.renew() and first.acquire() is None, "the holder may renew and re-take its own lock"
        first.release()
        assert second.acquire() is None
        assert first.acquire() is not None
        second.release()


def test_a_holder_known_dead_is_taken_over_at_once_by_one_process(db_url: str) -> None:
    with Store(db_url) as store:
        dead = lock(store, "101")
        assert dead.acquire() is None
        if store.db.engine.dialect.name == "postgresql":
            dead._close_connection()  # the dead process's session ends with it
        takers = [lock(store, str(300 + i)) for i in range(2)]
        results = [taker.acquire(take_from=lambda h: h.pid == 101) for taker in takers]
        assert results[0] is None and isinstance(results[1], LeaseHolder) and results[1].pid == 300


def test_sqlite_lease_expires_when_its_holder_stops_renewing(sqlite_url: str) -> None:
    with Store(sqlite_url) as store:
        frozen = lock(store, "101", ttl=timedelta(seconds=2))  # not less: the machine may be loaded
        other = lock(store, "202", host="host-b")
        assert frozen.acquire() is None
        assert other.acquire() is not None, "an unexpired lease of another host is respected"
        time.sleep(2.1)
        assert other.acquire() is None
        assert not frozen.renew(), "a holder whose lease was taken over learns it at its next heartbeat"


def test_postgres_lock_goes_with_its_connection(pg_url: str) -> None:
    with Store(pg_url) as first_store, Store(pg_url) as second_store:
        first, second = lock(first_store, "101"), lock(second_store, "202", host="host-b")
        assert first.acquire() is None
        assert second.acquire() is not None
        first._close_connection()  # what the server does when the holder dies
        assert second.acquire() is None
        assert not first.renew(), "the lock it lost is held by another now"
        second.release()


def test_many_contenders_at_once_one_wins(db_url: str) -> None:
    stores = [Store(db_url) for _ in range(6)]
    locks = [lock(store, str(500 + i), host=f"host-{i}") for i, store in enumerate(stores)]
    barrier = threading.Barrier(len(locks))
    results: dict[int, LeaseHolder | None] = {}

    def contend(index: int) -> None:
        barrier.wait()
        results[index] = locks[index].acquire()

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(locks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, held in results.items() if held is None]
    assert len(winners) == 1
    assert {held.pid for held in results.values() if held is not None} == {500 + winners[0]}
    for store in stores:
        store.close()


@pytest.mark.slow
def test_three_processes_migrate_a_fresh_database_at_once(db_url: str, tmp_path: Path) -> None:
    code = "import sys; from crawler.storage import Store; Store(sys.argv[1]).close()"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url], cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], "\n".join(errors)
    with Store(db_url) as store:  # migrated once, to the newest revision
        assert store.daemon.fact("anything") is None
        assert lock(store, "1").acquire() is None
