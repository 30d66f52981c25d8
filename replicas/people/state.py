"""What the site's handlers share: the world, the live front-end release, the WAF, and counters."""

from __future__ import annotations

from dataclasses import dataclass, field

from replicas.people import signing
from replicas.people.antibot import Waf
from replicas.people.signing import Release
from replicas.people.variants import Variant
from replicas.people.world import World


@dataclass
class SiteState:
    """The running site. `release` changes when the front end is redeployed (see `rotate`); `variant` shapes the
    JSON answers (replicas/people/variants.py)."""

    seed: int
    world: World
    waf: Waf
    release: Release
    variant: Variant = field(default_factory=Variant)
    refused: set[int] = field(default_factory=set)  # tids whose content calls the WAF throttles (an outage)
    signature_failures: int = 0
    replies_posted: int = 0

    def rotate(self) -> Release:
        """A front-end release: a new appCode (old signatures now fail) and a new bundle name."""
        self.release = signing.release(self.seed, self.release.number + 1)
        return self.release
