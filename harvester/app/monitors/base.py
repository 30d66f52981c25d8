"""What every monitor shares: its result, the per-platform context it reads, and helpers to make results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from harvester.registry import PlatformSpec
from harvester.store.monitoring import MonitorReads

Status = Literal["ok", "failed", "error"]  # error: the check could not be evaluated, so it does not hold


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One monitor's verdict on one platform: `detail` says why in one line, `figures` back it up."""

    check: str
    platform: str
    status: Status
    detail: str = ""
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "platform": self.platform, "status": self.status, "detail": self.detail,
                "figures": dict(self.figures)}


@dataclass(frozen=True, slots=True)
class PlatformContext:
    """What a monitor may read about one platform: the store (one read transaction), time, and run figures."""

    reads: MonitorReads
    spec: PlatformSpec
    now: datetime
    state_dir: Path
    db_url: str

    @property
    def slug(self) -> str:
        return self.spec.slug


Settings = Mapping[str, Any]
Monitor = Callable[[PlatformContext, Settings], CheckResult]


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    """A monitor: its name, its settings with their defaults (types come from the defaults), and its check.

    `verify` checks values the types alone cannot (raising ValueError or KeyError), when settings are read.
    """

    name: str
    defaults: Mapping[str, Any]
    check: Monitor
    about: str
    verify: Callable[[Mapping[str, Any]], None] | None = None


def result(check: str, ctx: PlatformContext, failed: bool, detail: str, **figures: Any) -> CheckResult:
    """A failed or ok result for `ctx`'s platform."""
    return CheckResult(check, ctx.slug, "failed" if failed else "ok", detail, figures)


def hours(value: float) -> str:
    """A duration in hours as an operator reads it: "26.5 h", or "3 d" beyond two days."""
    return f"{value / 24:.1f} d" if value >= 48 else f"{value:.1f} h"
