"""The Discuz! X forum family: declared once, registered in pyproject.toml's entry points."""

from harvester.families import Family

FAMILY = Family(
    name="discuz",
    spider="spiders.discuz.spider:DiscuzSpider",
    recorded="spiders.discuz.recorded:parse",
    reply_adapter="adapters.factories:discuz",
    options="spiders.discuz.options:parse_options",
    saved="spiders.discuz.saved:SAVED",
)
