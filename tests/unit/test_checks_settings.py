"""Check, run and alert settings: defaults, the config file, a definition's options, per platform; clear errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harvester.app.monitors.alerting import parse_alerts
from harvester.app.monitors.runner import checks_settings
from harvester.app.monitors.settings import parse_checks
from harvester.app.operate import load_run_settings
from harvester.config import ConfigError, load_config
from harvester.registry import load_platforms

SPEC = load_platforms()["jact_demo"]


def test_every_monitor_is_on_by_default_with_its_defaults() -> None:
    merged = parse_checks({}, "harvester.toml").for_platform(SPEC)
    assert {"last_run", "staleness", "zero_items", "soft_blocks", "error_rates", "layout_change",
            "quarantine_growth", "overdue"} <= set(merged)
    assert all(values["enabled"] for values in merged.values())
    assert merged["staleness"]["max_age_hours"] == 13.0


def test_the_most_specific_setting_wins_and_deadline_tables_merge() -> None:
    table = {"staleness": {"max_age_hours": 30}, "overdue": {"deadlines": {"consult": 3, "complain": 7}},
             "platforms": {"jact_demo": {"staleness": {"max_age_hours": 50}, "zero_items": {"enabled": False},
                                         "overdue": {"deadlines": {"consult": 2}}}}}
    spec = replace(SPEC, options={"checks": {"staleness": {"max_age_hours": 40}, "error_rates": {"max_share": 0.3}}})
    settings = parse_checks(table, "harvester.toml")
    merged = settings.for_platform(spec)
    assert merged["staleness"]["max_age_hours"] == 50.0  # [checks.platforms.jact_demo] beats the definition
    assert merged["error_rates"]["max_share"] == 0.3  # the definition beats the defaults
    assert merged["overdue"]["deadlines"] == {"consult": 2, "complain": 7}
    assert "zero_items" not in settings.enabled(spec)
    other = replace(SPEC, slug="jact_demo_gbk")
    assert settings.for_platform(other)["staleness"]["max_age_hours"] == 30.0


@pytest.mark.parametrize(("table", "message"), [
    ({"stalenes": {}}, "[checks]: unknown monitor 'stalenes'"),
    ({"staleness": {"max_age": 3}}, "[checks.staleness]: unknown key(s) ['max_age']"),
    ({"staleness": {"max_age_hours": "13"}}, "[checks.staleness] max_age_hours must be a number >= 0, got '13'"),
    ({"zero_items": {"enabled": "no"}}, "[checks.zero_items] enabled must be true or false"),
    ({"overdue": {"deadlines": {"enquiry": 5}}}, "[checks.overdue]: unknown deadline kind 'enquiry'"),
    ({"platforms": {"jact_demo": {"overdue": {"max_overdue": -1}}}},
     "[checks.platforms.jact_demo.overdue] max_overdue must be a whole number >= 0"),
])
def test_mistakes_name_the_file_the_table_and_the_key(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_checks(table, "/etc/liuyan/harvester.toml")
    assert str(error.value).startswith("/etc/liuyan/harvester.toml: ") and message in str(error.value)


def test_a_definition_with_bad_check_options_is_named(tmp_path: Path) -> None:
    spec = replace(SPEC, options={"checks": {"staleness": {"hours": 1}}}, source="/srv/platforms/x.toml")
    with pytest.raises(ConfigError, match=r"/srv/platforms/x.toml: \[options.checks.staleness\]: unknown key"):
        parse_checks({}, "harvester.toml").for_platform(spec)


def test_settings_for_an_undefined_platform_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "harvester.toml"
    path.write_text("[checks.platforms.jact_dem.staleness]\nmax_age_hours = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[checks.platforms.jact_dem\]: no platform definition"):
        checks_settings(load_config(env={"HARVESTER_CONFIG": str(path)}))


def test_run_settings_resolve_paths_next_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "harvester.toml"
    path.write_text('state_dir = "state"\n[run]\ntextfile = "prom/liuyan.prom"\nparallel = 3\nper_process = 12\n'
                    "every_hours = { jact_demo = 24 }\n", encoding="utf-8")
    config = load_config(env={"HARVESTER_CONFIG": str(path)})
    settings = load_run_settings(config)
    assert config.state_dir == tmp_path / "state"
    assert settings.lock_path == tmp_path / "state" / "run.lock"
    assert settings.textfile == tmp_path / "prom" / "liuyan.prom"
    assert (settings.parallel, settings.per_process, dict(settings.every_hours)) == (3, 12, {"jact_demo": 24.0})
    overridden = load_config(env={"HARVESTER_CONFIG": str(path), "HARVESTER_LOCK_PATH": "/run/liuyan.lock"})
    assert load_run_settings(overridden).lock_path == Path("/run/liuyan.lock")


def test_alert_secrets_come_from_the_environment() -> None:
    table = {"webhooks": [{"url_env": "HARVESTER_WECOM_HOOK", "style": "wecom"}],
             "email": {"host": "smtp.example.gov.cn", "port": 587, "sender": "harvester@example.gov.cn",
                       "recipients": ["ops@example.gov.cn"], "username": "harvester",
                       "password_env": "HARVESTER_SMTP_PASSWORD"}}
    env = {"HARVESTER_WECOM_HOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-123",
           "HARVESTER_SMTP_PASSWORD": "s3cret-pass"}
    targets = parse_alerts(table, "harvester.toml", env)
    assert targets.webhooks[0].url.endswith("key=k-123") and targets.webhooks[0].style == "wecom"
    assert targets.email is not None and targets.email.password == "s3cret-pass"
    with pytest.raises(ConfigError, match=r"password_env names \$HARVESTER_SMTP_PASSWORD, which is not set"):
        parse_alerts(table, "harvester.toml", {"HARVESTER_WECOM_HOOK": "https://x/hook"})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_alerts({"webhook": []}, "harvester.toml", {})
