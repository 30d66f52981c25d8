"""The generic family: any platform definition file (harvester/definition), declared once, registered in
pyproject.toml's entry points. Its `[options]` are the definition itself, read when its spider class is made;
its platforms post no replies."""

from harvester.families import Family

FAMILY = Family(
    name="generic",
    spider="spiders.generic.spider:GenericSpider",
    recorded="spiders.generic.recorded:parse",
    saved="spiders.generic.saved:SAVED",
)
