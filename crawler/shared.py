"""What the spiders of one crawl process share: one instance per process (and key), counted by its users.

The judge's thread (`crawler.pipelines.JudgeThread`), the page workers (`crawler.workers.PagePool`) and the
judge itself (`crawler.judge_service.JudgeService`, one per database) are made by the first spider that asks
and closed by the last one to let go, so a crawl of many spiders starts each of them once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, ClassVar, Self


class ProcessShared:
    """A resource the spiders of a process share: `acquire_shared` makes it or counts one more user,
    `release` counts one less and the last one closes it. An instance made directly is its own."""

    _instances: ClassVar[dict[tuple[type[Any], Hashable], Any]] = {}
    users: int = 0
    _shared_key: Hashable = None

    @classmethod
    def shared(cls, key: Hashable = None) -> Self | None:
        """The process's instance for `key`, if one is open."""
        found: Self | None = ProcessShared._instances.get((cls, key))
        return found

    @classmethod
    def acquire_shared(cls, make: Callable[[], Self], key: Hashable = None) -> Self:
        """The process's instance for `key` (made by `make` on first use), with one more user."""
        instance = cls.shared(key)
        if instance is None:
            instance = make()
            instance._shared_key = key
            ProcessShared._instances[(cls, key)] = instance
        instance.users += 1
        return instance

    def release(self) -> None:
        """One user less; the last one closes it."""
        self.users -= 1
        if self.users > 0:
            return
        if ProcessShared._instances.get((type(self), self._shared_key)) is self:
            del ProcessShared._instances[(type(self), self._shared_key)]
        self.close()

    def close(self) -> None:
        """Free what it holds (called by the last user's `release`)."""
        raise NotImplementedError
