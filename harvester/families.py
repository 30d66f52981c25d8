"""The `Family` record: everything the harvester knows about one code family, declared once next to its code.

A family's spider, its parser of recorded pages (fixtures), its reply adapter factory and its options parser are
named by import path ("package.module:attribute") and loaded only when used, so the core never imports spiders or
adapters, and a family whose code is broken fails only its own platforms. Built-in families and those of other
installed packages register the same way, under the `liuyan_harvester.families` entry point group
(harvester/registry.py reads it; docs/adding-a-platform.md shows how).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harvester.config import ConfigError

# An import path ("package.module:attribute" or "package.module.attribute") or the object itself.
Ref = str | Callable[..., Any]


class FamilyError(ConfigError):
    """A family that cannot be loaded or does not offer what was asked of it; its platforms fail, no other does."""


def resolve(ref: Ref) -> Any:
    """The object `ref` names (imported now), or `ref` itself when it is not a path."""
    if not isinstance(ref, str):
        return ref
    module, colon, attribute = ref.partition(":")
    if not colon:
        module, _, attribute = ref.rpartition(".")
    if not module or not attribute:
        raise ValueError(f"not an import path: {ref!r} (write 'package.module:attribute')")
    target: Any = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def path_of(ref: Ref) -> str:
    """`ref` as a dotted import path (what Scrapy's load_object takes)."""
    if isinstance(ref, str):
        return ref.replace(":", ".")
    return f"{ref.__module__}.{ref.__qualname__}"


@dataclass(frozen=True, slots=True)
class Family:
    """One code family.

    `spider`: the HarvestSpider subclass its platforms crawl with.
    `recorded`: parse(page, snapshot, context, definition=None) -> JSON data, the page objects applied to a
    recorded page the way the spider would (fixtures, conformance, `fixtures refresh`); None: no recorded cases.
    `reply_adapter`: factory(pool, base_url, spec) -> ReplyAdapter posting approved replies; None: no replies.
    `options`: parse_options(options, source) -> the family's typed options, raising ConfigError naming the file
    and key; None: the family reads no `[options]` of its own (the generic family's are its definition).
    `may_use_browser`: its spider may fall back to Chromium even when its platforms fetch over HTTP (People's
    Daily, when the signed API refuses plain clients): such platforms get a harvest process, or a browser
    worker, of their own.
    `saved`: a spiders.savedpage.SavedPages telling `harvester parse` how to read a page an operator saved (its
    kinds, which page a URL is, what the spider knows when it parses it); None: `harvester parse` refuses.
    """

    name: str
    spider: Ref
    recorded: Ref | None = None
    reply_adapter: Ref | None = None
    options: Ref | None = None
    saved: Ref | None = None
    may_use_browser: bool = False

    @property
    def spider_path(self) -> str:
        return path_of(self.spider)

    def _load(self, what: str, ref: Ref) -> Any:
        try:
            return resolve(ref)
        except (ImportError, AttributeError, ValueError) as error:
            raise FamilyError(f"family {self.name!r}: its {what} {path_of(ref)!r} cannot be loaded: "
                              f"{type(error).__name__}: {error}") from error

    def spider_class(self) -> type:
        """The family's spider class (imported now)."""
        found = self._load("spider", self.spider)
        if not isinstance(found, type):
            raise FamilyError(f"family {self.name!r}: its spider {self.spider_path!r} is not a class")
        return found

    def parse_recorded(self, page: str, snapshot: Any, context: dict[str, Any],
                       definition: Any = None) -> dict[str, Any]:
        """A recorded page as JSON data (LayoutChanged propagates); KeyError when the family records no pages."""
        if self.recorded is None:
            raise KeyError(f"no page object for family {self.name!r} page {page!r}")
        result: dict[str, Any] = self._load("recorded-page parser", self.recorded)(page, snapshot, context,
                                                                                    definition)
        return result

    def parse_options(self, options: Mapping[str, Any], source: str) -> Any:
        """The definition's `[options]` as the spider reads them when it starts (ConfigError when wrong); None
        when the family has no options parser."""
        if self.options is None:
            return None
        return self._load("options parser", self.options)(options, source)

    def saved_pages(self) -> Any:
        """The family's saved-page reader (imported now); FamilyError when it has none."""
        if self.saved is None:
            raise FamilyError(f"family {self.name!r} has no saved-page reader")
        return self._load("saved-page reader", self.saved)

    @property
    def replies(self) -> bool:
        return self.reply_adapter is not None

    def reply_factory(self) -> Callable[..., Any]:
        """factory(pool, base_url, spec) -> the reply adapter (imported now); FamilyError when there is none."""
        if self.reply_adapter is None:
            raise FamilyError(f"family {self.name!r} posts no replies")
        factory: Callable[..., Any] = self._load("reply adapter factory", self.reply_adapter)
        return factory
