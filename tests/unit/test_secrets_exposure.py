"""Credentials stay where they are needed: a secrets file others can read is refused, and children (harvests,
pushes, browsers) get only the variables they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.playwright_settings import chromium_launch_options, playwright_settings
from harvester.app.operate import _child_env
from harvester.childenv import browser_env, harvest_env, push_env
from harvester.config import ConfigError, load_config
from harvester.secrets import Secrets

SECRETS = '[accounts.jact_demo.zjj]\nusername = "zjj"\npassword = "pw-Zjj-2026"\n'
# An operator's environment under cron: system variables, settings, reply accounts and alert keys side by side.
OPERATOR_ENV = {
    "PATH": "/usr/bin", "HOME": "/srv/liuyan", "LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN.UTF-8", "TZ": "Asia/Shanghai",
    "PYTHONPATH": "/srv/liuyan", "https_proxy": "http://proxy:3128",
    "HARVESTER_DB_URL": "postgresql+psycopg://liuyan:dbpw@db/liuyan", "HARVESTER_LOG_LEVEL": "INFO",
    "HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_USERNAME": "zjj", "HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD": "pw-Zjj-2026",
    "HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_TOTP_SECRET": "JBSWY3DPEHPK3PXP", "HARVESTER_SECRETS_FILE": "/etc/liuyan/s.toml",
    "HARVESTER_ALERT_WEBHOOK_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234",
    "HARVESTER_SMTP_PASSWORD": "smtp-pw-99", "WECOM_DUTY_HOOK": "https://qyapi.weixin.qq.com/send?key=efgh",
    "HARVESTER_DUTY_HOOK": "https://hooks.example/duty/zzz", "AWS_SECRET_ACCESS_KEY": "aws-xyz",
}
CREDENTIALS = {"HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_USERNAME", "HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD",
               "HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_TOTP_SECRET", "HARVESTER_SECRETS_FILE"}
ALERT_KEYS = {"HARVESTER_ALERT_WEBHOOK_URL", "HARVESTER_SMTP_PASSWORD", "WECOM_DUTY_HOOK", "HARVESTER_DUTY_HOOK",
              "AWS_SECRET_ACCESS_KEY"}


def secrets_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(SECRETS, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o660, 0o666])
def test_a_secrets_file_others_can_read_or_change_is_refused_naming_the_fix(tmp_path: Path, mode: int) -> None:
    path = secrets_file(tmp_path, mode)
    with pytest.raises(ConfigError, match=rf"secrets file {path} is too open \(mode {mode:04o}.*chmod 600 {path}"):
        Secrets.load(path)


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o640])
def test_a_private_secrets_file_is_read(tmp_path: Path, mode: int) -> None:
    assert Secrets.load(secrets_file(tmp_path, mode), env={}).credentials("jact_demo", "zjj")["password"] == (
        "pw-Zjj-2026")


def test_a_harvest_child_gets_settings_but_no_credential(tmp_path: Path) -> None:
    child = harvest_env(OPERATOR_ENV, secret_names={"HARVESTER_DUTY_HOOK"})
    assert child["HARVESTER_DB_URL"] == OPERATOR_ENV["HARVESTER_DB_URL"] and child["PATH"] == "/usr/bin"
    assert {"LC_ALL", "TZ", "PYTHONPATH", "https_proxy", "HARVESTER_LOG_LEVEL"} <= set(child)
    assert set(child) & (CREDENTIALS | ALERT_KEYS) == set()


def test_a_push_child_gets_the_reply_accounts_and_no_alert_key() -> None:
    child = push_env(OPERATOR_ENV, secret_names={"HARVESTER_DUTY_HOOK"})
    assert CREDENTIALS <= set(child) and set(child) & ALERT_KEYS == set()


def test_run_passes_its_children_no_variable_the_config_names_as_a_secret(tmp_path: Path) -> None:
    config_file = tmp_path / "harvester.toml"
    config_file.write_text('[[alerts.webhooks]]\nurl_env = "HARVESTER_DUTY_HOOK"\n[alerts.email]\nhost = "smtp"\n'
                           'port = 587\nsender = "a@b.cn"\nrecipients = ["c@d.cn"]\npassword_env = "HARVESTER_MAIL"\n',
                           encoding="utf-8")
    config = load_config(env={"HARVESTER_CONFIG": str(config_file)})
    env = {**OPERATOR_ENV, "HARVESTER_MAIL": "mail-pw-1"}
    for push in (False, True):
        child = _child_env(config, push=push, env=env)
        assert "HARVESTER_DUTY_HOOK" not in child and "HARVESTER_MAIL" not in child
        assert child["HARVESTER_CONFIG"] == str(config_file.resolve())
        assert ("HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD" in child) is push


def test_chromium_is_launched_with_system_variables_only(monkeypatch: pytest.MonkeyPatch) -> None:
    options = chromium_launch_options(env=OPERATOR_ENV)
    assert options["env"] == browser_env(OPERATOR_ENV)
    assert options["env"]["PATH"] == "/usr/bin" and "https_proxy" in options["env"]
    assert not [name for name in options["env"] if name.startswith("HARVESTER_") or name in ALERT_KEYS]
    monkeypatch.setenv("HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD", "pw-Zjj-2026")
    crawl_browser = playwright_settings()["PLAYWRIGHT_LAUNCH_OPTIONS"]["env"]  # what scrapy-playwright launches
    assert "PATH" in crawl_browser and "HARVESTER_ACCOUNT_JACT_DEMO_ZJJ_PASSWORD" not in crawl_browser
