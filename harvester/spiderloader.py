"""Scrapy spider loader over the platform registry: `scrapy list` shows slugs, `scrapy crawl SLUG` works."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.settings import BaseSettings

from harvester.config import load_config
from harvester.registry import PlatformSpec, family_record, load_platforms


def spider_class_for(spec: PlatformSpec) -> type[Spider]:
    """A subclass of the family spider bound to one platform, named by its slug."""
    family: type[Spider] = family_record(spec.family).spider_class()  # FamilyError when its code is broken
    return type(f"{family.__name__}_{spec.slug}", (family,), {"name": spec.slug, "platform": spec})


class PlatformSpiderLoader:
    """Implements Scrapy's ISpiderLoader from the platform definitions (plus config overrides)."""

    def __init__(self, settings: BaseSettings) -> None:
        if settings.getpriority("HARVESTER_PLATFORMS_DIRS") is None:  # `scrapy list`: no crawler process made
            config = load_config()
            dirs, overrides = config.platforms_dirs, config.platform_overrides
        else:
            dirs = tuple(Path(d) for d in settings.getlist("HARVESTER_PLATFORMS_DIRS"))
            overrides = settings.getdict("HARVESTER_PLATFORM_OVERRIDES")
        self._specs = load_platforms(dirs, overrides)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> PlatformSpiderLoader:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name not in self._specs:
            raise KeyError(f"Spider not found: {spider_name}")
        return spider_class_for(self._specs[spider_name])

    def list(self) -> list[str]:
        return sorted(self._specs)

    def find_by_request(self, request: Any) -> builtins.list[str]:
        return [slug for slug, spec in self._specs.items() if request.url.startswith(spec.base_url)]

