"""Alert targets from `[alerts]` (webhooks and SMTP, secrets from the environment) and sending a report to them."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harvester.app.alerts import (
    Alert,
    AlertDeliveryFailed,
    FailedCheck,
    Severity,
    SmtpTarget,
    WebhookTarget,
    send_email,
    send_webhook,
)
from harvester.app.metrics import write_textfile
from harvester.app.monitors.report import Report
from harvester.config import AlertsSection, ConfigError, EmailTable, HarvesterConfig, OverdueAlerts, WebhookTable
from harvester.configsources import config_error
from harvester.timeutil import to_shanghai

STATE_FILE = "alert-state.json"
OVERDUE_STATE_FILE = "overdue-alert-state.json"
OVERDUE = OverdueAlerts()


@dataclass(frozen=True, slots=True)
class OverdueTargets:
    """`[alerts.overdue]`: where the 督办 report of overdue letters goes, how loud, and how often it repeats
    while nothing changes (it is sent at once when the overdue letters change)."""

    webhooks: tuple[WebhookTarget, ...] = ()
    email: SmtpTarget | None = None
    severity: Severity = OVERDUE.severity  # the defaults live in harvester.config
    repeat_hours: float = OVERDUE.repeat_hours

    def __bool__(self) -> bool:
        return bool(self.webhooks) or self.email is not None


@dataclass(frozen=True, slots=True)
class AlertTargets:
    """Health alert targets (`[alerts]`) and the separate 督办 channel (`[alerts.overdue]`)."""

    webhooks: tuple[WebhookTarget, ...] = ()
    email: SmtpTarget | None = None
    overdue: OverdueTargets = OverdueTargets()

    def __bool__(self) -> bool:
        return bool(self.webhooks) or self.email is not None


def _secret(name: str | None, key: str, env: Mapping[str, str], where: str) -> str | None:
    """The value of the environment variable `name` (secrets never sit in the config file or the settings)."""
    if name is None:
        return None
    if name not in env:
        raise ConfigError(f"{where} {key} names ${name}, which is not set")
    return env[name]


def _webhook(table: WebhookTable, where: str, env: Mapping[str, str]) -> WebhookTarget:
    url = _secret(table.url_env, "url_env", env, where) or table.url
    if not url:
        raise ConfigError(f"{where} needs url_env (an environment variable holding the URL) or url")
    try:
        return WebhookTarget(url=url, style=table.style, secret=_secret(table.secret_env, "secret_env", env, where),
                             timeout=table.timeout, attempts=table.attempts)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where}: {error}") from error


def _email(table: EmailTable, where: str, env: Mapping[str, str]) -> SmtpTarget:
    return SmtpTarget(host=table.host, port=table.port, sender=table.sender, recipients=tuple(table.recipients),
                      security=table.security, username=table.username,
                      password=_secret(table.password_env, "password_env", env, where), timeout=table.timeout)


def _webhooks(hooks: Sequence[WebhookTable], section: str, source: str, env: Mapping[str, str]
              ) -> tuple[WebhookTarget, ...]:
    return tuple(_webhook(hook, f"{source}: [[{section}.webhooks]] #{n}", env) for n, hook in enumerate(hooks, 1))


def alert_targets(alerts: AlertsSection, source: str, env: Mapping[str, str] | None = None) -> AlertTargets:
    """Health targets (`[[alerts.webhooks]]`, `[alerts.email]`) and the 督办 channel (`[alerts.overdue]`: its own
    targets, `severity`, `repeat_hours`) with their secrets read from `env` (default: the process environment).
    HARVESTER_ALERT_WEBHOOK_URL and HARVESTER_OVERDUE_WEBHOOK_URL (+ _STYLE) add a webhook each (harvester.config).
    Without a 督办 target the report is only printed and exported as metrics."""
    env = os.environ if env is None else env
    over = alerts.overdue
    overdue = OverdueTargets(_webhooks(over.webhooks, "alerts.overdue", source, env),
                             _email(over.email, f"{source}: [alerts.overdue.email]", env) if over.email else None,
                             over.severity, over.repeat_hours)
    return AlertTargets(_webhooks(alerts.webhooks, "alerts", source, env),
                        _email(alerts.email, f"{source}: [alerts.email]", env) if alerts.email else None, overdue)


def parse_alerts(table: Mapping[str, Any], source: str, env: Mapping[str, str]) -> AlertTargets:
    """An `[alerts]` table (TOML already read) checked and turned into targets; errors name `source` and the key."""
    try:
        section = AlertsSection.model_validate(table)
    except ValidationError as error:
        raise config_error(error, source, AlertsSection, prefix=("alerts",)) from error
    return alert_targets(section, source, env)


def load_alert_targets(config: HarvesterConfig, env: Mapping[str, str] | None = None) -> AlertTargets:
    """The alert targets of `config`, secrets from `env` (default: the process environment)."""
    return alert_targets(config.alerts, str(config.config_file or "environment"), env)


def alert_for(report: Report, names: Mapping[str, str]) -> Alert:
    """The alert an operator gets for a report that does not hold (or, if it holds, that all is well again)."""
    host = socket.gethostname()
    when = to_shanghai(report.at).strftime("%Y-%m-%d %H:%M")
    if report.holds:
        return Alert(f"liuyan-harvester on {host}: all checks hold again", "info", [f"checked at {when}"])
    failures = report.failures()
    platforms = sorted({f.platform for f in failures})
    severity: Severity = "critical" if any(f.status == "failed" for f in failures) or report.problems else "warning"
    lines = [f"checked at {when}; failing: {', '.join(platforms) or 'none'}", *report.problems]
    return Alert(f"liuyan-harvester on {host}: {len(failures) + len(report.problems)} problem(s)", severity, lines,
                 [FailedCheck(f.check, f.platform, names.get(f.platform, ""), f.detail) for f in failures])


def overdue_alert(report: Report, names: Mapping[str, str], severity: Severity = "warning") -> Alert:
    """The 督办 alert: overdue letters per platform and unit, for whoever chases the offices."""
    host = socket.gethostname()
    when = to_shanghai(report.at).strftime("%Y-%m-%d %H:%M")
    units = [f"{platform} {unit}: {count}" for platform, unit, count in report.overdue_by_unit()]
    lines = [f"checked at {when}; {report.overdue_count()} open letter(s) past their answer deadline", *units]
    late = [r for r in report.supervision if not r.holds]
    return Alert(f"liuyan-harvester on {host}: 督办 {report.overdue_count()} overdue letter(s)", severity, lines,
                 [FailedCheck(r.check, r.platform, names.get(r.platform, ""), r.detail) for r in late])


def deliver(alert: Alert, targets: AlertTargets | OverdueTargets) -> list[str]:
    """Send to every target; returns one line per target that did not get it (URLs redacted)."""
    errors = []
    for hook in targets.webhooks:
        try:
            send_webhook(alert, hook)
        except AlertDeliveryFailed as error:
            errors.append(str(error))
    if targets.email is not None:
        try:
            send_email(alert, targets.email)
        except (AlertDeliveryFailed, ValueError) as error:
            errors.append(str(error))
    return errors


def should_alert(report: Report, state_dir: Path) -> bool:
    """Alert on every report that does not hold, and once when things hold again after one that did not."""
    path = state_dir / STATE_FILE
    try:
        alerted_before = bool(json.loads(path.read_text(encoding="utf-8")).get("failing"))
    except (OSError, ValueError, AttributeError):
        alerted_before = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"failing": not report.holds}), encoding="utf-8")
    except OSError:
        pass  # the alert itself still goes out; only the "resolved" notice depends on this file
    return not report.holds or alerted_before


def _overdue_signature(report: Report) -> str:
    """What the 督办 alert says, as a hash: a new one goes out when it changes."""
    findings = sorted((r.platform, r.status, json.dumps(r.figures.get("by_unit", {}), sort_keys=True,
                                                        ensure_ascii=False)) for r in report.supervision)
    return hashlib.sha256(json.dumps(findings, ensure_ascii=False).encode()).hexdigest()


def should_send_overdue(report: Report, state_dir: Path, repeat_hours: float) -> bool:
    """Send the 督办 alert while some overdue check does not hold, when its findings changed since the last one
    sent or `repeat_hours` have passed; remember what was sent in the state dir."""
    if all(r.holds for r in report.supervision):
        return False
    path, signature = state_dir / OVERDUE_STATE_FILE, _overdue_signature(report)
    try:
        last = json.loads(path.read_text(encoding="utf-8"))
        same = last.get("signature") == signature
        recent = report.at - datetime.fromisoformat(last["sent_at"]) < timedelta(hours=repeat_hours)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        same = recent = False
    if same and recent:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"signature": signature, "sent_at": report.at.isoformat()}), encoding="utf-8")
    except OSError:
        pass  # then it repeats on every run, which is louder, not silent
    return True


def publish(report: Report, state_dir: Path, textfile: Path | None, targets: AlertTargets | None,
            names: Mapping[str, str], alert: bool) -> None:
    """Send alerts (when `alert`): the health alert to `[alerts]`, the 督办 alert of overdue letters to
    `[alerts.overdue]`; write the textfile. A failure of any becomes a problem of the report."""
    if alert and targets and should_alert(report, state_dir):
        report.problems += [f"alert not delivered: {error}" for error in deliver(alert_for(report, names), targets)]
    overdue = targets.overdue if targets is not None else None
    if alert and overdue and should_send_overdue(report, state_dir, overdue.repeat_hours):
        sent = deliver(overdue_alert(report, names, overdue.severity), overdue)
        report.problems += [f"督办 alert not delivered: {error}" for error in sent]
    if textfile is not None:
        try:
            write_textfile(textfile, report.samples())
        except OSError as error:
            report.problems.append(f"textfile {textfile} not written: {error}")
