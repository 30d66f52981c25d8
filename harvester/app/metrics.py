"""Prometheus text exposition for node_exporter's textfile collector, written atomically."""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

MetricType = Literal["gauge", "counter", "untyped"]

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

LAST_SUCCESS = "liuyan_harvest_last_success_timestamp_seconds"
CHECK_FAILED = "liuyan_check_failed"
MESSAGES_OVERDUE = "liuyan_messages_overdue"


@dataclass(frozen=True)
class Sample:
    """One series value; `help` and `type` describe the metric and must agree across its samples."""

    name: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)
    help: str = ""
    type: MetricType = "gauge"


def last_success(platform: str, at_epoch_seconds: float) -> Sample:
    """When `platform` last finished a harvest without error (Unix seconds)."""
    return Sample(LAST_SUCCESS, at_epoch_seconds, {"platform": platform},
                  "Unix time of the last successful harvest of a platform.")


def check_failed(check: str, platform: str, failed: bool) -> Sample:
    """1 when `check` (staleness, zero_results, ...) fails for `platform`, else 0."""
    return Sample(CHECK_FAILED, 1 if failed else 0, {"check": check, "platform": platform},
                  "1 when a health check fails for a platform, else 0.")


def messages_overdue(platform: str, unit: str, count: int) -> Sample:
    """How many messages addressed to `unit` on `platform` are past their answer deadline."""
    return Sample(MESSAGES_OVERDUE, count, {"platform": platform, "unit": unit},
                  "Messages past their answer deadline, by platform and addressed unit.")


def escape_label_value(value: str) -> str:
    """A label value as the exposition format quotes it: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """Integers without a fraction (1, 1700000000), other floats in full precision, NaN and ±Inf spelt out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _series(sample: Sample) -> str:
    for name in sample.labels:
        if not _LABEL_NAME.fullmatch(name) or name.startswith("__"):
            raise ValueError(f"{sample.name}: invalid label name {name!r}")
    labels = ",".join(f'{k}="{escape_label_value(sample.labels[k])}"' for k in sorted(sample.labels))
    return f"{sample.name}{{{labels}}}" if labels else sample.name


def render(samples: Iterable[Sample]) -> str:
    """The exposition text: each metric once with HELP and TYPE, its samples together, label names sorted.

    Raises ValueError for an invalid metric or label name, a metric whose samples disagree on help or
    type, and a series given twice (node_exporter rejects the whole file for either). No timestamps:
    the textfile collector refuses them.
    """
    metrics: dict[str, list[Sample]] = {}
    for sample in samples:
        if not _METRIC_NAME.fullmatch(sample.name):
            raise ValueError(f"invalid metric name {sample.name!r}")
        metrics.setdefault(sample.name, []).append(sample)
    lines: list[str] = []
    for name, group in metrics.items():
        if len({(s.help, s.type) for s in group}) > 1:
            raise ValueError(f"{name}: samples disagree on help or type")
        if group[0].help:
            lines.append(f"# HELP {name} {_escape_help(group[0].help)}")
        lines.append(f"# TYPE {name} {group[0].type}")
        series = [_series(s) for s in group]
        if len(set(series)) < len(series):
            raise ValueError(f"{name}: a series is given more than once")
        lines += [f"{key} {format_value(s.value)}" for key, s in zip(series, group, strict=True)]
    return "".join(line + "\n" for line in lines)


def write_textfile(path: Path | str, samples: Iterable[Sample]) -> None:
    """Write `samples` to `path` (a `*.prom` file in the collector's directory) atomically.

    The text goes to a temporary file in the same directory (a rename is only atomic within one file
    system) whose name does not end in `.prom`, so the collector never reads half a file; it is made
    world-readable (node_exporter usually runs as another user) and renamed over `path`.
    """
    path = Path(path)
    text = render(samples)  # fail before touching the directory
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
