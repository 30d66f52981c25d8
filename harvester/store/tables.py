"""Every table of the store, registered on one metadata: what migrations and `create_all` see."""

from __future__ import annotations

from harvester.store import api_models, console_models, models
from harvester.store.base import Base
from harvester.store.outbox import models as outbox_models

__all__ = ["Base", "api_models", "console_models", "models", "outbox_models"]
