"""The People's Daily 领导留言板 family: declared once, registered in pyproject.toml's entry points."""

from harvester.families import Family

FAMILY = Family(
    name="people",
    spider="spiders.people.spider:PeopleSpider",
    recorded="spiders.people.recorded:parse",
    reply_adapter="adapters.factories:people",
    options="spiders.people.options:parse_options",
    saved="spiders.people.saved:SAVED",
    may_use_browser=True,  # the browser path when the signed API refuses plain clients
)
