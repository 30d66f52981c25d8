"""Reply adapter factories of the built-in families, named by their `Family` records (spiders/*/family.py).

Each is called as factory(pool, base_url, spec): `pool` lends the platform's credentials and the shared browser.
"""

from __future__ import annotations

from typing import Any, Protocol

from adapters.backoffice import CredentialsLookup
from adapters.protocols import ReplyAdapter
from harvester.registry import PlatformSpec


class Pool(Protocol):
    """What a factory needs of the app's adapter pool."""

    @property
    def secrets(self) -> Any: ...

    def browser(self) -> Any: ...


def _lookup(pool: Pool, spec: PlatformSpec) -> CredentialsLookup:
    lookup: CredentialsLookup = pool.secrets.lookup_for(spec.slug)
    return lookup


def jact(pool: Pool, base_url: str, spec: PlatformSpec) -> ReplyAdapter:
    from adapters.jact_reply import JactReplyAdapter

    return JactReplyAdapter(base_url, _lookup(pool, spec), pool.browser())


def discuz(pool: Pool, base_url: str, spec: PlatformSpec) -> ReplyAdapter:
    from adapters.discuz_reply import DiscuzReplyAdapter

    return DiscuzReplyAdapter(base_url, _lookup(pool, spec))


def people(pool: Pool, base_url: str, spec: PlatformSpec) -> ReplyAdapter:
    from adapters.people_reply import PeopleReplyAdapter

    return PeopleReplyAdapter(base_url, _lookup(pool, spec), pool.browser())
