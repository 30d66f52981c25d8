"""Run harvests the way cron does (a `harvester harvest` process) against replicas, and read the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def write_config(tmp: Path, db_url: str, platforms: dict[str, str], extra: str = "",
                 overrides: dict[str, dict[str, Any]] | None = None) -> Path:
    """A harvester.toml enabling `platforms` ({slug: base_url}) against the store at db_url."""
    lines = [f"db_url = {json.dumps(db_url)}", f"enabled = {json.dumps(list(platforms))}", extra, ""]
    for slug, url in platforms.items():
        lines += [f"[platforms.{slug}]", f"base_url = {json.dumps(url)}"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in (overrides or {}).get(slug, {}).items()]
        lines.append("")
    path = tmp / "harvester.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def harvester_env(config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_")}
    return {**env, "HARVESTER_CONFIG": str(config), **extra}


def harvest(config: Path, *slugs: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m harvester harvest [slugs]` with this config; returns the finished process."""
    return subprocess.run([sys.executable, "-m", "harvester", "harvest", *slugs], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, env=harvester_env(config, **env))


def cli(config: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """Any `harvester` subcommand with this config (and `env` on top of it)."""
    return subprocess.run([sys.executable, "-m", "harvester", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, env=harvester_env(config, **env))
