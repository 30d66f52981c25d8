"""What the site's handlers share: the world, the live front-end release, the WAF, and counters."""

from __future__ import annotations

from dataclasses import dataclass

from replicas.people import signing
from replicas.people.antibot import Waf
from replicas.people.signing import Release
from replicas.people.world import World


@dataclass
class SiteState:
    """The running site. `release` changes when the front end is redeployed (see `rotate`)."""

    seed: int
    world: World
    waf: Waf
    release: Release
    signature_failures: int = 0
    replies_posted: int = 0

    def rotate(self) -> Release:
        """A front-end release: a new appCode (old signatures now fail) and a new bundle name."""
        self.release = signing.release(self.seed, self.release.number + 1)
        return self.release
