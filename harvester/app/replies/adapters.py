"""Reply adapters per platform family, pointed at the platform or, with staging on, at its replica."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from adapters.protocols import OutgoingReply, ReplyAdapter
from adapters.transport import credential_transport_problem
from harvester.app.replies.settings import ReplyConfig
from harvester.families import FamilyError
from harvester.registry import PlatformSpec, family_record
from harvester.secrets import Secrets

Factory = Callable[["AdapterPool", str, PlatformSpec], ReplyAdapter]


def has_reply_family(family: str) -> bool:
    """Whether replies can be posted for this family: its Family record names a reply adapter factory (a family
    that is not registered or cannot be loaded has none)."""
    try:
        return family_record(family).replies
    except FamilyError:
        return False


def reply_factory(family: str) -> Factory:
    """The family's adapter factory, as its Family record names it (spiders/<family>/family.py, or a plugin's).
    The factory's module is imported only when its family's adapter is first made, so a broken plugin package
    fails its own platforms' pushes (FamilyError), not everybody's."""
    factory: Factory = family_record(family).reply_factory()
    return factory


def rebase(url: str, production_base: str, target_base: str) -> str:
    """`url` on the site at `target_base`: the production base swapped out, else scheme and host."""
    if url.startswith(production_base + "/") or url == production_base:
        return target_base + url[len(production_base):]
    parts, target = urlsplit(url), urlsplit(target_base)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))


class AdapterPool:
    """One reply adapter per platform, made on first use; jact back offices share one browser.

    `fetcher` lends a running PlaywrightFetchAdapter (tests reuse one Chromium); otherwise the pool
    starts one when a browser family first needs it and closes it in `close()`.
    """

    def __init__(self, specs: Mapping[str, PlatformSpec], secrets: Secrets, config: ReplyConfig,
                 fetcher: Any = None) -> None:
        self.specs, self.secrets, self.config = specs, secrets, config
        self._fetcher, self._owns_fetcher = fetcher, fetcher is None
        self._adapters: dict[str, ReplyAdapter] = {}

    def base_url(self, platform: str) -> str | None:
        """Where replies of `platform` go: its staging replica when staging is on (None if it has none)."""
        spec = self.specs.get(platform)
        if spec is None:
            return None
        return self.config.staging_urls.get(platform) if self.config.staging else spec.base_url

    def problem(self, platform: str, account: str) -> str | None:
        """Why replies of this platform/account cannot be sent now, or None."""
        spec = self.specs.get(platform)
        if spec is None:
            return f"platform {platform!r} is not configured"
        try:
            family = family_record(spec.family)
            if not family.replies:
                return f"no reply adapter for the {spec.family} family ({platform})"
            family.reply_factory()  # imported now: a broken plugin is its own platforms' problem
        except FamilyError as error:
            return f"{platform}: {error}"
        target = self.base_url(platform)
        if target is None:
            return f"staging is on and {platform} has no staging URL (HARVESTER_STAGING_URLS)"
        insecure = credential_transport_problem(target, self.config.staging)
        if insecure:
            return f"{platform}: {insecure}"
        if not self.secrets.has(platform, account):
            return f"no credentials for account {account!r} on {platform}"
        return None

    def outgoing(self, reply: OutgoingReply) -> OutgoingReply:
        """The reply with its message URL on the site the adapter talks to."""
        target = self.base_url(reply.platform)
        assert target is not None
        return replace(reply, message_url=rebase(reply.message_url, self.specs[reply.platform].base_url, target))

    def adapter(self, platform: str) -> ReplyAdapter:
        """The platform's adapter (check `problem` first)."""
        if platform not in self._adapters:
            spec, target = self.specs[platform], self.base_url(platform)
            assert target is not None
            self._adapters[platform] = reply_factory(spec.family)(self, target, spec)
        return self._adapters[platform]

    async def reset(self, platform: str) -> None:
        """Drop the platform's adapter (its sessions): the next call logs in afresh."""
        adapter = self._adapters.pop(platform, None)
        if adapter is not None:
            await adapter.close()

    def browser(self) -> Any:
        """The shared PlaywrightFetchAdapter, started lazily on first page."""
        if self._fetcher is None:
            from adapters.browser import PlaywrightFetchAdapter

            self._fetcher = PlaywrightFetchAdapter(max_contexts=2, max_pages=2)
        return self._fetcher

    async def close(self) -> None:
        """Close every adapter, and the browser if the pool started it; idempotent."""
        for platform in list(self._adapters):
            await self.reset(platform)
        if self._owns_fetcher and self._fetcher is not None:
            await self._fetcher.close()
            self._fetcher = None
