"""The one list of platforms: definition files (harvester/platforms/*.toml and configured dirs) plus overrides.

A definition names a `family` (the spider code that knows its layout); most platforms are a definition only.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from harvester.config import ConfigError, HarvesterConfig
from harvester.families import Family, FamilyError
from harvester.loopback import is_loopback_url

BUILTIN_DIR = Path(__file__).parent / "platforms"
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,47}$")

# Every code family is one `Family` record (harvester/families.py) declared next to its code and registered under
# this entry point group, the built-in ones in our own pyproject.toml exactly as another package registers its own:
#   [project.entry-points."liuyan_harvester.families"]
#   acme = "acme_mailbox.family:FAMILY"
FAMILY_ENTRY_POINTS = "liuyan_harvester.families"
# The old plugin form, still read (with a warning): the entry point names the spider class itself, and its reply
# adapter factory stands under this second group.
LEGACY_REPLY_ENTRY_POINTS = "liuyan_harvester.reply_adapters"
DISTRIBUTION = "liuyan_harvester"  # ours, normalised: its families are built in and keep their names


def _ours(point: EntryPoint) -> bool:
    return point.dist is not None and re.sub(r"[-_.]+", "_", point.dist.name).lower() == DISTRIBUTION


@cache
def _family_points() -> dict[str, EntryPoint]:
    """Every family's entry point by name, nothing imported yet; a plugin cannot take a built-in name."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=FAMILY_ENTRY_POINTS):
        if point.name not in found or _ours(point):
            found[point.name] = point
    if not any(_ours(point) for point in found.values()):
        raise ConfigError(f"no built-in family is registered under {FAMILY_ENTRY_POINTS!r}: the package metadata "
                          f"is missing or stale (run `pip install -e .` in the project)")
    return found


def families() -> tuple[str, ...]:
    """The names of every code family, built in or from an installed package (none of them imported)."""
    return tuple(sorted(_family_points()))


@cache
def family_record(name: str) -> Family:
    """The family's record, its entry point loaded now. FamilyError (a ConfigError) when it is not registered or
    its package cannot be imported: the platforms of that family fail, every other goes ahead."""
    point = _family_points().get(name)
    if point is None:
        raise FamilyError(f"family {name!r} is not one of {list(families())}")
    where = f"family {name!r} ({point.value}, package {point.dist.name if point.dist else '?'})"
    try:
        found = point.load()
    except Exception as error:  # anything a broken plugin raises on import stays with its own platforms
        raise FamilyError(f"{where} cannot be loaded: {type(error).__name__}: {error}") from error
    if isinstance(found, type):
        found = _legacy_family(name, point)
    if not isinstance(found, Family):
        raise FamilyError(f"{where} names {type(found).__name__}, not a harvester.families.Family record")
    if found.name != name:
        raise FamilyError(f"{where} is registered as {name!r} but its record says {found.name!r}")
    return found


def _legacy_family(name: str, point: EntryPoint) -> Family:
    """A family registered the old way, by its spider class (plus a `liuyan_harvester.reply_adapters` factory)."""
    replies = [p.value for p in entry_points(group=LEGACY_REPLY_ENTRY_POINTS) if p.name == name]
    warnings.warn(f"family {name!r}: the entry point {point.value!r} names a spider class; register a "
                  f"harvester.families.Family record instead (docs/adding-a-platform.md); the "
                  f"{LEGACY_REPLY_ENTRY_POINTS!r} group goes with it", FutureWarning, stacklevel=3)
    return Family(name=name, spider=point.value, reply_adapter=replies[0] if replies else None)

OPEN_STATUSES = ("pending", "in_progress")
TOP_LEVEL_KEYS = {"slug", "name", "family", "base_url", "boards", "fetch", "charset", "download_delay", "concurrency",
                  "recheck_statuses", "recheck_window_days", "recheck_backoff", "enabled", "options",
                  "download_maxsize", "download_warnsize"}


