"""Adaptive re-checks: recently changed letters every run, long-quiet ones rarely."""

from __future__ import annotations

from datetime import timedelta

from harvester.timeutil import utcnow
from spiders.base import revisit_due

NOW = utcnow()


def test_a_letter_changed_yesterday_is_due_after_three_hours() -> None:
    assert revisit_due(NOW - timedelta(hours=3), NOW - timedelta(days=1), NOW, backoff=8)


def test_a_letter_quiet_for_three_weeks_waits_a_few_days() -> None:
    changed = NOW - timedelta(days=21)
    assert not revisit_due(NOW - timedelta(hours=4), changed, NOW, backoff=8)
    assert revisit_due(NOW - timedelta(days=3), changed, NOW, backoff=8)


def test_backoff_zero_revisits_every_time() -> None:
    assert revisit_due(NOW - timedelta(minutes=1), NOW - timedelta(days=50), NOW, backoff=0)
