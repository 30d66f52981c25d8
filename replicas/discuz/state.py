"""One running forum: its options, database, sessions and reply desk, and the site's idea of now."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from replicas.discuz.auth import Sessions
from replicas.discuz.dates import SHANGHAI
from replicas.discuz.history import populate
from replicas.discuz.post import ReplyDesk
from replicas.discuz.settings import Settings
from replicas.discuz.waf import Waf
from replicas.discuz.world import World


def wall_clock() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


@dataclass
class Forum:
    """Everything a request handler needs."""

    name: str
    settings: Settings
    world: World
    waf: Waf = field(default_factory=Waf)
    sessions: Sessions = field(init=False)
    desk: ReplyDesk = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.name, self.world.seed, self.world.by_name)
        self.desk = ReplyDesk(self.world, self.settings)

    @classmethod
    def build(cls, name: str, seed: int, settings: Settings) -> Forum:
        """Generate the forum's past up to the frozen now (or the wall clock at start)."""
        world = World(seed, list(settings.boards), settings.now or wall_clock())
        populate(world, random.Random(f"discuz/{seed}"), settings.threads_per_board, settings.long_thread_replies,
                 settings.paid_threads)
        return cls(name, settings, world)

    def now(self) -> datetime:
        """The site's now for relative dates and new posts: frozen or wall time, plus what advance added."""
        return (self.settings.now or wall_clock()) + self.world.offset
