"""`--shard K/N`: which samples a shard runs, decided by a hash of each sample's id alone.

A sample belongs to shard `sha256(id) mod N + 1`. The answer depends on nothing but the id, so every machine,
every dataset order and every filter agrees on it, and the N shards of a selection partition it exactly: their
union is the unsharded run. Shards are balanced on average, not exactly (a small selection may leave one empty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from harness.errors import HarnessError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """The `index`-th (1-based) of `count` shards."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, sample_id: str | int) -> bool:
        """Whether the sample with this id belongs to this shard."""
        return shard_of(sample_id, self.count) == self.index


def parse(text: str) -> Shard:
    """`K/N` -> Shard(K, N); a one-line error naming --shard otherwise."""
    try:
        index, count = (int(x) for x in str(text).split("/"))
    except ValueError as ex:
        raise HarnessError(f"--shard {text}: expected K/N, e.g. 1/4") from ex
    if count < 1 or not 1 <= index <= count:
        raise HarnessError(f"--shard {text}: K must be between 1 and N, e.g. 1/4")
    return Shard(index, count)


def shard_of(sample_id: str | int, count: int) -> int:
    """The shard (1-based) of `count` that a sample id belongs to."""
    digest = hashlib.sha256(str(sample_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(items: Iterable[T], shard: str | None, key: Callable[[T], str | int]) -> list[T]:
    """The items whose id (`key`) is in `shard`, in their order; all of them when `shard` is None."""
    if not shard:
        return list(items)
    wanted = parse(shard)
    return [item for item in items if wanted.holds(key(item))]
