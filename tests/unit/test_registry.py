"""Platform definitions: the built-in ones load, and mistakes name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harvester.config import ConfigError, load_config
from harvester.registry import load_definition, load_platforms, platforms_for

GOOD = """
slug = "{slug}"
name = "测试市 市长信箱"
family = "jact"
base_url = "http://127.0.0.1:9/"
[[boards]]
id = "6"
addressee = "市长信箱"
"""


def write(directory: Path, slug: str, text: str) -> Path:
    path = directory / f"{slug}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_definitions_load_with_their_boards() -> None:
    specs = load_platforms()
    assert specs["jact_demo"].boards[0].addressee == "市长信箱"
    assert specs["jact_demo_gbk"].family == "jact"


def test_extra_directory_adds_a_platform_and_strips_trailing_slash(tmp_path: Path) -> None:
    write(tmp_path, "ceshi_szxx", GOOD.format(slug="ceshi_szxx"))
    spec = load_platforms((tmp_path,))["ceshi_szxx"]
    assert spec.base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(("text", "field"), [
    (GOOD.replace('family = "jact"', 'family = "nosuch"'), "'family'"),
    (GOOD.replace('name = "测试市 市长信箱"\n', ""), "'name'"),
    (GOOD.replace('addressee = "市长信箱"', ""), "'addressee'"),
    (GOOD.replace('base_url = "http://127.0.0.1:9/"', "base_url = 9"), "'base_url'"),
])
def test_a_broken_definition_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, "ceshi_szxx", text.format(slug="ceshi_szxx"))
    with pytest.raises(ConfigError) as error:
        load_definition(path)
    assert str(path) in str(error.value)
    assert field in str(error.value)
    specs = load_platforms((tmp_path,))  # the file fails alone: the built-in platforms still load
    assert specs["ceshi_szxx"].problem == str(error.value) and specs["jact_demo"].problem is None


def test_slug_must_match_file_name(tmp_path: Path) -> None:
    write(tmp_path, "other_name", GOOD.format(slug="ceshi_szxx"))
    problem = load_platforms((tmp_path,))["other_name"].problem
    assert problem is not None and "must match the file name" in problem


def test_config_file_overrides_base_url_and_env_beats_file(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text(
        'db_url = "sqlite:///from-file.db"\nenabled = ["jact_demo"]\n'
        '[platforms.jact_demo]\nbase_url = "http://127.0.0.1:18601"\n', encoding="utf-8")
    config = load_config(env={"HARVESTER_DB_URL": "sqlite:///from-env.db"}, cwd=tmp_path)
    assert config.db_url == "sqlite:///from-env.db"
    assert list(platforms_for(config)) == ["jact_demo"]
    assert platforms_for(config)["jact_demo"].base_url == "http://127.0.0.1:18601"


def test_override_of_unknown_platform_or_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text('[platforms.nosuch]\nbase_url = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[platforms.nosuch\]"):
        platforms_for(load_config(env={}, cwd=tmp_path))
    (tmp_path / "harvester.toml").write_text('[platforms.jact_demo]\nselector = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown override"):
        platforms_for(load_config(env={}, cwd=tmp_path))


BUILTIN_REPLICAS = {"jact_demo", "jact_demo_gbk", "discuz_demo", "discuz_demo_gbk", "people_demo", "dalian_szxx",
                    "changsha_szxx", "tianjin_zmljl", "hanweb_szxx", "beijing_12345", "xuzhou_12345", "trs_xjgk"}


def test_a_deployment_runs_its_own_platforms_and_never_the_builtin_replicas_by_default(tmp_path: Path) -> None:
    own = tmp_path / "platforms"
    own.mkdir()
    write(own, "ceshi_szxx", GOOD.format(slug="ceshi_szxx"))
    (tmp_path / "harvester.toml").write_text('db_url = "sqlite:///prod.db"\nplatforms_dirs = ["platforms"]\n',
                                             encoding="utf-8")
    assert list(platforms_for(load_config(env={}, cwd=tmp_path))) == ["ceshi_szxx"]
    replicas = platforms_for(load_config(env={"HARVESTER_REPLICA_PLATFORMS": "1"}, cwd=tmp_path))
    assert set(replicas) == BUILTIN_REPLICAS | {"ceshi_szxx"}  # jact_generic says enabled = false itself


def test_builtin_replicas_run_when_a_replica_config_switches_them_on_or_names_them(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text("replica_platforms = true\n", encoding="utf-8")
    assert set(platforms_for(load_config(env={}, cwd=tmp_path))) == BUILTIN_REPLICAS
    assert platforms_for(load_config(env={"HARVESTER_REPLICA_PLATFORMS": "0"}, cwd=tmp_path)) == {}
    (tmp_path / "harvester.toml").write_text('enabled = ["discuz_demo"]\n', encoding="utf-8")
    assert list(platforms_for(load_config(env={}, cwd=tmp_path))) == ["discuz_demo"]
    (tmp_path / "harvester.toml").write_text('[platforms.people_demo]\nenabled = true\n', encoding="utf-8")
    assert list(platforms_for(load_config(env={}, cwd=tmp_path))) == ["people_demo"]


def test_a_builtin_definition_pointed_at_the_real_site_is_a_real_platform(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text(  # as the definition's comment says: point base_url at the real site
        '[platforms.jact_demo]\nbase_url = "https://szxx.example.gov.cn"\n'
        '[platforms.discuz_demo]\nbase_url = "https://bbs.example.cn"\nenabled = false\n', encoding="utf-8")
    assert list(platforms_for(load_config(env={}, cwd=tmp_path))) == ["jact_demo"]
