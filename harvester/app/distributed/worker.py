"""The Celery app for `celery -A harvester.app.distributed.worker worker|beat|inspect …`, built from the
environment's config (HARVESTER_CONFIG, HARVESTER_DB_URL, HARVESTER_BROKER_URL) when this module is imported.
`harvester worker` starts the same app; nothing connects until the worker does."""

from __future__ import annotations

from harvester.app.distributed.celeryapp import create_app
from harvester.config import load_config

app = create_app(load_config())