@dataclass(frozen=True, slots=True)
class Board:
    """One board or mailbox column on a platform: its id there and who messages are addressed to."""

    id: str
    addressee: str


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """A platform as declared: where it is, which family parses it, and how politely to fetch it."""

    slug: str
    name: str
    family: str
    base_url: str
    boards: tuple[Board, ...]
    source: str
    fetch: str = "http"  # or "browser": pages rendered by Chromium through scrapy-playwright
    charset: str | None = None  # None: trust what the page declares
    download_delay: float = 0.0
    concurrency: int = 8
    recheck_statuses: tuple[str, ...] = OPEN_STATUSES
    recheck_window_days: float = 60.0  # a message unchanged this long has settled: stop re-checking it
    # Adaptive revisits: re-check only once the time since the last check exceeds 1/N of the time since the last
    # change (a letter changed yesterday is checked every run, one quiet for 3 weeks every few days). 0: off.
    recheck_backoff: float = 8.0
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    download_maxsize: int | None = None  # bytes; None: the DOWNLOAD_MAXSIZE of harvester.settings
    download_warnsize: int | None = None  # bytes; None: the DOWNLOAD_WARNSIZE of harvester.settings
    problem: str | None = None  # why the definition file cannot be used: the platform fails alone (see `broken`)

    @property
    def spider_class_path(self) -> str:
        return family_record(self.family).spider_path


