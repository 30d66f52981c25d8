"""A code family from another installed package joins the one platform list through an entry point."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from harvester.store.db import Store
from tests.harvesting import ROOT, cli, harvest, write_config
from tests.replicahost import control, replica_process

SPIDER = '''
import os

from harvester.families import Family
from spiders.jact.spider import JactSpider


class AcmeSpider(JactSpider):
    """A mailbox of a jact clone: the jact spider, noting each list page it parses (so the test sees it ran)."""

    def parse_list(self, response, board, page):
        with open(os.environ["ACME_MARKS"], "a", encoding="utf-8") as marks:
            marks.write(f"{self.name} list page {page}\\n")
        return super().parse_list(response, board, page)


def make_adapter(pool, base_url, spec):
    """The reply adapter of the family: jact's back office, like its pages."""
    from adapters.jact_reply import JactReplyAdapter

    return JactReplyAdapter(base_url, pool.secrets.lookup_for(spec.slug), pool.browser())


FAMILY = Family(name="acme", spider="acme_mailbox:AcmeSpider", recorded="spiders.jact.recorded:parse",
                reply_adapter="acme_mailbox:make_adapter", options="spiders.jact.options:parse_options")
LOST_REPLIES = Family(name="lost", spider="acme_mailbox:AcmeSpider", reply_adapter="acme_mailbox.gone:make_adapter")
READS_SAVED = Family(name="acme_saved", spider="acme_mailbox:AcmeSpider", recorded="spiders.jact.recorded:parse",
                     saved="spiders.jact.saved:SAVED")
