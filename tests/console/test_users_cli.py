"""`harvester users add|passwd|disable|list`: console accounts from the shell, passwords never on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.app.cli.main import app
from harvester.store.console_accounts import check_login
from harvester.store.db import Store


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("HARVESTER_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def users(*args: str, password: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["users", *args], input=None if password is None else password + "\n")
    return result.exit_code, result.output


def can_sign_in(url: str, name: str, password: str) -> bool:
    with Store.open(url) as store, store.transaction() as repo:
        return check_login(repo, name, password) is not None


def test_add_change_and_disable_a_user(db: str) -> None:
    assert users("add", "张科长", "--role", "approver", "--password-stdin", password="first password 1") == (
        0, "console user 张科长 (approver) created\n")
    assert can_sign_in(db, "张科长", "first password 1")
    assert users("passwd", "张科长", "--password-stdin", password="second password 2")[0] == 0
    assert not can_sign_in(db, "张科长", "first password 1") and can_sign_in(db, "张科长", "second password 2")
    assert users("disable", "张科长")[0] == 0
    assert not can_sign_in(db, "张科长", "second password 2")
    code, listed = users("list")
    assert code == 0 and "张科长" in listed and "approver" in listed and "second password" not in listed


@pytest.mark.parametrize(("args", "password", "says"), [
    (["add", "x", "--role", "boss"], "long enough password", "unknown role 'boss'"),
    (["add", "x", "--role", "viewer"], "short", "at least 10 characters"),
    (["passwd", "nobody"], "long enough password", "no console user named 'nobody'"),
])
def test_mistakes_are_refused_with_the_reason(db: str, args: list[str], password: str, says: str) -> None:
    code, output = users(*args, "--password-stdin", password=password)
    assert code == 2 and says in " ".join(output.split()).replace("│", "").replace("  ", " ")


def test_a_name_is_taken_once(db: str) -> None:
    assert users("add", "li", "--role", "viewer", "--password-stdin", password="long enough password")[0] == 0
    code, output = users("add", "li", "--role", "admin", "--password-stdin", password="long enough password")
    assert code == 2 and "exists already" in output
