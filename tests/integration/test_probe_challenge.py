"""`platforms check` and `fixtures record` fetch through the harvest's Scrapy stack: behind a 加速乐-style
challenge (HTTP 521 + a cookie script) they get through where the harvest gets through (the challenge passed in
Chromium, the pages read with its cookies) and fail, naming the challenge, where the harvest is blocked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.registry import BUILTIN_DIR
from harvester.store.db import Store
from tests.harvesting import cli, harvest, write_config
from tests.replicahost import control, replica_process

pytestmark = pytest.mark.browser
SLUG = "jact_jsl_generic"


def jsl_definition(directory: Path, options: str) -> None:
    """jact_generic (the jact replica read by the generic spider) with these challenge `[options]`."""
    text = (BUILTIN_DIR / "jact_generic.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "jact_generic"', f'slug = "{SLUG}"').replace("enabled = false\n", "")
    text = text.replace("[options.list]\n", f"[options]\n{options}\n\n[options.list]\n", 1)
    directory.mkdir()
    (directory / f"{SLUG}.toml").write_text(text, encoding="utf-8")


def run_outcome(db_url: str) -> tuple[str, str | None, str | None]:
    with Store.open(db_url).transaction() as repo:
        run = repo.latest_runs(limit=1, platform=SLUG)[0]
    return run["outcome"], run["failure_class"], run["error"]


@pytest.mark.parametrize("solving", [True, False], ids=["solving", "solving_off"])
def test_the_probe_passes_where_the_harvest_passes_and_fails_where_it_is_blocked(tmp_path: Path,
                                                                                 solving: bool) -> None:
    jsl_definition(tmp_path / "platforms", "" if solving else "solve_challenges = false")
    db_url = f"sqlite:///{tmp_path / 'jsl.db'}"
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 12}}) as urls:
        site = urls["jact"]
        control(site, "jact/mode", {"mode": "jsl"})
        config = write_config(tmp_path, db_url, {SLUG: site}, extra='platforms_dirs = ["platforms"]')
        checked = cli(config, "platforms", "probe", SLUG, "--details", "2", timeout=180)
        solved_by_check = control(site, "stats")["jsl"]["challenges_solved"]
        recorded = cli(config, "fixtures", "record", SLUG, "--output", str(tmp_path / "fixtures"), "--details", "2",
                       timeout=180)
        harvested = harvest(config, SLUG)
    outcome = run_outcome(db_url)
    shown = checked.stdout + checked.stderr
    if solving:
        assert harvested.returncode == 0 and outcome[0] == "succeeded", outcome
        assert checked.returncode == 0 and "every declared field was read" in checked.stdout, shown[-3000:]
        assert solved_by_check >= 1  # the check met the challenge and passed it, as the harvest does
        assert recorded.returncode == 0, recorded.stdout[-2000:] + recorded.stderr[-2000:]
        pages = [case / "input.bin" for case in (tmp_path / "fixtures" / SLUG).iterdir()]
        assert len(pages) >= 2 and all(b"__jsl_clear" not in page.read_bytes() for page in pages)
    else:
        assert harvested.returncode != 0 and outcome[:2] == ("failed", "blocked"), outcome
        assert checked.returncode == 1, shown[-3000:]
        assert re.search(r"list page 1: soft block: challenge page", checked.stdout), checked.stdout[-3000:]
        assert solved_by_check == 0
        said = " ".join((recorded.stdout + recorded.stderr).split())
        assert recorded.returncode != 0 and "first list page could not be read: soft block: challenge page" in said
