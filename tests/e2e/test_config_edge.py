"""The settings reach `scrapy list` / `scrapy crawl` although harvester.settings reads nothing at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_scrapy_list_names_the_platforms_of_the_configured_definition_dirs(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    text = (ROOT / "harvester" / "platforms" / "jact_demo.toml").read_text(encoding="utf-8")
    (tmp_path / "defs" / "ceshi_demo.toml").write_text(text.replace('slug = "jact_demo"', 'slug = "ceshi_demo"'),
                                                       encoding="utf-8")
    (tmp_path / "harvester.toml").write_text('platforms_dirs = ["defs"]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, text=True, capture_output=True,
                            timeout=60, env={**env, "HARVESTER_CONFIG": str(tmp_path / "harvester.toml")})
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "ceshi_demo" in listed.stdout.split()
    plain = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, text=True, capture_output=True,
                           timeout=60, env=env)
    assert "ceshi_demo" not in plain.stdout.split() and "jact_demo" in plain.stdout.split()
