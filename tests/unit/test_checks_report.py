"""The report: when it holds, its JSON, its Prometheus samples, its log lines and the alert built from it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from harvester.app.metrics import render
from harvester.app.monitors.alerting import alert_for, overdue_alert, parse_alerts, should_alert, should_send_overdue
from harvester.app.monitors.base import CheckResult
from harvester.app.monitors.report import HarvestSummary, Report, logfmt, report_lines
from harvester.config import ConfigError
from harvester.timeutil import SHANGHAI

AT = datetime(2026, 11, 25, 8, 5, tzinfo=SHANGHAI)
OK = CheckResult("staleness", "jact_demo", "ok", "last successful harvest 0.1 h ago")
OVERDUE = CheckResult("overdue", "jact_demo", "failed", "2 open message(s) past their deadline: 市长信箱 2",
                      {"by_unit": {"市长信箱": 2}})
UNKNOWN = CheckResult("overdue", "discuz_demo", "error", "1 more cannot be judged: no Chinese holiday data for 2027")
STALE = CheckResult("staleness", "jact_demo_gbk", "failed", "last successful harvest 16.0 h ago")
CANNOT_TELL = CheckResult("layout_change", "discuz_demo", "error", "the check itself failed: OperationalError")


def test_a_report_holds_only_when_every_harvest_and_health_check_does() -> None:
    assert Report(AT, [OK]).holds
    assert not Report(AT, [OK, CANNOT_TELL]).holds  # "cannot tell" is not "holds"
    assert not Report(AT, [OK, STALE]).holds
    assert not Report(AT, [OK], [HarvestSummary("jact_demo", False, "connection refused")]).holds
    assert not Report(AT, [OK], problems=["alert not delivered"]).holds


def test_overdue_letters_are_the_offices_business_and_never_fail_the_report() -> None:
    report = Report(AT, [OK, OVERDUE, UNKNOWN], [HarvestSummary("jact_demo", True, "3 new")])
    assert report.holds and report.failures() == []
    assert report.supervision == [OVERDUE, UNKNOWN] and report.health == [OK]
    data = report.to_json()
    assert data["holds"] is True and [c["check"] for c in data["checks"]] == ["staleness"]
    assert [(c["platform"], c["status"]) for c in data["overdue"]] == [("jact_demo", "failed"),
                                                                      ("discuz_demo", "error")]


def test_failed_harvests_come_first_among_failures() -> None:
    report = Report(AT, [OK, OVERDUE, STALE], [HarvestSummary("jact_demo_gbk", False, "HTTP 503")])
    assert [(f.check, f.platform) for f in report.failures()] == [("harvest", "jact_demo_gbk"),
                                                                  ("staleness", "jact_demo_gbk")]


def test_samples_render_as_a_valid_textfile() -> None:
    report = Report(AT, [OK, OVERDUE, UNKNOWN], [HarvestSummary("jact_demo", True, "3 new")],
                    last_success={"jact_demo": AT, "discuz_demo": None})
    text = render(report.samples())
    assert 'liuyan_check_failed{check="staleness",platform="jact_demo"} 0' in text
    assert 'check="overdue"' not in text  # overdue letters are not a failed health check
    assert 'liuyan_check_failed{check="harvest",platform="jact_demo"} 0' in text
    assert 'liuyan_messages_overdue{platform="jact_demo",unit="市长信箱"} 2' in text
    assert f'liuyan_harvest_last_success_timestamp_seconds{{platform="jact_demo"}} {int(AT.timestamp())}' in text
    assert 'liuyan_harvest_last_success_timestamp_seconds{platform="discuz_demo"}' not in text  # never harvested
    assert "liuyan_checks_hold 1" in text and f"liuyan_checks_last_run_timestamp_seconds {int(AT.timestamp())}" in text
    assert "liuyan_checks_hold 0" in render(Report(AT, [STALE, OVERDUE]).samples())


def test_log_lines_are_one_event_each_with_quoted_masked_values() -> None:
    line = logfmt("check", level="error", detail="联系人：王小明，电话 13812345678 未回复")
    assert line.startswith("time=") and " event=check level=error " in line
    assert 'detail="联系人：王**，电话 138****5678 未回复"' in line
    lines = list(report_lines(Report(AT, [OK, STALE, OVERDUE])))
    assert len(lines) == 4 and "event=summary" in lines[-1] and "holds=false" in lines[-1]
    assert "platforms=jact_demo_gbk" in lines[-1] and "failed=1" in lines[-1]
    assert " event=overdue level=warning platform=jact_demo " in lines[2]
    quiet = list(report_lines(Report(AT, [OK, OVERDUE])))
    assert "event=summary level=info holds=true" in quiet[-1]


def test_the_alert_names_each_failing_platform_and_its_display_name() -> None:
    report = Report(AT, [OK, OVERDUE, STALE], [HarvestSummary("jact_demo_gbk", False, "connection refused")])
    alert = alert_for(report, {"jact_demo_gbk": "示例市人民政府 市长信箱"})
    assert alert.severity == "critical" and "2 problem(s)" in alert.title
    assert [(f.check, f.platform, f.name) for f in alert.failures] == [
        ("harvest", "jact_demo_gbk", "示例市人民政府 市长信箱"), ("staleness", "jact_demo_gbk", "示例市人民政府 市长信箱")]
    assert "failing: jact_demo_gbk" in alert.lines[0]
    assert alert_for(Report(AT, [OK]), {}).severity == "info"
    assert alert_for(Report(AT, [OK, OVERDUE]), {}).severity == "info"  # overdue letters: not a health alert


def test_the_overdue_alert_lists_units_with_its_own_severity() -> None:
    overdue = CheckResult("overdue", "jact_demo", "failed", "2 open message(s) past their deadline: 市长信箱 2",
                          {"by_unit": {"市长信箱": 2}, "count": 2})
    alert = overdue_alert(Report(AT, [OK, overdue]), {"jact_demo": "示例市 市长信箱"}, "info")
    assert alert.severity == "info" and "督办 2 overdue letter(s)" in alert.title
    assert "jact_demo 市长信箱: 2" in alert.lines
    assert [(f.check, f.platform, f.name) for f in alert.failures] == [("overdue", "jact_demo", "示例市 市长信箱")]


def test_alerts_go_out_while_failing_and_once_when_all_holds_again(tmp_path: Path) -> None:
    failing, holding = Report(AT, [STALE]), Report(AT, [OK, OVERDUE])
    assert [should_alert(r, tmp_path) for r in (holding, failing, failing, holding, holding)] == [
        False, True, True, True, False]


def test_the_overdue_alert_repeats_when_its_letters_change_or_after_repeat_hours(tmp_path: Path) -> None:
    more = CheckResult("overdue", "jact_demo", "failed", "3 open message(s)", {"by_unit": {"市长信箱": 3}})

    def sent(report: Report) -> bool:
        return should_send_overdue(report, tmp_path, repeat_hours=24)

    assert not sent(Report(AT, [OK]))  # nothing overdue
    assert sent(Report(AT, [OVERDUE]))
    assert not sent(Report(AT + timedelta(hours=4), [OVERDUE]))  # the same letters, four hours later
    assert sent(Report(AT + timedelta(hours=8), [more]))  # one more letter overdue
    assert sent(Report(AT + timedelta(hours=33), [more]))  # a day on, still overdue: said again


def test_the_overdue_channel_and_severity_are_configured_apart_from_health_alerts() -> None:
    table = {"webhooks": [{"url": "https://health.example/hook"}],
             "overdue": {"severity": "critical", "repeat_hours": 8,
                         "webhooks": [{"url": "https://duban.example/hook", "style": "wecom"}]}}
    targets = parse_alerts(table, "harvester.toml", {})
    assert [h.url for h in targets.webhooks] == ["https://health.example/hook"]
    assert [h.url for h in targets.overdue.webhooks] == ["https://duban.example/hook"]
    assert (targets.overdue.severity, targets.overdue.repeat_hours) == ("critical", 8.0)
    assert not parse_alerts({}, "harvester.toml", {}).overdue  # no channel: printed and exported only
    with pytest.raises(ConfigError, match=r"\[alerts.overdue\] severity must be info, warning or critical"):
        parse_alerts({"overdue": {"severity": "loud"}}, "harvester.toml", {})
