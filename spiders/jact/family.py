"""The jact family (大汉 Hanweb mailboxes): declared once, registered in pyproject.toml's entry points."""

from harvester.families import Family

FAMILY = Family(
    name="jact",
    spider="spiders.jact.spider:JactSpider",
    recorded="spiders.jact.recorded:parse",
    reply_adapter="adapters.factories:jact",
    options="spiders.jact.options:parse_options",
    saved="spiders.jact.saved:SAVED",
)
