"""Health checks of unattended harvesting: one module per monitor, run by `harvester monitor` and `harvester run`."""
