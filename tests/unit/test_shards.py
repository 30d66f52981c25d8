"""Board shards on paper: how a large platform's boards are dealt into shards (deterministic, disjoint, covering,
even), which platforms are split, how a task names a shard, and how enqueue packs shards into tasks."""

from __future__ import annotations

import pytest

from harvester.app.distributed.names import BROWSER_QUEUE, HTTP_QUEUE
from harvester.app.distributed.schedule import all_targets, plan
from harvester.app.distributed.shards import (
    Shard,
    parse_target,
    shard_boards_of,
    shard_count,
    shards_of,
    split,
)
from harvester.registry import Board, PlatformSpec


def spec(slug: str, family: str, boards: int) -> PlatformSpec:
    return PlatformSpec(slug=slug, name=slug, family=family, base_url="http://127.0.0.1:1", source=f"{slug}.toml",
                        boards=tuple(Board(str(1000 + n), f"第{n}号领导") for n in range(boards)))


@pytest.mark.parametrize(("boards", "count"), [(1, 1), (7, 2), (10, 3), (101, 4), (300, 6), (8, 8)])
def test_the_shares_are_disjoint_cover_every_board_and_differ_by_one_board_at_most(boards: int, count: int) -> None:
    ids = [str(n) for n in range(boards)]
    shares = split(ids, count)
    assert len(shares) == count
    dealt = [board for share in shares for board in share]
    assert sorted(dealt) == sorted(ids) and len(set(dealt)) == boards
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert shares == split(list(ids), count)  # the same for every host that computes it


def test_boards_are_dealt_round_robin_in_the_definition_s_order() -> None:
    assert split(["559", "1007", "4523", "5050", "560"], 2) == [("559", "4523", "560"), ("1007", "5050")]
    with pytest.raises(ValueError, match="1 or more"):
        split(["559"], 0)


@pytest.mark.parametrize(("boards", "per_shard", "expected"), [(0, 50, 1), (50, 50, 1), (51, 50, 2),
                                                               (100, 50, 2), (101, 50, 3), (300, 50, 6), (8, 3, 3)])
def test_a_platform_is_split_only_above_the_threshold_into_shards_of_at_most_that_many(
        boards: int, per_shard: int, expected: int) -> None:
    assert shard_count(boards, per_shard) == expected


def test_large_people_and_discuz_platforms_are_split_and_every_board_lands_in_one_shard() -> None:
    people = spec("people_zj", "people", 120)
    shards = shards_of(people, 50)
    assert [s.target for s in shards] == ["people_zj#1/3", "people_zj#2/3", "people_zj#3/3"]
    boards = [board for shard in shards for board in shard_boards_of(people, shard)]
    assert sorted(boards) == sorted(b.id for b in people.boards) and len(set(boards)) == 120
    assert len(shards_of(spec("bbs", "discuz", 51), 50)) == 2
    assert shards_of(spec("people_small", "people", 50), 50) == []


def test_a_family_whose_spider_takes_no_board_subset_is_harvested_whole() -> None:
    assert shards_of(spec("jact_big", "jact", 500), 50) == []


def test_a_task_names_a_shard_slug_hash_index_slash_count() -> None:
    assert parse_target("people_zj#2/3") == ("people_zj", Shard("people_zj", 2, 3))
    assert parse_target("people_zj") == ("people_zj", None)
    assert Shard("people_zj", 2, 3).label == "2/3"
    for wrong in ("people_zj#4/3", "people_zj#0/3", "people_zj#2", "people_zj#x/3", "people_zj#"):
        with pytest.raises(ValueError, match="INDEX/COUNT"):
            parse_target(wrong)


def test_enqueue_sends_each_shard_as_a_task_of_its_own_on_its_platform_s_queue() -> None:
    specs = {s.slug: s for s in (spec("people_zj", "people", 7), spec("bbs", "discuz", 7),
                                 spec("jact_a", "jact", 7), spec("jact_b", "jact", 1))}
    targets = all_targets(specs, 3)
    assert targets == ["people_zj#1/3", "people_zj#2/3", "people_zj#3/3", "bbs#1/3", "bbs#2/3", "bbs#3/3",
                       "jact_a", "jact_b"]
    tasks = plan(targets, specs, per_task=25)
    assert sorted(tasks) == sorted([(HTTP_QUEUE, ["jact_a", "jact_b"]), (BROWSER_QUEUE, ["people_zj#1/3"]),
                                    (BROWSER_QUEUE, ["people_zj#2/3"]), (BROWSER_QUEUE, ["people_zj#3/3"]),
                                    (HTTP_QUEUE, ["bbs#1/3"]), (HTTP_QUEUE, ["bbs#2/3"]),
                                    (HTTP_QUEUE, ["bbs#3/3"])])
