"""The outcome of a check (or of a whole unattended run) as JSON, Prometheus samples and log lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harvester.app import metrics
from harvester.app.monitors.base import CheckResult
from harvester.privacy import mask_text
from harvester.timeutil import to_shanghai, utcnow

CHECKS_RAN = "liuyan_checks_last_run_timestamp_seconds"
REPORT_HOLDS = "liuyan_checks_hold"
# Monitors about the offices' work, not the harvester's health: their findings go into the 督办 (supervision)
# report and its own alert, never into exit codes, `liuyan_check_failed` or the health alert. On a real
# province some letters are always overdue; counting them as failures would make every run fail.
SUPERVISION_CHECKS = frozenset({"overdue"})


@dataclass(frozen=True, slots=True)
class HarvestSummary:
    """How one platform's harvest in this run went (the run table's record, or why there is none)."""

    platform: str
    ok: bool
    detail: str
    run_id: int | None = None
    outcome: str | None = None
    failure_class: str | None = None
    log: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "ok": self.ok, "run_id": self.run_id, "outcome": self.outcome,
                "failure_class": self.failure_class, "detail": self.detail, "log": self.log}


@dataclass
class Report:
    """Check results, this run's harvests (if any), and problems outside both (an alert that was not sent)."""

    at: datetime
    results: list[CheckResult]
    harvests: list[HarvestSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    last_success: dict[str, datetime | None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # platforms not due in this run

    @property
    def health(self) -> list[CheckResult]:
        """The harvest-health results: every check but the supervision ones (overdue letters)."""
        return [r for r in self.results if r.check not in SUPERVISION_CHECKS]

    @property
    def supervision(self) -> list[CheckResult]:
        """The 督办 results: overdue letters by platform (they never make the report fail)."""
        return [r for r in self.results if r.check in SUPERVISION_CHECKS]

    @property
    def holds(self) -> bool:
        """True only when every harvest succeeded, every health check holds and nothing else went wrong;
        overdue letters do not count (they are the offices' business: see `supervision`)."""
        return (all(h.ok for h in self.harvests) and all(r.holds for r in self.health)) and not self.problems

    def failures(self) -> list[CheckResult]:
        """Failed harvests (as check "harvest") and health checks that do not hold, in report order."""
        harvests = [CheckResult("harvest", h.platform, "failed", h.detail) for h in self.harvests if not h.ok]
        return harvests + [r for r in self.health if not r.holds]

    def overdue_by_unit(self) -> Iterator[tuple[str, str, int]]:
        """(platform, unit, count) from the overdue monitor's findings."""
        for r in self.supervision:
            for unit, count in dict(r.figures.get("by_unit", {})).items():
                yield r.platform, unit, int(count)

    def overdue_count(self) -> int:
        """How many open letters are past their deadline, over every platform."""
        return sum(int(r.figures.get("count", 0)) for r in self.supervision)

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data (times in Beijing time); texts are masked."""
        return {
            "at": to_shanghai(self.at).isoformat(), "holds": self.holds,
            "harvests": [h.as_dict() for h in self.harvests], "skipped": self.skipped,
            "checks": [{**r.as_dict(), "detail": mask_text(r.detail)} for r in self.health],
            "overdue": [{**r.as_dict(), "detail": mask_text(r.detail)} for r in self.supervision],
            "problems": [mask_text(p) for p in self.problems],
            "last_success": {p: to_shanghai(t).isoformat() if t else None for p, t in self.last_success.items()},
        }

    def samples(self) -> list[metrics.Sample]:
        """The Prometheus view: per health check and platform 0/1, last successes, overdue counts by unit, and
        when this ran."""
        out = [metrics.check_failed(r.check, r.platform, not r.holds) for r in self.health]
        out += [metrics.check_failed("harvest", h.platform, not h.ok) for h in self.harvests]
        out += [metrics.last_success(p, t.timestamp()) for p, t in self.last_success.items() if t is not None]
        out += [metrics.messages_overdue(p, unit, n) for p, unit, n in self.overdue_by_unit()]
        out.append(metrics.Sample(CHECKS_RAN, self.at.timestamp(), help="Unix time the checks last ran; "
                                  "alert when it is old (cron stopped)."))
        out.append(metrics.Sample(REPORT_HOLDS, 1 if self.holds else 0, help="1 when every check held in the "
                                  "last run, else 0."))
        return out


def logfmt(event: str, **fields: Any) -> str:
    """One structured log line: time, event, then key=value pairs (values quoted when needed, masked)."""
    parts = [f"time={to_shanghai(utcnow()).isoformat(timespec='seconds')}", f"event={event}"]
    for key, value in fields.items():
        if value is None or value == "":
            continue
        text = mask_text(str(value)).replace("\n", " ")
        needs_quotes = any(c in text for c in ' "=') or not text
        parts.append(f"{key}=" + ('"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"' if needs_quotes
                                  else text))
    return " ".join(parts)


def report_lines(report: Report) -> Iterator[str]:
    """The report as log lines: one per harvest, one per health check, one per platform's overdue letters
    (event=overdue, a warning at most), then a summary of harvest health."""
    for h in report.harvests:
        yield logfmt("harvest", level="info" if h.ok else "error", platform=h.platform, run=h.run_id,
                     outcome=h.outcome, failure_class=h.failure_class, detail=h.detail, log=h.log)
    for r in report.health:
        level = "info" if r.holds else "error"
        yield logfmt("check", level=level, check=r.check, platform=r.platform, status=r.status, detail=r.detail)
    for r in report.supervision:
        yield logfmt(r.check, level="info" if r.holds else "warning", platform=r.platform, status=r.status,
                     count=r.figures.get("count"), detail=r.detail)
    for problem in report.problems:
        yield logfmt("problem", level="error", detail=problem)
    failed = report.failures()
    yield logfmt("summary", level="info" if report.holds else "error", holds=str(report.holds).lower(),
                 checks=len(report.health), failed=len(failed) + len(report.problems), overdue=report.overdue_count(),
                 platforms=",".join(sorted({f.platform for f in failed})))
