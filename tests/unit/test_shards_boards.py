"""The `boards` spider argument of a 领导留言板 crawl (a board shard): which of the definition's boards it harvests,
in the definition's order, and which fids it names that the definition lacks."""

from __future__ import annotations

from harvester.registry import Board
from spiders.base import board_subset

BOARDS = (Board("559", "浙江省委书记"), Board("1007", "杭州市市长"), Board("4523", "淳安县委书记"),
          Board("5050", "国家卫生健康委员会"))


def ids(boards: tuple[Board, ...]) -> list[str]:
    return [board.id for board in boards]


def test_without_the_argument_every_board_is_harvested() -> None:
    assert board_subset(BOARDS, None) == (BOARDS, [])


def test_the_named_boards_are_harvested_in_the_definition_s_order() -> None:
    chosen, unknown = board_subset(BOARDS, "5050, 559")
    assert (ids(chosen), unknown) == (["559", "5050"], [])
    assert ids(board_subset(BOARDS, ["4523", "1007"])[0]) == ["1007", "4523"]


def test_a_fid_the_definition_lacks_is_named_and_left_out() -> None:
    chosen, unknown = board_subset(BOARDS, "1007,9999,,585")
    assert (ids(chosen), unknown) == (["1007"], ["9999", "585"])
