"""The `boards` spider argument (a board shard) as every family spider that takes it reads it, through the base
spider: the named boards in the definition's order, and a fid the definition lacks failing the run as a
definition problem."""

from __future__ import annotations

import pytest

from harvester.registry import Board, PlatformSpec
from harvester.spiderloader import spider_class_for
from spiders.base import HarvestSpider, board_subset

BOARDS = (Board("559", "浙江省委书记"), Board("1007", "杭州市市长"), Board("4523", "淳安县委书记"),
          Board("5050", "国家卫生健康委员会"))


def spider(family: str, **arguments: str) -> HarvestSpider:
    spec = PlatformSpec(slug=f"{family}_big", name="分片测试", family=family, base_url="http://127.0.0.1:9",
                        boards=BOARDS, source=f"{family}_big.toml")
    made = spider_class_for(spec)(**arguments)
    assert isinstance(made, HarvestSpider)
    made.failures = []
    return made


def ids(boards: tuple[Board, ...]) -> list[str]:
    return [board.id for board in boards]


@pytest.mark.parametrize("family", ["people", "discuz"])
def test_a_family_spider_harvests_the_named_boards_in_the_definition_s_order(family: str) -> None:
    assert ids(spider(family).chosen_boards()) == ["559", "1007", "4523", "5050"]
    assert ids(spider(family, boards="5050, 559").chosen_boards()) == ["559", "5050"]


@pytest.mark.parametrize("family", ["people", "discuz"])
def test_a_fid_the_definition_lacks_fails_the_run_naming_it(family: str) -> None:
    crawl = spider(family, boards="1007,9999,,585")
    assert ids(crawl.chosen_boards()) == ["1007"]
    assert [(f.failure_class, f.detail) for f in crawl.failures] == [
        ("definition", "boards 9999, 585 asked for are not in the platform's definition")]


def test_the_argument_may_be_a_list_and_only_the_takers_may_be_sharded() -> None:
    assert board_subset(BOARDS, ["4523", "1007"]) == ((BOARDS[1], BOARDS[2]), [])
    assert spider_class_for(PlatformSpec(slug="jact_x", name="x", family="jact", base_url="http://127.0.0.1:9",
                                         boards=BOARDS, source="jact_x.toml")).board_subsets is False
