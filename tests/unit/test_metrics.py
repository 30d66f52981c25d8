"""Textfile exposition: exact text, escaping, a round trip through a format parser, atomic replacement."""

from __future__ import annotations

import math
import re
import stat
import threading
from pathlib import Path

import pytest

from harvester.app.metrics import (
    Sample,
    check_failed,
    format_value,
    last_success,
    messages_overdue,
    render,
    write_textfile,
)

EXPECTED = """\
# HELP liuyan_harvest_last_success_timestamp_seconds Unix time of the last successful harvest of a platform.
# TYPE liuyan_harvest_last_success_timestamp_seconds gauge
liuyan_harvest_last_success_timestamp_seconds{platform="jact_demo"} 1763452800
liuyan_harvest_last_success_timestamp_seconds{platform="discuz_demo"} 1763452861.5
# HELP liuyan_check_failed 1 when a health check fails for a platform, else 0.
# TYPE liuyan_check_failed gauge
liuyan_check_failed{check="staleness",platform="jact_demo"} 1
liuyan_check_failed{check="zero_results",platform="jact_demo"} 0
# HELP liuyan_messages_overdue Messages past their answer deadline, by platform and addressed unit.
# TYPE liuyan_messages_overdue gauge
liuyan_messages_overdue{platform="jact_demo",unit="杭州市西湖区人民政府"} 3
liuyan_messages_overdue{platform="jact_demo",unit="市\\\\住建局 \\"城建\\"\\n二处"} 1
"""

SAMPLES = [
    last_success("jact_demo", 1763452800.0),
    check_failed("staleness", "jact_demo", True),
    messages_overdue("jact_demo", "杭州市西湖区人民政府", 3),
    last_success("discuz_demo", 1763452861.5),
    check_failed("zero_results", "jact_demo", False),
    messages_overdue("jact_demo", '市\\住建局 "城建"\n二处', 1),
]

# The exposition format, as a scraper reads it: comments, then `name{label="value",...} value`.
_LINE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)')
_COMMENT = re.compile(r"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")


def _unescape(value: str) -> str:
    return re.sub(r'\\([\\"n])', lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse(text: str) -> list[tuple[str, dict[str, str], float, str, str]]:
    """(name, labels, value, help, type) per sample; asserts every line is well formed."""
    assert text.endswith("\n")
    meta: dict[tuple[str, str], str] = {}
    samples = []
    for line in text.splitlines():
        comment = _COMMENT.match(line)
        if comment:
            meta[(comment.group(1), comment.group(2))] = comment.group(3).replace("\\n", "\n")
            continue
        match = _LINE.match(line)
        assert match, f"not an exposition line: {line!r}"
        raw = match.group("labels") or ""
        pairs = _PAIR.findall(raw)
        assert "".join(f'{k}="{v}",' for k, v in pairs).rstrip(",") == raw, f"bad labels in {line!r}"
        name = match.group("name")
        samples.append((name, {k: _unescape(v) for k, v in pairs}, float(match.group("value")),
                        meta.get(("HELP", name), ""), meta[("TYPE", name)]))
    return samples


def test_exact_text_groups_metrics_sorts_labels_and_escapes_values() -> None:
    assert render(SAMPLES) == EXPECTED


def test_written_file_round_trips_through_a_format_parser(tmp_path: Path) -> None:
    path = tmp_path / "liuyan.prom"
    write_textfile(path, SAMPLES)
    parsed = parse(path.read_bytes().decode("utf-8"))
    expected = [(s.name, dict(s.labels), s.value, s.help, s.type) for s in SAMPLES]
    assert len(parsed) == len(expected)
    assert all(sample in parsed for sample in expected)
    assert "杭州市西湖区人民政府".encode() in path.read_bytes()


def test_textfile_is_world_readable_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "liuyan.prom"
    write_textfile(path, SAMPLES[:1])
    write_textfile(path, SAMPLES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["liuyan.prom"]
    assert path.read_text(encoding="utf-8") == EXPECTED


def test_invalid_samples_leave_the_previous_file_in_place(tmp_path: Path) -> None:
    path = tmp_path / "liuyan.prom"
    write_textfile(path, SAMPLES)
    with pytest.raises(ValueError, match="more than once"):
        write_textfile(path, [check_failed("staleness", "jact_demo", True)] * 2)
    with pytest.raises(ValueError, match="disagree"):
        write_textfile(path, [Sample("liuyan_x", 1, {"a": "1"}, "one"), Sample("liuyan_x", 1, {"a": "2"}, "two")])
    with pytest.raises(ValueError, match="invalid label name"):
        write_textfile(path, [Sample("liuyan_x", 1, {"平台": "jact_demo"})])
    with pytest.raises(ValueError, match="invalid metric name"):
        write_textfile(path, [Sample("liuyan-x", 1)])
    assert path.read_text(encoding="utf-8") == EXPECTED
    assert [p.name for p in tmp_path.iterdir()] == ["liuyan.prom"]


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "liuyan.prom"
    write_textfile(path, SAMPLES)
    many = SAMPLES + [messages_overdue("jact_demo", f"单位{i}", i) for i in range(2000)]
    seen: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(path.read_text(encoding="utf-8"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for samples in [many, SAMPLES] * 15:
            write_textfile(path, samples)
    finally:
        stop.set()
        reader.join()
    complete = {EXPECTED, render(many)}
    assert len(seen) > 10
    assert all(text in complete for text in seen)


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (3, "3"), (1763452800.0, "1763452800"), (0.25, "0.25"), (-1.5, "-1.5"),
    (math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (1e300, "1e+300"),
])
def test_values_are_formatted_as_prometheus_reads_them(value: float, text: str) -> None:
    assert format_value(value) == text
    assert math.isnan(float(text)) if math.isnan(value) else float(text.replace("Inf", "inf")) == value


def test_metric_without_help_still_has_a_type_line() -> None:
    assert render([Sample("liuyan_runs_total", 7, type="counter")]) == "# TYPE liuyan_runs_total counter\nliuyan_runs_total 7\n"
