"""Where definitions come from: a registered platform's spec, or a slug looked up in the configured dirs."""

from __future__ import annotations

from harvester.config import ConfigError, load_config
from harvester.definition.model import Definition
from harvester.definition.parse import parse_options
from harvester.registry import PlatformSpec, load_platforms

GENERIC = "generic"


def definition_of(spec: PlatformSpec) -> Definition:
    """The validated definition of a generic platform; DefinitionError names file, line and field."""
    if spec.family != GENERIC:
        raise ConfigError(f"{spec.source}: platform {spec.slug!r} is family {spec.family!r}, not a definition "
                          f"(family = \"{GENERIC}\")")
    return parse_options(spec.slug, spec.options, spec.source)


def find_spec(slug: str) -> PlatformSpec:
    """A platform by slug among the built-in definitions and the configured dirs (enabled or not)."""
    config = load_config()
    specs = load_platforms(config.platforms_dirs, config.platform_overrides)
    if slug not in specs:
        raise ConfigError(f"no platform definition {slug!r}; known: {', '.join(sorted(specs))}")
    if specs[slug].problem is not None:
        raise ConfigError(str(specs[slug].problem))
    return specs[slug]
