"""The 领导留言板 replica as the framework serves it: options, routes, WAF wiring, advance and stats."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from aiohttp import web

from replicas.framework import CONTROL_PREFIX
from replicas.people import api, boards, control, forums, shell, signing
from replicas.people.accounts import Sessions, make_accounts
from replicas.people.antibot import Waf, middleware
from replicas.people.backoffice import BackOffice
from replicas.people.state import SiteState
from replicas.people.variants import VARIANT_KEYS, Variant
from replicas.people.world import LATE_MIN, Lateness, World

API_PREFIXES = ("/v1/", "/v2/", *api.FORM_PATHS)


@dataclass(frozen=True)
class Options:
    """Replica options; the CLI hands them over as strings (`--set people.boards=3`)."""

    boards: int = 3
    per_board: int = 240
    rate_per_s: float = 20.0
    totp_secret: str = ""
    late_share: float = 0.0
    late_hours: float = 48.0
    variant: Variant = field(default_factory=Variant)  # how answers are shaped (its keys are options too)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Options:
        known = {f.name for f in fields(cls)} - {"variant"} | set(VARIANT_KEYS)
        unknown = set(raw) - known
        if unknown:
            raise TypeError(f"people replica: unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
        options = cls(boards=int(raw.get("boards", cls.boards)), per_board=int(raw.get("per_board", cls.per_board)),
                      rate_per_s=float(raw.get("rate_per_s", cls.rate_per_s)),
                      totp_secret=str(raw.get("totp_secret", "")).strip().upper(),
                      late_share=float(raw.get("late_share", cls.late_share)),
                      late_hours=float(raw.get("late_hours", cls.late_hours)), variant=Variant())
        options.variant.update({key: raw[key] for key in VARIANT_KEYS if key in raw})
        if options.per_board < 0 or options.rate_per_s < 0:
            raise ValueError(f"people replica: per_board and rate_per_s must be non-negative: {options}")
        if not 0 <= options.late_share <= 1 or options.late_hours < LATE_MIN.total_seconds() / 3600:
            raise ValueError(f"people replica: late_share must be 0..1 and late_hours at least "
                             f"{LATE_MIN.total_seconds() / 3600:g}: {options}")
        return options


def _is_site_path(path: str) -> bool:
    """Paths behind the WAF: the public site, not the control API, the back office or the forum-tree cache
    (other hosts)."""
    return not path.startswith((CONTROL_PREFIX, "/backoffice/", "/forum_data_"))


def _is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class PeopleReplica:
    """liuyan.people.com.cn: SPA shells, signed and unsigned list APIs, a WAF, and a units' back office."""

    def __init__(self, name: str, seed: int, options: Options) -> None:
        self.name = name
        self.options = options
        chosen = boards.pick(options.boards)
        self.boards = chosen
        world = World(seed, chosen, options.per_board, Lateness(options.late_share, options.late_hours))
        self.state = SiteState(seed, world, Waf(options.rate_per_s), signing.release(seed, 0),
                               variant=Variant(**options.variant.public()))
        self.sessions = Sessions(make_accounts(seed, chosen, options.totp_secret))

    def add_routes(self, app: web.Application) -> None:
        app.middlewares.append(middleware(self.state.waf, _is_site_path, _is_api_path))
        shell.add_routes(app, self.state)
        api.add_routes(app, self.state)
        forums.add_routes(app, self.boards)
        BackOffice(self.state, self.sessions).add_routes(app)
        control.add_routes(app, self.state, self.sessions)

    def advance(self, steps: int) -> dict[str, Any]:
        return self.state.world.advance(steps)

    def stats(self) -> dict[str, Any]:
        state = self.state
        return {**state.world.stats(), "appCode": state.release.app_code, "script": state.release.script_path,
                "rate_limited": state.waf.throttled, "blocked_no_cookie": state.waf.no_cookie,
                "signature_failures": state.signature_failures, "replies_posted": state.replies_posted,
                "variant": state.variant.public(), "refused": len(state.refused)}


def create(name: str, seed: int, **options: Any) -> PeopleReplica:
    """The catalogue's entry point; options may be strings (boards, per_board, rate_per_s, totp_secret,
    late_share, late_hours, seed, and the variant keys last_item_field, list_rows_max, content_time, data_type)."""
    seed = int(options.pop("seed", seed))
    return PeopleReplica(name, seed, Options.parse(options))
