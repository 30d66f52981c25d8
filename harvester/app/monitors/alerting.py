"""Alert targets from `[alerts]` (webhooks and SMTP, secrets from the environment) and sending a report to them."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

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
from harvester.config import ConfigError, HarvesterConfig
from harvester.timeutil import to_shanghai

WEBHOOK_KEYS = {"url", "url_env", "style", "secret_env", "timeout", "attempts"}
EMAIL_KEYS = {"host", "port", "security", "sender", "recipients", "username", "password_env", "timeout"}
OVERDUE_KEYS = {"webhooks", "email", "severity", "repeat_hours"}
STATE_FILE = "alert-state.json"
OVERDUE_STATE_FILE = "overdue-alert-state.json"


@dataclass(frozen=True, slots=True)
class OverdueTargets:
    """`[alerts.overdue]`: where the 督办 report of overdue letters goes, how loud, and how often it repeats
    while nothing changes (it is sent at once when the overdue letters change)."""

    webhooks: tuple[WebhookTarget, ...] = ()
    email: SmtpTarget | None = None
    severity: Severity = "warning"
    repeat_hours: float = 24.0

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


def _secret(table: Mapping[str, Any], key: str, env: Mapping[str, str], where: str) -> str | None:
    """The value of the environment variable `table[key]` names (secrets never sit in the config file)."""
    name = table.get(key)
    if name is None:
        return None
    if name not in env:
        raise ConfigError(f"{where} {key} names ${name}, which is not set")
    return env[name]


def _webhook(table: Any, where: str, env: Mapping[str, str]) -> WebhookTarget:
    if not isinstance(table, dict) or set(table) - WEBHOOK_KEYS:
        raise ConfigError(f"{where} must be a table with keys from {sorted(WEBHOOK_KEYS)}")
    url = _secret(table, "url_env", env, where) or table.get("url")
    if not url:
        raise ConfigError(f"{where} needs url_env (an environment variable holding the URL) or url")
    try:
        return WebhookTarget(url=str(url), style=table.get("style", "generic"),
                             secret=_secret(table, "secret_env", env, where),
                             timeout=float(table.get("timeout", 10.0)), attempts=int(table.get("attempts", 3)))
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where}: {error}") from error


def _email(table: Any, where: str, env: Mapping[str, str]) -> SmtpTarget:
    if not isinstance(table, dict) or set(table) - EMAIL_KEYS:
        raise ConfigError(f"{where} must be a table with keys from {sorted(EMAIL_KEYS)}")
    missing = {"host", "port", "sender", "recipients"} - set(table)
    if missing:
        raise ConfigError(f"{where}: missing {sorted(missing)}")
    recipients = table["recipients"]
    if not isinstance(recipients, list) or not recipients:
        raise ConfigError(f"{where} recipients must be a non-empty list of addresses")
    security = table.get("security", "starttls")
    if security not in ("plain", "starttls", "ssl"):
        raise ConfigError(f"{where} security must be plain, starttls or ssl, got {security!r}")
    return SmtpTarget(host=str(table["host"]), port=int(table["port"]), sender=str(table["sender"]),
                      recipients=tuple(map(str, recipients)), security=security, username=table.get("username"),
                      password=_secret(table, "password_env", env, where), timeout=float(table.get("timeout", 30.0)))


def _webhooks(table: Mapping[str, Any], section: str, source: str, env: Mapping[str, str]) -> list[WebhookTarget]:
    hooks = table.get("webhooks", [])
    if not isinstance(hooks, list):
        raise ConfigError(f"{source}: {section}.webhooks must be an array of tables ([[{section}.webhooks]])")
    return [_webhook(hook, f"{source}: [[{section}.webhooks]] #{n}", env) for n, hook in enumerate(hooks, 1)]


def parse_overdue(table: Any, source: str, env: Mapping[str, str]) -> OverdueTargets:
    """`[alerts.overdue]`: its own `[[alerts.overdue.webhooks]]` / `[alerts.overdue.email]`, `severity`
    (info, warning or critical; default warning) and `repeat_hours` (default 24); HARVESTER_OVERDUE_WEBHOOK_URL
    (+ _STYLE) adds a webhook. Without a target the 督办 report is only printed and exported as metrics."""
    where = f"{source}: [alerts.overdue]"
    if not isinstance(table, dict) or set(table) - OVERDUE_KEYS:
        raise ConfigError(f"{where} must be a table with keys from {sorted(OVERDUE_KEYS)}")
    webhooks = _webhooks(table, "alerts.overdue", source, env)
    if env.get("HARVESTER_OVERDUE_WEBHOOK_URL"):
        webhooks.append(_webhook({"url": env["HARVESTER_OVERDUE_WEBHOOK_URL"],
                                  "style": env.get("HARVESTER_OVERDUE_WEBHOOK_STYLE", "generic")},
                                 "HARVESTER_OVERDUE_WEBHOOK_URL", env))
    email = _email(table["email"], f"{where} email", env) if "email" in table else None
    severity = table.get("severity", "warning")
    if severity not in get_args(Severity):
        raise ConfigError(f"{where} severity must be info, warning or critical, got {severity!r}")
    repeat = table.get("repeat_hours", 24.0)
    if isinstance(repeat, bool) or not isinstance(repeat, int | float) or repeat < 0:
        raise ConfigError(f"{where} repeat_hours must be a number >= 0, got {repeat!r}")
    return OverdueTargets(tuple(webhooks), email, severity, float(repeat))


def parse_alerts(table: Mapping[str, Any], source: str, env: Mapping[str, str]) -> AlertTargets:
    """`[[alerts.webhooks]]` and `[alerts.email]` for harvest health; HARVESTER_ALERT_WEBHOOK_URL (+ _STYLE)
    adds a webhook. `[alerts.overdue]` is the 督办 channel (`parse_overdue`)."""
    unknown = set(table) - {"webhooks", "email", "overdue"}
    if unknown:
        raise ConfigError(f"{source}: [alerts]: unknown key(s) {sorted(unknown)}; known: ['email', 'overdue', "
                          "'webhooks']")
    webhooks = _webhooks(table, "alerts", source, env)
    if env.get("HARVESTER_ALERT_WEBHOOK_URL"):
        webhooks.append(_webhook({"url": env["HARVESTER_ALERT_WEBHOOK_URL"],
                                  "style": env.get("HARVESTER_ALERT_WEBHOOK_STYLE", "generic")},
                                 "HARVESTER_ALERT_WEBHOOK_URL", env))
    email = _email(table["email"], f"{source}: [alerts.email]", env) if "email" in table else None
    return AlertTargets(tuple(webhooks), email, parse_overdue(table.get("overdue", {}), source, env))


def load_alert_targets(config: HarvesterConfig, env: Mapping[str, str] | None = None) -> AlertTargets:
    env = os.environ if env is None else env
    table: Any = {}
    if config.config_file is not None:
        with config.config_file.open("rb") as handle:
            table = tomllib.load(handle).get("alerts", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config.config_file}: [alerts] must be a table")
    return parse_alerts(table, str(config.config_file or "environment"), env)


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
