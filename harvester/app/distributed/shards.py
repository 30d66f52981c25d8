"""Board shards: a platform with more boards than `[distributed] shard_boards` is harvested as several tasks,
each over a disjoint share of its boards (docs/scale-out.md).

A shard is written INDEX/COUNT ("2/4": the second of four) and travels in a task as the target `<slug>#2/4`.
Its boards follow from the platform's definition alone, so `harvester enqueue` and every worker agree on them:
shard k takes the definition's boards k, k + COUNT, k + 2 x COUNT, ... (round robin: disjoint, covering, sizes
within one of each other). Only families whose spider takes a board subset (`board_subsets`) are split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harvester.families import FamilyError
from harvester.registry import PlatformSpec
from harvester.spiderloader import spider_class_for

SEPARATOR = "#"


@dataclass(frozen=True, slots=True, order=True)
class Shard:
    """Board shard `index` of `count` (1-based) of platform `slug`."""

    slug: str
    index: int
    count: int

    @property
    def label(self) -> str:
        """How runs, locks and `harvester queue` name the shard: "2/4"."""
        return f"{self.index}/{self.count}"

    @property
    def target(self) -> str:
        """The shard as a harvest task names it: `<slug>#2/4`."""
        return f"{self.slug}{SEPARATOR}{self.label}"


def split(board_ids: Sequence[str], count: int) -> list[tuple[str, ...]]:
    """`board_ids` dealt round robin into `count` shares, each in the given order: disjoint, together all of them,
    sizes within one of each other, the same for the same input."""
    if count < 1:
        raise ValueError(f"a platform splits into 1 or more shards, not {count}")
    return [tuple(board_ids[start::count]) for start in range(count)]


def shard_count(boards: int, shard_boards: int) -> int:
    """How many shards a platform of `boards` boards is harvested in: 1 up to `shard_boards` boards, else as many
    as keep each at `shard_boards` or fewer."""
    return max(1, -(-boards // shard_boards))


def takes_board_subsets(spec: PlatformSpec) -> bool:
    """Whether the platform's family spider harvests a subset of its boards (the spider argument `boards`)."""
    try:
        return bool(getattr(spider_class_for(spec), "board_subsets", False))
    except FamilyError:
        return False


def shards_of(spec: PlatformSpec, shard_boards: int) -> list[Shard]:
    """The platform's shards; [] when it is harvested whole (few boards, or a family without board subsets)."""
    count = shard_count(len(spec.boards), shard_boards)
    if count == 1 or not takes_board_subsets(spec):
        return []
    return [Shard(spec.slug, index, count) for index in range(1, count + 1)]


def shard_boards_of(spec: PlatformSpec, shard: Shard) -> tuple[str, ...]:
    """The board ids shard `shard` of the platform harvests."""
    return split([board.id for board in spec.boards], shard.count)[shard.index - 1]


def parse_target(target: str) -> tuple[str, Shard | None]:
    """A harvest task's target: (slug, None) for a whole platform, (slug, its Shard) for `<slug>#2/4`. ValueError
    for a shard not written INDEX/COUNT with 1 <= INDEX <= COUNT."""
    slug, separator, label = target.partition(SEPARATOR)
    if not separator:
        return slug, None
    index, slash, count = label.partition("/")
    if not (slash and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise ValueError(f"{target!r}: a shard is written <slug>{SEPARATOR}INDEX/COUNT, 1 <= INDEX <= COUNT")
    return slug, Shard(slug, int(index), int(count))
