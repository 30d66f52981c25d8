"""Each code family is one Family record, registered once through the `liuyan_harvester.families` entry points,
and every part it names loads; a record that names something missing fails naming the family and the part."""

from __future__ import annotations

import tomllib

import pytest

from harvester.config import ConfigError
from harvester.families import Family, FamilyError, resolve
from harvester.registry import FAMILY_ENTRY_POINTS, families, family_record
from spiders.base import HarvestSpider
from tests.harvesting import ROOT

BUILT_IN = ("discuz", "generic", "jact", "people")


def test_the_installed_entry_points_are_the_ones_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    points = declared["project"]["entry-points"][FAMILY_ENTRY_POINTS]
    assert sorted(points) == list(BUILT_IN)
    assert set(BUILT_IN) <= set(families()), "stale metadata: run `pip install -e .`"
    for name, value in points.items():
        assert resolve(value) is family_record(name)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_part_a_built_in_family_names_loads(name: str) -> None:
    family = family_record(name)
    assert family.name == name and issubclass(family.spider_class(), HarvestSpider)
    assert callable(resolve(family.recorded)) if family.recorded else name == "generic"
    assert family.replies == (name != "generic")
    if family.replies:
        assert callable(family.reply_factory())
    if family.options is not None:
        assert family.parse_options({}, f"{name}.toml") is not None


def test_a_family_whose_options_are_wrong_raises_the_parsers_error() -> None:
    with pytest.raises(ConfigError, match=r"jact_x\.toml: unknown jact option\(s\) \['nope'\]"):
        family_record("jact").parse_options({"nope": 1}, "jact_x.toml")


def test_a_record_naming_missing_code_fails_naming_the_family_and_the_part() -> None:
    broken = Family(name="acme", spider="acme_missing.spider:AcmeSpider", recorded="spiders.jact.recorded:nope",
                    options="spiders.jact.options.parse_options")
    with pytest.raises(FamilyError, match=r"family 'acme': its spider 'acme_missing\.spider\.AcmeSpider' cannot be "
                                          r"loaded: ModuleNotFoundError"):
        broken.spider_class()
    with pytest.raises(FamilyError, match=r"its recorded-page parser 'spiders\.jact\.recorded\.nope' cannot be"):
        broken.parse_recorded("list", None, {})
    with pytest.raises(FamilyError, match="family 'acme' posts no replies"):
        broken.reply_factory()
    assert broken.parse_options({}, "x.toml").list == "dataproxy"  # a dotted path works as well as a colon


def test_a_family_without_recorded_pages_or_options_says_so() -> None:
    bare = Family(name="bare", spider=HarvestSpider)  # objects work as well as import paths
    assert bare.spider_class() is HarvestSpider and bare.parse_options({"x": 1}, "x.toml") is None
    with pytest.raises(KeyError, match="no page object for family 'bare' page 'list'"):
        bare.parse_recorded("list", None, {})


def test_an_unregistered_family_is_refused_with_the_known_ones() -> None:
    with pytest.raises(FamilyError, match=r"family 'acme' is not one of \['discuz', 'generic', 'jact', 'people'"):
        family_record("acme")
