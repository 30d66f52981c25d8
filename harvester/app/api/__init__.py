"""The HTTP API for downstream handling systems: reads, the change feed, Open311, reply intake."""