'''
# How packages registered a family before the Family record: the spider class, and the reply adapter factory
# under a second group. Still read, with a warning.
OLD_FORM = ("[liuyan_harvester.families]\nacme = acme_mailbox:AcmeSpider\n\n"
            "[liuyan_harvester.reply_adapters]\nacme = acme_mailbox:make_adapter\n")


def installed_plugin(root: Path, entry_points: str = "[liuyan_harvester.families]\nacme = acme_mailbox:FAMILY\n"
                     ) -> Path:
    """An installed distribution as pip leaves one: the package and its .dist-info with entry points."""
    (root / "acme_mailbox").mkdir(parents=True)
    (root / "acme_mailbox" / "__init__.py").write_text(SPIDER, encoding="utf-8")
    info = root / "acme_mailbox-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-mailbox\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    return root


def python(code: str, plugin: Path | None) -> subprocess.CompletedProcess[str]:
    """`python -c code` with the plugin's site directory on the path (None: not installed)."""
    path = os.pathsep.join(str(p) for p in (plugin, ROOT) if p is not None)
    return subprocess.run([sys.executable, "-c", code], text=True, capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": path}, cwd=ROOT)


def test_a_family_registered_by_an_entry_point_is_listed_and_harvests(tmp_path: Path) -> None:
    plugin = installed_plugin(tmp_path / "site")
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    (platforms / "acme_town.toml").write_text(
        'slug = "acme_town"\nname = "某县 县长信箱"\nfamily = "acme"\nbase_url = "http://127.0.0.1:9"\n\n'
        '[[boards]]\nid = "6"\naddressee = "县长信箱"\n', encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'acme.db'}"
    pythonpath = os.pathsep.join(filter(None, [str(plugin), os.environ.get("PYTHONPATH")]))
    with replica_process(tmp_path, ["jact"], options={"jact": {"letters": 30}}) as urls:
        config = write_config(tmp_path, db_url, {"acme_town": urls["jact"]},
                              extra=f'platforms_dirs = ["{platforms}"]')
        marks = tmp_path / "marks.txt"
        listed = cli(config, "platforms", "list", PYTHONPATH=pythonpath)
        result = harvest(config, "acme_town", PYTHONPATH=pythonpath, ACME_MARKS=str(marks))
        public = control(urls["jact"], "stats")["public"]
        unregistered = harvest(config, "acme_town")  # the same definition without the package installed
    assert listed.returncode == 0 and re.search(r"acme_town\b.*\bacme\b", listed.stdout), listed.stdout
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with Store.open(db_url).transaction() as repo:
        # newest first: the refused harvest without the package, then the plugin's harvest
        refused, run = repo.latest_runs(limit=2, platform="acme_town")
        stored = list(repo.iter_messages(platform="acme_town"))
    assert run["outcome"] == "succeeded" and len(stored) == public
    assert marks.read_text(encoding="utf-8").startswith("acme_town list page 1\n")  # the plugin's class ran
    assert unregistered.returncode != 0 and refused["outcome"] == "failed"
    assert "'acme' is not one of" in unregistered.stdout + unregistered.stderr + str(refused)


def test_a_reply_adapter_named_by_the_family_record_serves_its_family(tmp_path: Path) -> None:
    plugin = installed_plugin(tmp_path / "site")
    probe = ("from harvester.app.replies.adapters import has_reply_family, reply_factory; "
             "factory = reply_factory('acme') if has_reply_family('acme') else None; "
             "print(factory.__module__ + '.' + factory.__name__ if factory else 'none')")
    found = python(probe, plugin)
    assert found.stdout.strip() == "acme_mailbox.make_adapter", found.stderr
    bare = python(probe, None)
    assert bare.stdout.strip() == "none", bare.stderr


def test_a_family_registered_the_old_way_still_works_and_says_how_to_move(tmp_path: Path) -> None:
    plugin = installed_plugin(tmp_path / "site", OLD_FORM)
    probe = ("from harvester.registry import family_record\n"
             "from harvester.app.replies.adapters import reply_factory\n"
             "family = family_record('acme')\n"
             "print(family.spider_class().__name__, reply_factory('acme').__name__, family.parse_options({}, 'x'))")
    found = python(probe, plugin)
    assert found.stdout.strip() == "AcmeSpider make_adapter None", found.stderr
    assert "FutureWarning: family 'acme'" in found.stderr and "register a harvester.families.Family" in found.stderr


def test_a_broken_plugin_fails_only_its_own_platforms(tmp_path: Path) -> None:
    plugin = installed_plugin(tmp_path / "site", "[liuyan_harvester.families]\nacme = acme_mailbox:FAMILY\n"
                                                 "broken = acme_mailbox.missing:FAMILY\n"
                                                 "lost = acme_mailbox:LOST_REPLIES\n"
                                                 "jact = acme_mailbox.missing:FAMILY\n")  # cannot take a built-in
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    for slug, family in (("acme_town", "acme"), ("broken_town", "broken"), ("lost_town", "lost")):
        (platforms / f"{slug}.toml").write_text(
            f'slug = "{slug}"\nname = "某县 县长信箱"\nfamily = "{family}"\nbase_url = "http://127.0.0.1:9"\n\n'
            '[[boards]]\nid = "6"\naddressee = "县长信箱"\n', encoding="utf-8")
    probe = ("from harvester.app.replies.adapters import AdapterPool, has_reply_family, reply_factory\n"
             "from harvester.app.replies.settings import ReplyConfig\n"
             "from harvester.secrets import Secrets\n"
             "from harvester.app.probe import definition_problem\n"
             "from pathlib import Path\nfrom harvester.registry import load_platforms\n"
             f"specs = load_platforms((Path({str(platforms)!r}),))\n"
             "print(has_reply_family('broken'), reply_factory('jact').__name__, reply_factory('acme').__name__)\n"
             "for slug in ('acme_town', 'broken_town', 'jact_demo'):\n"
             "    print(definition_problem(specs[slug]))\n"
             "accounts = {(slug, 'u'): {'username': 'u', 'password': 'p'} for slug in specs}\n"
             "pool = AdapterPool(specs, Secrets(accounts, env={}), ReplyConfig())\n"
             "for slug in ('broken_town', 'lost_town', 'jact_demo', 'acme_town'):\n"
             "    print(pool.problem(slug, 'u'))")
    found = python(probe, plugin)
    lines = found.stdout.splitlines()
    assert lines[:2] == ["False jact make_adapter", "None"], found.stderr
    assert lines[2].startswith(f"{platforms / 'broken_town.toml'}: family 'broken' (acme_mailbox.missing:FAMILY, "
                               "package acme-mailbox) cannot be loaded: ModuleNotFoundError"), lines
    assert lines[3] == "None"
    # pushes: each broken family is its own platforms' problem, named; the others can post
    assert lines[4].startswith("broken_town: family 'broken' (acme_mailbox.missing:FAMILY"), lines
    assert lines[5].startswith("lost_town: family 'lost': its reply adapter factory "
                               "'acme_mailbox.gone.make_adapter' cannot be loaded: ModuleNotFoundError"), lines
    assert lines[6:] == ["None", "None"], lines


def test_harvester_parse_reads_a_plugin_familys_saved_page_only_when_its_record_names_a_reader(tmp_path: Path) -> None:
    plugin = installed_plugin(tmp_path / "site", "[liuyan_harvester.families]\nacme = acme_mailbox:FAMILY\n"
                                                 "acme_saved = acme_mailbox:READS_SAVED\n")
    saved = ROOT / "tests" / "fixtures" / "jact_demo"
    page = saved / "detail_in_progress" / "input.bin"  # a recorded letter page of the jact replica
    code = ("from datetime import datetime, timezone\n"
            "from harvester.registry import Board, PlatformSpec\n"
            "from spiders.savedpage import read_saved, saved_snapshot\n"
            "for family in ('acme', 'acme_saved'):\n"
            "    spec = PlatformSpec(slug='acme_town', name='某县', family=family, base_url='http://127.0.0.1:9',\n"
            "                        boards=(Board('6', '县长信箱'),), source='test')\n"
            f"    body = open({str(page)!r}, 'rb').read()\n"
            "    snapshot = saved_snapshot(spec, body, None, datetime.now(timezone.utc))\n"
            "    try:\n"
            "        print(family, read_saved(spec, snapshot, 'detail', False).page)\n"
            "    except ValueError as error:\n"
            "        print(family, 'refused:', error)\n")
    result = python(code, plugin)
    lines = result.stdout.splitlines()
    assert lines == ["acme refused: acme_town: family 'acme' has no saved-page reader", "acme_saved detail"], \
        result.stdout + result.stderr
