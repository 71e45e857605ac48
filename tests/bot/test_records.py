"""Chats, deliveries and digest queries in the database (SQLite and PostgreSQL): the exactly-once records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.judge.types import ClaimMatch
from crawler.storage import Store
from crawler.storage.deliveries import Lease
from tests.bot.conftest import add_article, subscribe_chat

NOW = datetime.now(UTC)


def test_a_digest_is_begun_once_per_chat_and_key(db_url: str) -> None:
    with Store(db_url) as store:
        pk = subscribe_chat(store, 1)
        first, created = store.deliveries.begin(
            pk, "daily:2025-01-28", ["a", "b"], window_end=NOW, next_due_at=NOW + timedelta(days=1)
        )
        again, created_again = store.deliveries.begin(pk, "daily:2025-01-28", ["other"], window_end=NOW)
        assert created and not created_again and again.id == first.id and again.parts == ["a", "b"]
        chat = store.chats.by_pk(pk)
        assert (
            chat is not None and chat.last_window_end == NOW and chat.next_due_at == NOW + timedelta(days=1)
        )
        empty, _ = store.deliveries.begin(pk, "daily:2025-01-29", [])
        assert empty.status == "empty"
        assert store.deliveries.parts_by_chat(NOW - timedelta(hours=1)) == {1: (2, 2)}


def test_only_one_sender_holds_a_delivery(db_url: str) -> None:
    with Store(db_url) as store:
        pk = subscribe_chat(store, 1)
        delivery, _ = store.deliveries.begin(pk, "k", ["a", "b", "c"])
        held = store.deliveries.claim(delivery.id, Lease("one", NOW + timedelta(minutes=5)), now=NOW)
        assert held is not None and held.attempts == 1
        assert store.deliveries.claim(delivery.id, Lease("two", NOW + timedelta(minutes=5)), now=NOW) is None
        # Not even the same token takes a live lease again: a lease belongs to one task.
        assert store.deliveries.claim(delivery.id, Lease("one", NOW + timedelta(minutes=5)), now=NOW) is None
        # The hold lapses, or is released for a sender known to be gone.
        later = NOW + timedelta(minutes=6)
        two = Lease("two", later + timedelta(minutes=5))
        assert store.deliveries.claim(delivery.id, two, now=later) is not None
        assert not store.deliveries.sending(delivery.id, 0, Lease("one", later))  # the old holder lost it
        assert store.deliveries.sending(delivery.id, 0, two)
        assert store.deliveries.release_claims_of(["two"]) == 1
        store.deliveries.part_sent(delivery.id, 0, [10])
        store.deliveries.part_sent(delivery.id, 0, [10])  # a repeat does not skip a part
        store.deliveries.part_sent(delivery.id, 2, [12])  # nor does a jump
        got = store.deliveries.get(delivery.id)
        assert got is not None and got.parts_sent == 1 and got.message_ids == [10]
        assert got.sending_part is None
        store.deliveries.finish(delivery.id, "sent")
        assert store.deliveries.claim(delivery.id, Lease("three", later), now=later) is None
        assert [d.id for d in store.deliveries.unfinished()] == []
        counts = store.deliveries.counts_since(NOW - timedelta(hours=1))
        assert counts["sent"] == 1 and counts["pending"] == 0


def test_chats_due_migrate_and_deactivate(db_url: str) -> None:
    with Store(db_url) as store:
        late = subscribe_chat(store, -5, kind="group", due=NOW - timedelta(hours=2))
        subscribe_chat(store, 6, due=NOW - timedelta(hours=1))
        subscribe_chat(store, 7, due=NOW + timedelta(hours=1))
        assert [c.chat_id for c in store.chats.due(NOW)] == [-5, 6]
        store.chats.ensure(-1005, {"kind": "supergroup"})  # someone wrote there first
        moved = store.chats.migrate(-5, -1005)
        assert moved is not None and moved.id == late and moved.kind == "supergroup"
        assert store.chats.get(-5) is None and store.chats.get(-1005).id == late  # type: ignore[union-attr]
        store.chats.deactivate(late, "blocked")
        assert [c.chat_id for c in store.chats.due(NOW)] == [6]
        assert store.chats.counts() == {"chats": 3, "subscribers": 2, "inactive": 1}


def test_window_query_and_claims_tracker(db_url: str) -> None:
    with Store(db_url) as store:
        old = add_article(
            store, "old", fetched=NOW - timedelta(days=3),
            claims=[ClaimMatch("c1", "supports", 0.8, "yes")],
        )  # fmt: skip
        add_article(
            store, "new", fetched=NOW - timedelta(hours=1),
            claims=[ClaimMatch("c1", "disputes", 0.9, "no, it is wrong")],
        )  # fmt: skip
        add_article(store, "noise", relevant=False, fetched=NOW - timedelta(hours=2))
        window = store.digest.window(NOW - timedelta(days=1), NOW)
        assert sorted((a.title, a.relevant) for a in window) == [("", False), ("new", True)]
        [new] = [a for a in window if a.relevant]
        assert [(c.claim_id, c.stance) for c in new.claims] == [("c1", "disputes")]
        assert store.digest.supported_before(NOW - timedelta(days=1)) == {"c1"}
        [tally] = store.claims.tracker()
        assert (tally.supports, tally.disputes, tally.mentions) == (1, 1, 0)
        assert tally.latest_dispute == "no, it is wrong"
        assert tally.latest_dispute_url is not None and tally.latest_dispute_url.startswith("https://")
        assert old > 0
