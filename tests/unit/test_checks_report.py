"""The report: when it holds, its JSON, its Prometheus samples, its log lines and the alert built from it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from harvester.checks.alerting import alert_for, should_alert
from harvester.checks.base import CheckResult
from harvester.checks.report import HarvestSummary, Report, logfmt, report_lines
from harvester.metrics import render
from harvester.timeutil import SHANGHAI

AT = datetime(2026, 11, 25, 8, 5, tzinfo=SHANGHAI)
OK = CheckResult("staleness", "jact_demo", "ok", "last successful harvest 0.1 h ago")
OVERDUE = CheckResult("overdue", "jact_demo", "failed", "2 open message(s) past their deadline: 市长信箱 2",
                      {"by_unit": {"市长信箱": 2}})
UNKNOWN = CheckResult("overdue", "discuz_demo", "error", "1 more cannot be judged: no Chinese holiday data for 2027")


def test_a_report_holds_only_when_every_harvest_and_check_does() -> None:
    assert Report(AT, [OK]).holds
    assert not Report(AT, [OK, UNKNOWN]).holds  # "cannot tell" is not "holds"
    assert not Report(AT, [OK], [HarvestSummary("jact_demo", False, "connection refused")]).holds
    assert not Report(AT, [OK], problems=["alert not delivered"]).holds


def test_failed_harvests_come_first_among_failures() -> None:
    report = Report(AT, [OK, OVERDUE], [HarvestSummary("jact_demo_gbk", False, "HTTP 503")])
    assert [(f.check, f.platform) for f in report.failures()] == [("harvest", "jact_demo_gbk"),
                                                                  ("overdue", "jact_demo")]


def test_samples_render_as_a_valid_textfile() -> None:
    report = Report(AT, [OK, OVERDUE, UNKNOWN], [HarvestSummary("jact_demo", True, "3 new")],
                    last_success={"jact_demo": AT, "discuz_demo": None})
    text = render(report.samples())
    assert 'liuyan_check_failed{check="staleness",platform="jact_demo"} 0' in text
    assert 'liuyan_check_failed{check="overdue",platform="discuz_demo"} 1' in text
    assert 'liuyan_check_failed{check="harvest",platform="jact_demo"} 0' in text
    assert 'liuyan_messages_overdue{platform="jact_demo",unit="市长信箱"} 2' in text
    assert f'liuyan_harvest_last_success_timestamp_seconds{{platform="jact_demo"}} {int(AT.timestamp())}' in text
    assert 'liuyan_harvest_last_success_timestamp_seconds{platform="discuz_demo"}' not in text  # never harvested
    assert "liuyan_checks_hold 0" in text and f"liuyan_checks_last_run_timestamp_seconds {int(AT.timestamp())}" in text


def test_log_lines_are_one_event_each_with_quoted_masked_values() -> None:
    line = logfmt("check", level="error", detail="联系人：王小明，电话 13812345678 未回复")
    assert line.startswith("time=") and " event=check level=error " in line
    assert 'detail="联系人：王**，电话 138****5678 未回复"' in line
    lines = list(report_lines(Report(AT, [OK, OVERDUE])))
    assert len(lines) == 3 and "event=summary" in lines[-1] and "holds=false" in lines[-1]
    assert "platforms=jact_demo" in lines[-1]


def test_the_alert_names_each_failing_platform_and_its_display_name() -> None:
    report = Report(AT, [OK, OVERDUE], [HarvestSummary("jact_demo_gbk", False, "connection refused")])
    alert = alert_for(report, {"jact_demo": "示例市人民政府 市长信箱"})
    assert alert.severity == "critical" and "2 problem(s)" in alert.title
    assert [(f.check, f.platform, f.name) for f in alert.failures] == [
        ("harvest", "jact_demo_gbk", ""), ("overdue", "jact_demo", "示例市人民政府 市长信箱")]
    assert "failing: jact_demo, jact_demo_gbk" in alert.lines[0]
    assert alert_for(Report(AT, [OK]), {}).severity == "info"


def test_alerts_go_out_while_failing_and_once_when_all_holds_again(tmp_path: Path) -> None:
    failing, holding = Report(AT, [OVERDUE]), Report(AT, [OK])
    assert [should_alert(r, tmp_path) for r in (holding, failing, failing, holding, holding)] == [
        False, True, True, True, False]
