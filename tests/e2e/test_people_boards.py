"""`harvester platforms boards`: a province's leader boards read from the 领导留言板 forum tree become
[[boards]] tables, and a definition with them pasted in harvests every one of those boards."""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import cli, harvest, write_config
from tests.replicahost import control, replica_process

ZHEJIANG = {"559", "560", "1007", "1008", "4523", "4187"}  # the replica's 浙江 boards; 585 is 贵州, 5050 a ministry


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("people_boards")
    with replica_process(tmp, ["people"], options={"people": {"boards": 8, "per_board": 4, "rate_per_s": 0}}) as urls:
        yield urls["people"]


def boards_cli(tmp: Path, base: str, *args: str) -> Any:
    config = write_config(tmp, f"sqlite:///{tmp / 'unused.db'}", {"people_demo": base})
    return cli(config, "platforms", "boards", "people_demo", *args)


def test_the_boards_not_watched_yet_print_as_tables_that_harvest(people: str, tmp_path: Path) -> None:
    listed = boards_cli(tmp_path, people, "--province", "14", "--toml")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    new = tomllib.loads(listed.stdout)["boards"]
    assert {b["id"] for b in new} == ZHEJIANG - {"559", "1007"}  # people_demo watches those two already
    assert {b["id"]: b["addressee"] for b in new}["4523"] == "淳安县委书记"

    folder = tmp_path / "platforms"
    folder.mkdir()
    text = (BUILTIN_DIR / "people_demo.toml").read_text(encoding="utf-8").replace('slug = "people_demo"',
                                                                                 'slug = "people_zj"')
    # [[boards]] tables go before [options], where the operator pastes them
    text = text.replace("[options]", listed.stdout + "\n[options]", 1)
    (folder / "people_zj.toml").write_text(text, encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'zj.db'}"
    config = write_config(tmp_path, db_url, {"people_zj": people}, extra=f"platforms_dirs = [{str(folder)!r}]",
                          overrides={"people_zj": {"download_delay": 0}})
    result = harvest(config)
    assert result.returncode == 0, result.stderr[-3000:]
    with Store.open(db_url).transaction() as repo:
        per_board = Counter(m["board_id"] for m in repo.iter_messages(platform="people_zj"))
    site = Counter(str(m["fid"]) for m in control(people, "people/messages") if str(m["fid"]) in ZHEJIANG)
    assert per_board == site and set(per_board) == ZHEJIANG


def test_the_table_shows_which_boards_are_watched_and_a_region_narrows_the_list(people: str, tmp_path: Path) -> None:
    whole = boards_cli(tmp_path, people, "--province", "14")
    assert whole.returncode == 0, whole.stderr
    assert "6 leader boards under 14" in whole.stdout and "4 not watched yet" in whole.stdout
    hangzhou = boards_cli(tmp_path, people, "--province", "14", "--region", "146", "--toml")
    assert [b["id"] for b in tomllib.loads(hangzhou.stdout)["boards"]] == ["4523"]  # 1007 is watched


@pytest.mark.parametrize(("args", "code", "words"), [
    (("--province", "99"), 1, "HTTP 404 (is it a province's fid?)"),
    (("--province", "14", "--region", "585"), 1, "region 585 is not in the tree"),
])
def test_a_wrong_province_or_region_says_so_and_fails(people: str, tmp_path: Path, args: tuple[str, ...], code: int,
                                                      words: str) -> None:
    result = boards_cli(tmp_path, people, *args)
    assert result.returncode == code and words in " ".join((result.stdout + result.stderr).split()), result.stdout


def test_only_a_people_platform_has_a_forum_tree(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", {})
    result = cli(config, "platforms", "boards", "jact_demo", "--province", "14")
    assert result.returncode == 2 and "forum tree (family people)" in result.stdout


def test_the_help_names_the_tables_it_prints(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}", {})
    shown = cli(config, "platforms", "boards", "--help", COLUMNS="200")
    assert shown.returncode == 0 and shown.stdout.count("[[boards]] tables") == 2, shown.stdout  # not eaten as markup
