"""Reading the 领导留言板 forum tree (API family C) into the leader boards of a province."""

from __future__ import annotations

import json
import tomllib

import pytest

from harvester.extract.errors import LayoutChanged
from spiders.people.forum_tree import LeaderBoard, boards_toml, leader_boards, parse_forum_tree

FLAT = 'IndexForum([{"fid":"14","name":"浙江省","childIds":"146,147","topIds":"559,560"},' \
       '{"fid":"146","name":"杭州市","childIds":"1462","topIds":"1007"},' \
       '{"fid":"147","name":"宁波市","childIds":"","topIds":"1008"},' \
       '{"fid":"1462","name":"淳安县","childIds":"","topIds":"4523"},' \
       '{"fid":"559","name":"浙江省委书记","childIds":"","topIds":""},' \
       '{"fid":"560","name":"浙江省省长","childIds":"","topIds":""},' \
       '{"fid":"1007","name":"杭州市市长","childIds":"","topIds":""},' \
       '{"fid":"1008","name":"宁波市市长","childIds":"","topIds":""},' \
       '{"fid":"4523","name":"淳安县委书记","childIds":"","topIds":""}]);'


def test_every_leader_board_of_the_province_is_found_once_with_its_regions() -> None:
    boards = leader_boards(parse_forum_tree(FLAT), "14")
    assert [(b.fid, b.addressee) for b in boards] == [
        ("559", "浙江省委书记"), ("560", "浙江省省长"), ("1007", "杭州市市长"), ("4523", "淳安县委书记"),
        ("1008", "宁波市市长")]
    assert boards[3].regions == ("浙江省", "杭州市", "淳安县")


def test_a_city_as_the_root_gives_only_its_own_boards() -> None:
    assert [b.fid for b in leader_boards(parse_forum_tree(FLAT), "146")] == ["1007", "4523"]


def test_numbers_arrays_an_object_keyed_by_fid_and_any_callback_read_the_same() -> None:
    nodes = {str(n["fid"]): n for n in json.loads(FLAT[len("IndexForum("):-2])}
    variant = {fid: {**n, "fid": int(fid), "childIds": [int(i) for i in n["childIds"].split(",") if i],
                     "topIds": [int(i) for i in n["topIds"].split(",") if i]} for fid, n in nodes.items()}
    text = f"jQuery1830_17({json.dumps(variant, ensure_ascii=False)})"
    assert leader_boards(parse_forum_tree(text), "14") == leader_boards(parse_forum_tree(FLAT), "14")


def test_a_loop_in_the_tree_ends_and_a_board_without_a_node_is_named_by_fid() -> None:
    text = json.dumps([{"fid": 1, "name": "甲省", "childIds": "2", "topIds": "10"},
                       {"fid": 2, "name": "乙市", "childIds": "1", "topIds": "11,10"}], ensure_ascii=False)
    assert leader_boards(parse_forum_tree(text), "1") == [LeaderBoard("10", "fid 10", ("甲省",)),
                                                         LeaderBoard("11", "fid 11", ("甲省", "乙市"))]


@pytest.mark.parametrize(("text", "words"), [
    ("<html>系统维护中</html>", "not JSONP or JSON"),
    ('IndexForum({"code":1})', "a node without fid"),
    ('IndexForum([{"fid":"x14"}])', "is not a number"),
    ('IndexForum([{"fid":"14","topIds":{"a":1}}])', "neither a list nor comma-separated"),
    ('IndexForum([{"fid":"14","topIds":"559,五六零"}])', "other than fids"),
    ("IndexForum([])", "no nodes"),
])
def test_an_answer_that_is_not_a_forum_tree_is_a_layout_change_saying_why(text: str, words: str) -> None:
    with pytest.raises(LayoutChanged, match=words):
        parse_forum_tree(text)


def test_a_region_missing_from_the_tree_is_named_with_the_regions_there_are() -> None:
    with pytest.raises(LayoutChanged, match=r"region 99 is not in the tree \(regions: 14, 146, 1462, 147\)"):
        leader_boards(parse_forum_tree(FLAT), "99")


def test_the_boards_print_as_tables_a_definition_loads() -> None:
    boards = [*leader_boards(parse_forum_tree(FLAT), "146"), LeaderBoard("77", '某"县"书记\n', ("省\n", "市"))]
    loaded = tomllib.loads(boards_toml(boards))["boards"]
    assert loaded == [{"id": "1007", "addressee": "杭州市市长"}, {"id": "4523", "addressee": "淳安县委书记"},
                      {"id": "77", "addressee": '某"县"书记\n'}]
