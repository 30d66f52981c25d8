"""The conformance gate as an operator meets it: record a mailbox's pages, the site renames one thing in its
template, and today's pages fail exactly the conformance tests of the field whose rule read it, by name."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.fixtures import all_cases
from tests.harvesting import ROOT, cli, harvester_env, write_config
from tests.replicahost import control, replica_process

CONFORMANCE = "tests/unit/test_conformance.py"
FAILED = re.compile(r"^FAILED \S+::(\w+)\[([^\]]+)\] - (.*)$", re.MULTILINE)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with replica_process(tmp_path_factory.mktemp("sites"), ["hanweb_proxy", "dalian"]) as urls:
        yield urls


def conformance(config: Path, fixtures: Path) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, ...]]]:
    """The conformance tests over `fixtures` in a pytest process, as CI runs them: the run and its failures as
    (test function, test id, message)."""
    env = harvester_env(config, HARVESTER_FIXTURES_DIR=str(fixtures), COLUMNS="400")  # keep the summary whole
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", CONFORMANCE],
                         cwd=ROOT, text=True, capture_output=True, timeout=120, env=env)
    return run, FAILED.findall(run.stdout)


def record(config: Path, slug: str, fixtures: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return cli(config, "fixtures", "record", slug, "--output", str(fixtures), *flags)


def fields_named(output: str) -> set[str]:
    """The fields `fixtures record --check` reports as differing."""
    return set(re.findall(r"field '(\w+)'", output))


def recorded(tmp_path: Path, url: str, replica: str, slug: str) -> tuple[Path, Path, list[str]]:
    """Fixtures of `slug` freshly recorded from the unchanged replica: config, fixtures root, detail case names."""
    fixtures = tmp_path / "fixtures"
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'never.db'}", {slug: url})
    control(url, f"{replica}/template", {"reset": True})
    result = record(config, slug, fixtures)
    assert result.returncode == 0, result.stdout + result.stderr
    details = sorted(case.name for case in all_cases(fixtures) if case.page == "detail")
    assert len(details) >= 2, details
    return config, fixtures, details


def test_a_renamed_label_fails_exactly_that_fields_conformance_tests_naming_it(tmp_path: Path,
                                                                              sites: dict[str, str]) -> None:
    url = sites["hanweb_proxy"]
    config, fixtures, details = recorded(tmp_path, url, "hanweb_proxy", "hanweb_szxx")
    run, failures = conformance(config, fixtures)
    assert run.returncode == 0 and failures == [] and " passed" in run.stdout, run.stdout[-3000:]

    # The site's redesign: 来信时间 is now 提交时间 on every letter page.
    assert control(url, "hanweb_proxy/template", {"rename": {"来信时间": "提交时间"}})["rename"] == {"来信时间": "提交时间"}
    try:
        checked = record(config, "hanweb_szxx", fixtures, "--check")
        expectations = {path: path.read_bytes() for path in fixtures.glob("*/*/expected.json")}
        inputs = {path: path.read_bytes() for path in fixtures.glob("*/detail_*/input.bin")}
        refreshed = record(config, "hanweb_szxx", fixtures, "--refresh-inputs")
    finally:
        control(url, "hanweb_proxy/template", {"reset": True})
    assert checked.returncode == 1 and fields_named(checked.stdout) == {"posted_at"}, checked.stdout
    assert "来信时间" in checked.stdout  # the reason names the label the rule looked for
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert {path: path.read_bytes() for path in fixtures.glob("*/*/expected.json")} == expectations
    assert all(path.read_bytes() != before for path, before in inputs.items())  # today's pages, not the old ones

    run, failures = conformance(config, fixtures)
    assert run.returncode == 1, run.stdout[-3000:]
    assert sorted(test_id for _, test_id, _ in failures) == [f"hanweb_szxx/{name}/posted_at" for name in details]
    assert {test for test, _, _ in failures} == {"test_field"}
    assert all("field 'posted_at' differs" in message for _, _, message in failures), failures
    assert f"{len(details)} failed, " in run.stdout and "error" not in run.stdout.splitlines()[-1]


def test_a_renamed_css_class_is_reported_by_check_as_that_field_only(tmp_path: Path, sites: dict[str, str]) -> None:
    url = sites["dalian"]
    config, fixtures, _ = recorded(tmp_path, url, "dalian", "dalian_szxx")
    control(url, "dalian/template", {"class": {"xj_title": "xj_headline"}})
    try:
        checked = record(config, "dalian_szxx", fixtures, "--check")
    finally:
        control(url, "dalian/template", {"reset": True})
    assert checked.returncode == 1 and fields_named(checked.stdout) == {"title"}, checked.stdout
    assert "css:h2.xj_title matched nothing" in checked.stdout
    again = record(config, "dalian_szxx", fixtures, "--check")  # the old template is back: nothing differs
    assert again.returncode == 0 and "every field still as recorded" in again.stdout, again.stdout
