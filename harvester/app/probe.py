"""Whether a platform's definition can be harvested at all, without fetching anything.

Each family reads its own `options` (a generic definition's rules, a forum's official accounts, the People's
Daily API settings); a mistake there is found here, the same way the spider finds it when it starts.
"""

from __future__ import annotations

from harvester.challenge import SolveScope, solve_policy
from harvester.config import ConfigError
from harvester.registry import PlatformSpec, family_record
from harvester.spiderloader import spider_class_for


def definition_problem(spec: PlatformSpec) -> str | None:
    """Why `spec` cannot be harvested as written (file, line and field where known), or None when it can."""
    if spec.problem is not None:  # the file itself could not be read or validated
        return spec.problem
    try:
        spider_class_for(spec)  # a generic definition is parsed when its spider class is made
        family_record(spec.family).parse_options(spec.options, spec.source)  # as its spider does on start
        solve_policy(spec.options, spec.fetch, SolveScope.JSL, 1)  # the challenge middleware's options
    except ConfigError as error:
        return str(error) if spec.source in str(error) else f"{spec.source}: {error}"
    return None
