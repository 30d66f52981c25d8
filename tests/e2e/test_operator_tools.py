"""The operator's path for a new mailbox, as the `harvester` command: new -> check -> fixtures record, and a
definition mistake stopping a harvest with the file, line and field."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.definition import definition_of
from harvester.fixtures import all_cases
from harvester.privacy import mask_text
from harvester.registry import BUILTIN_DIR, load_platforms
from spiders.pageindex import parse_recorded
from tests.harvesting import ROOT, cli, harvest, harvester_env, write_config
from tests.replicahost import control, replica_process


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("sites"), ["dalian", "hanweb_proxy"]) as urls:
        yield urls


def config_with(tmp_path: Path, platforms: dict[str, str], dirs: tuple[Path, ...] = ()) -> Path:
    extra = f"platforms_dirs = {json.dumps([str(d) for d in dirs])}" if dirs else ""
    return write_config(tmp_path, f"sqlite:///{tmp_path / 'never.db'}", platforms, extra=extra)


def hanweb_with(directory: Path, old: str, new: str, slug: str = "hanweb_changed") -> Path:
    directory.mkdir(exist_ok=True)
    text = (BUILTIN_DIR / "hanweb_szxx.toml").read_text(encoding="utf-8")
    assert old in text
    path = directory / f"{slug}.toml"
    path.write_text(text.replace('slug = "hanweb_szxx"', f'slug = "{slug}"').replace(old, new), encoding="utf-8")
    return path


def test_platforms_new_writes_a_loading_definition_and_a_test_that_fails_until_recorded(tmp_path: Path) -> None:
    platforms, tests = tmp_path / "platforms", tmp_path / "tests"
    config = config_with(tmp_path, {}, (platforms,))
    result = cli(config, "platforms", "new", "ceshi_szxx", "--name", "测试市 市长信箱", "--base-url",
                 "http://127.0.0.1:9/", "--tests-dir", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr
    spec = load_platforms((platforms,))["ceshi_szxx"]
    assert (spec.family, spec.enabled, spec.base_url, spec.name) == ("generic", False, "http://127.0.0.1:9",
                                                                     "测试市 市长信箱")
    assert definition_of(spec).list.paging.kind == "page"
    assert "# " in (platforms / "ceshi_szxx.toml").read_text(encoding="utf-8")  # commented for the operator
    again = cli(config, "platforms", "new", "ceshi_szxx", "--tests-dir", str(tests))
    assert again.returncode == 1 and "not overwriting" in again.stdout
    assert cli(config, "platforms", "new", "Ceshi-SZXX").returncode == 2
    skeleton = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               str(tests / "test_platform_ceshi_szxx.py")], cwd=tmp_path, text=True,
                              capture_output=True, timeout=120, env={**harvester_env(config), "PYTHONPATH": str(ROOT)})
    assert "1 passed" in skeleton.stdout and "2 failed" in skeleton.stdout, skeleton.stdout + skeleton.stderr
    assert "harvester fixtures record ceshi_szxx" in skeleton.stdout


def test_platforms_check_shows_every_field_and_stores_nothing(tmp_path: Path, sites: dict[str, str]) -> None:
    config = config_with(tmp_path, {"hanweb_szxx": sites["hanweb_proxy"]})
    result = cli(config, "platforms", "probe", "hanweb_szxx", "--details", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    first = next(x for x in control(sites["hanweb_proxy"], "hanweb_proxy/letters") if x["public"])
    for shown in ("List: 45 public letters", "posted_at", "label:来信时间", first["title"][:20], "not declared",
                  "every declared field was read"):
        assert shown in result.stdout, shown
    assert not (tmp_path / "never.db").exists()


def test_platforms_check_names_a_field_that_reads_nothing(tmp_path: Path, sites: dict[str, str]) -> None:
    platforms = tmp_path / "platforms"
    hanweb_with(platforms, 'title = "label:信件标题"', 'title = "label:信件主题"')
    config = config_with(tmp_path, {"hanweb_changed": sites["hanweb_proxy"]}, (platforms,))
    result = cli(config, "platforms", "check", "hanweb_changed", "--details", "2")
    assert result.returncode == 1
    assert "2 problem(s)" in result.stdout
    assert "letter 1: title: detail: title: label '信件主题' not found" in result.stdout


def test_fixtures_record_saves_pages_that_parse_back_to_what_the_site_shows(tmp_path: Path,
                                                                            sites: dict[str, str]) -> None:
    fixtures = tmp_path / "fixtures"
    (fixtures / "dalian_szxx" / "detail_stale").mkdir(parents=True)
    (fixtures / "dalian_szxx" / "detail_stale" / "meta.json").write_text("{}", encoding="utf-8")
    config = config_with(tmp_path, {"dalian_szxx": sites["dalian"]})
    result = cli(config, "fixtures", "record", "dalian_szxx", "--output", str(fixtures))
    assert result.returncode == 0, result.stdout + result.stderr
    cases = all_cases(fixtures)
    names = {case.name for case in cases}
    assert "list_first_page" in names and "detail_stale" not in names and len(names) >= 3
    truth = {x["id"]: x for x in control(sites["dalian"], "dalian/letters")}
    for case in cases:
        assert parse_recorded(case.family, case.page, case.snapshot, case.context) == case.expected
        if case.page == "detail":
            letter = truth[case.context["external_id"]]
            # recorded masked: the site's phone numbers show as 155****2529 in page and expectation alike
            assert (case.expected["title"], case.expected["body"]) == (mask_text(letter["title"]),
                                                                       mask_text(letter["body"]))
            assert case.expected["status_raw"] == letter["status"] and case.name == f"detail_{case.expected['status']}"


def test_a_definition_mistake_fails_that_platform_naming_file_line_and_field(tmp_path: Path) -> None:
    path = hanweb_with(tmp_path / "platforms", 'rows = "css:li"', 'rows = "css:li["')
    config = config_with(tmp_path, {"hanweb_changed": "http://127.0.0.1:9"}, (tmp_path / "platforms",))
    result = harvest(config, timeout=60)
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("rows ="))
    assert result.returncode == 1  # a failed run, recorded as such (nothing is fetched for it)
    # Rich wraps the one-line message at the terminal width: compare without whitespace.
    said = "".join((result.stdout + result.stderr).split())
    assert "".join(f"{path}:{line}: field 'options.list.rows'".split()) in said
    assert "Traceback" not in result.stdout + result.stderr
