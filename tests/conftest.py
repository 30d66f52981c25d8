"""Suite-wide fixtures: an isolated environment (no HARVESTER_* leaking in) and a SQLite URL per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PG_URL = os.environ.get("HARVESTER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in list(os.environ):
        if name.startswith("HARVESTER_") and name != "HARVESTER_TEST_PG_URL":
            monkeypatch.delenv(name)
    # Unattended runs keep their lock, alert state and child logs under the state dir: never the user's home.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'harvester.db'}"
