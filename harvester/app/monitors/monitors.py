"""Every monitor, in report order; `unverified_replies` only when the replies package is installed."""

from __future__ import annotations

import importlib.util

from harvester.app.monitors import (
    error_rates,
    last_run,
    layout_change,
    overdue,
    quarantine_growth,
    soft_blocks,
    staleness,
    zero_items,
)
from harvester.app.monitors.base import MonitorSpec


def all_monitors() -> dict[str, MonitorSpec]:
    """Monitor name -> spec."""
    found = [last_run.MONITOR, staleness.MONITOR, zero_items.MONITOR, soft_blocks.MONITOR, error_rates.MONITOR,
             layout_change.MONITOR, quarantine_growth.MONITOR, overdue.MONITOR]
    if importlib.util.find_spec("harvester.app.replies") is not None:
        from harvester.app.monitors import unverified_replies

        found.append(unverified_replies.MONITOR)
    return {monitor.name: monitor for monitor in found}