def _require(data: Mapping[str, Any], key: str, source: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ConfigError(f"{source}: missing required field {key!r}")
    if not isinstance(data[key], kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"{source}: field {key!r} must be {names}, got {data[key]!r}")
    return data[key]


def _number(data: Mapping[str, Any], key: str, source: str, default: float, kind: type[int] | type[float]) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{source}: field {key!r} must be a non-negative number, got {value!r}")
    return kind(value)


def parse_definition(data: Mapping[str, Any], source: str) -> PlatformSpec:
    """Validate one definition mapping; errors name the source file and the field."""
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown top-level field(s) {unknown}; allowed {sorted(TOP_LEVEL_KEYS)}")
    slug = _require(data, "slug", source, str)
    if not SLUG.match(slug):
        raise ConfigError(f"{source}: field 'slug' must be lower-case ASCII (a-z, 0-9, _), got {slug!r}")
    family = _require(data, "family", source, str)
    if family not in families():
        raise ConfigError(f"{source}: field 'family' {family!r} is not one of {list(families())} (a code "
                          f"family from another package registers under the {FAMILY_ENTRY_POINTS!r} entry points)")
    boards = _require(data, "boards", source, list)
    if not boards:
        raise ConfigError(f"{source}: field 'boards' must list at least one board")
    parsed_boards = []
    for index, board in enumerate(boards):
        where = f"{source}: boards[{index}]"
        parsed_boards.append(Board(id=str(_require(board, "id", where, (str, int))),
                                   addressee=_require(board, "addressee", where, str)))
    fetch = data.get("fetch", "http")
    if fetch not in ("http", "browser"):
        raise ConfigError(f"{source}: field 'fetch' must be 'http' or 'browser', got {fetch!r}")
    return PlatformSpec(
        slug=slug, name=_require(data, "name", source, str), family=family,
        base_url=_require(data, "base_url", source, str).rstrip("/"), boards=tuple(parsed_boards),
        source=source, fetch=fetch, charset=data.get("charset"),
        download_delay=_number(data, "download_delay", source, 0.0, float),
        concurrency=_number(data, "concurrency", source, 8, int),
        recheck_statuses=tuple(data.get("recheck_statuses", OPEN_STATUSES)),
        recheck_window_days=_number(data, "recheck_window_days", source, 60.0, float),
        recheck_backoff=_number(data, "recheck_backoff", source, 8.0, float),
        enabled=bool(data.get("enabled", True)), options=dict(_require(data, "options", source, dict)
                                                              if "options" in data else {}),
        download_maxsize=_number(data, "download_maxsize", source, 0, int) or None,
        download_warnsize=_number(data, "download_warnsize", source, 0, int) or None,
    )


def load_definition(path: Path) -> PlatformSpec:
    """Read and validate one definition file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        spec = parse_definition(data, str(path))
    except ConfigError:
        raise
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        raise ConfigError(f"{path}: {error}") from error
    except (TypeError, ValueError, AttributeError) as error:  # a value of the wrong shape deep in a table
        raise ConfigError(f"{path}: {type(error).__name__}: {error}") from error
    if spec.slug != path.stem:
        raise ConfigError(f"{path}: field 'slug' {spec.slug!r} must match the file name {path.stem!r}")
    return spec


def broken(path: Path, error: ConfigError) -> PlatformSpec:
    """A definition file that cannot be used, as a platform named by its file that fails alone: harvests refuse
    it (a failed run of class `definition`), checks and alerts name it, every other platform goes ahead."""
    stem = re.sub(r"[^a-z0-9_]", "_", path.stem.lower())[:48]
    slug = stem if SLUG.match(stem) else f"x_{stem}"[:48]
    return PlatformSpec(slug=slug, name=path.name, family="generic", base_url="", boards=(), source=str(path),
                        problem=str(error) if str(path) in str(error) else f"{path}: {error}")


def apply_overrides(spec: PlatformSpec, overrides: Mapping[str, Any]) -> PlatformSpec:
    """Operator overrides from the config file (`[platforms.<slug>]`), e.g. base_url or enabled."""
    allowed = {"base_url", "enabled", "download_delay", "concurrency", "fetch", "charset", "download_maxsize",
               "download_warnsize"}
    unknown = set(overrides) - allowed
    if unknown:
        raise ConfigError(f"[platforms.{spec.slug}]: unknown override(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    values = dict(overrides)
    if "base_url" in values:
        values["base_url"] = str(values["base_url"]).rstrip("/")
    return replace(spec, **values)


def load_platforms(dirs: tuple[Path, ...] = (), overrides: Mapping[str, Mapping[str, Any]] | None = None
                   ) -> dict[str, PlatformSpec]:
    """All platform definitions by slug; a file that cannot be read or validated is kept as a `broken` platform
    (its `problem` says why); a slug defined twice is an error naming both files."""
    specs: dict[str, PlatformSpec] = {}
    for directory in (BUILTIN_DIR, *dirs):
        for path in sorted(directory.glob("*.toml")):
            try:
                spec = load_definition(path)
            except ConfigError as error:
                spec = broken(path, error)
            if spec.slug in specs:
                raise ConfigError(f"{path}: slug {spec.slug!r} is already defined in {specs[spec.slug].source}")
            specs[spec.slug] = spec
    for slug, values in (overrides or {}).items():
        if slug not in specs:
            raise ConfigError(f"[platforms.{slug}]: no platform definition with that slug")
        specs[slug] = apply_overrides(specs[slug], values)
    return specs


def is_replica(spec: PlatformSpec) -> bool:
    """Whether `spec` stands for a local replica: a built-in definition still pointing at this machine (one
    whose base_url an operator pointed at the real site, or a new one written there, is a real platform)."""
    return Path(spec.source).parent == BUILTIN_DIR and is_loopback_url(spec.base_url)


def enabled_by_default(spec: PlatformSpec, config: HarvesterConfig) -> bool:
    """Whether a platform runs when the config does not list the ones to run (`enabled`).

    A real platform does unless its definition or override says `enabled = false`. A built-in replica
    definition does only in a replica or demo setup (`replica_platforms = true`) or when its
    `[platforms.<slug>]` override says `enabled = true`: a deployment never harvests or checks the replicas."""
    if not spec.enabled:
        return False
    if not is_replica(spec):
        return True
    return config.replica_platforms or config.platform_overrides.get(spec.slug, {}).get("enabled") is True


def platforms_for(config: HarvesterConfig) -> dict[str, PlatformSpec]:
    """The configured platforms: those `enabled` lists, else those `enabled_by_default`."""
    specs = load_platforms(config.platforms_dirs, config.platform_overrides)
    if config.enabled_platforms:
        missing = set(config.enabled_platforms) - set(specs)
        if missing:
            raise ConfigError(f"enabled platforms not defined: {sorted(missing)}")
        return {slug: specs[slug] for slug in config.enabled_platforms}
    return {slug: spec for slug, spec in specs.items() if enabled_by_default(spec, config)}
