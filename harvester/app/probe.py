"""Whether a platform's definition can be harvested at all, without fetching anything.

Each family reads its own `options` (a generic definition's rules, a forum's official accounts, the People's
Daily API settings); a mistake there is found here, the same way the spider finds it when it starts.
"""

from __future__ import annotations

from scrapy.utils.misc import load_object

from harvester.challenge import SolveScope, solve_policy
from harvester.config import ConfigError
from harvester.registry import PlatformSpec
from harvester.spiderloader import spider_class_for

# Families whose spiders parse `options` when they start: (options, source) -> parsed options or ConfigError.
OPTION_PARSERS = {
    "discuz": "spiders.discuz.options.parse_options",
    "jact": "spiders.jact.options.parse_options",
    "people": "spiders.people.options.parse_options",
}


def definition_problem(spec: PlatformSpec) -> str | None:
    """Why `spec` cannot be harvested as written (file, line and field where known), or None when it can."""
    if spec.problem is not None:  # the file itself could not be read or validated
        return spec.problem
    try:
        spider_class_for(spec)  # a generic definition is parsed when its spider class is made
        if spec.family in OPTION_PARSERS:
            load_object(OPTION_PARSERS[spec.family])(spec.options, spec.source)
        solve_policy(spec.options, spec.fetch, SolveScope.JSL, 1)  # the challenge middleware's options
    except ConfigError as error:
        return str(error) if spec.source in str(error) else f"{spec.source}: {error}"
    return None
