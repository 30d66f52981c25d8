"""Health checks of unattended harvesting: one module per monitor, run by `harvester check` and `harvester run`."""
