"""Benchmark: harvest the 领导留言板 replica through the signed API path, the hybrid browser path (one page per
board, the bundle sending every call) and the full-render browser path (a page per message), and render board
lists in Chromium with no API access of ours at all; all in one run, so the ratios share the machine's load.

Usage: python bench/people.py [--per-board 1000] [--browser-per-board 60] [--variant KEY=VALUE ...]
                               [--paths api hybrid browser lists] [--no-recheck]
(--variant: a shape of the site's answers, replicas/people/variants.py, e.g. list_rows_max=10 last_item_field=false)
After the full runs of the API and hybrid paths the site moves on 4 hours and each harvests again, re-checking
every stored open message ("recheck_run": its messages/s counts new and re-read messages alike).
Prints, per path: messages, requests, seconds (crawl, from the run record, and wall), messages/s, CPU seconds
per message, peak RSS of the whole process tree (harvester, Playwright driver, Chromium) and peak PSS of the
browser's tree (driver and Chromium: shared pages counted once); then the targets of issue 17 as ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from replicahost import control, replica_process  # noqa: E402

from harvester.registry import BUILTIN_DIR  # noqa: E402
from harvester.store.db import Store  # noqa: E402

SLUG = "people_demo"
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree_rss_mib(root: int) -> float:
    """Resident memory of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry.name)], rss[int(entry.name)] = int(stat[1]), pages
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(rss.get(pid, 0) for pid in tree) * PAGE_KIB / 1024


def descendants(root: int) -> set[int]:
    """The pids below `root` (not itself), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return tree - {root}


def pss_mib(pids: set[int]) -> float:
    """Proportional set size of `pids` (Pss of /proc/<pid>/smaps_rollup): a page shared by n processes counts
    1/n in each, so the sum is what the tree really holds."""
    total_kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return total_kib / 1024


def timed(env: dict[str, str], slug: str = SLUG) -> dict[str, float]:
    """Run one `harvester harvest`; wall seconds, CPU seconds of it and its children, peak tree RSS (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "harvester", "harvest", slug], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, browser_pss = [0.0], [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(process.pid))
            browser_pss[0] = max(browser_pss[0], pss_mib(descendants(process.pid)))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    if process.returncode != 0:
        sys.stderr.write(out + err[-5000:])
        raise SystemExit(f"harvest failed with {process.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": time.monotonic() - started, "cpu": cpu, "peak_mib": peak[0], "browser_pss_mib": browser_pss[0]}


def definitions(folder: Path, path: str) -> tuple[str, str]:
    """The built-in definition copied with options.path = `path` under its own slug; (slug, config lines)."""
    slug = f"people_{path}"
    target = folder / "definitions"
    target.mkdir()
    text = (BUILTIN_DIR / f"{SLUG}.toml").read_text(encoding="utf-8")
    text = text.replace(f'slug = "{SLUG}"', f'slug = "{slug}"').replace('path = "api"', f'path = "{path}"')
    (target / f"{slug}.toml").write_text(text, encoding="utf-8")
    return slug, f"platforms_dirs = [{json.dumps(str(target))}]\n"


def run_record(db_url: str, slug: str) -> dict[str, Any]:
    with Store.open(db_url).transaction() as repo:
        return repo.latest_runs(limit=1, platform=slug)[0]


def figures_of(run: dict[str, Any], cost: dict[str, float]) -> dict[str, Any]:
    messages = run["items"]
    return {"messages": messages, "requests": run["requests"], "crawl_seconds": round(run["seconds"], 1),
            "wall_seconds": round(cost["wall"], 1), "messages_per_s": round(messages / run["seconds"], 1),
            "cpu_seconds_per_message": round(cost["cpu"] / max(1, messages), 4),
            "peak_rss_mib": round(cost["peak_mib"]), "browser_pss_mib": round(cost["browser_pss_mib"])}


def run_path(tmp: Path, per_board: int, fetch: str, variant: dict[str, str], recheck: bool) -> dict[str, Any]:
    """A fresh replica (answering as `variant` says) and store, one full harvest through `fetch` ("http" = the
    signed API, "browser" = a page rendered per message, "hybrid" = one page per board sending every call).
    With `recheck`: then the site moves on one step (4 hours) and an incremental harvest reads its new messages
    and re-checks every stored open one (HARVESTER_RECHECK_AFTER_HOURS=0), figures under "recheck_run"."""
    folder = tmp / fetch
    folder.mkdir()
    db_url = f"sqlite:///{folder / 'bench.db'}"
    options = {"people": {"boards": 2, "per_board": per_board, "rate_per_s": 0, **variant}}
    slug, extra = definitions(folder, "hybrid") if fetch == "hybrid" else (SLUG, "")
    with replica_process(folder, ["people"], options=options) as urls:
        config = folder / "harvester.toml"
        config.write_text(f'db_url = "{db_url}"\nenabled = ["{slug}"]\n{extra}[platforms.{slug}]\n'
                          f'base_url = "{urls["people"]}"\ndownload_delay = 0\nconcurrency = 16\n'
                          f'fetch = "{"http" if fetch == "hybrid" else fetch}"\n', encoding="utf-8")
        env = {**os.environ, "HARVESTER_CONFIG": str(config), "HARVESTER_LOG_LEVEL": "WARNING"}
        cost = timed(env, slug)
        figures = figures_of(run_record(db_url, slug), cost)
        if recheck:
            moved = control(urls["people"], "advance", {"steps": 1})
            control(urls["people"], "stats/reset", {})
            cost = timed({**env, "HARVESTER_RECHECK_AFTER_HOURS": "0"}, slug)
            run = run_record(db_url, slug)
            made = control(urls["people"], "stats")["requests"]
            figures["recheck_run"] = {
                **figures_of(run, cost), "rechecks": run["figures"].get("harvester/rechecks", 0),
                "new_on_site": len(moved["new"]), "changed": run["changed"],
                "shell_pages": {path: made.get(path, 0) for path in ("/threads/list", "/threads/content")}}
    return figures


# A reader's clicks on 查看更多 until the last page, made in the page itself (one round trip per board, not three
# per list page): wait for the bundle to render a page (data-ready more/end), click, again; the items rendered.
READ_TO_END = """async (capMs) => {
  const app = document.getElementById('app'), until = Date.now() + capMs;
  const rendered = () => new Promise((resolve) => {
    const state = () => app.getAttribute('data-ready');
    const done = () => ['more', 'end'].includes(state()) || String(state()).startsWith('error');
    if (done()) return resolve(state());
    const watch = new MutationObserver(() => { if (done()) { watch.disconnect(); resolve(state()); } });
    watch.observe(app, {attributes: true});
  });
  while ((await rendered()) === 'more' && Date.now() < until) document.querySelector('div.mordList').click();
  return document.querySelectorAll('li[data-tid]').length;
}"""


async def render_lists(base: str, boards: list[str], seconds_cap: float) -> dict[str, Any]:
    """Full render, no API access of ours: each board's list shell in Chromium (one page per board, side by
    side), 查看更多 clicked as a reader does until the last page; messages = list items the bundle rendered."""
    from playwright.async_api import async_playwright

    from adapters.playwright_settings import AbortRequest, chromium_launch_options

    abort = AbortRequest(base)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**chromium_launch_options())
        context = await browser.new_context()
        await context.route("**/*", lambda route, request: route.abort() if abort(request) else route.continue_())

        async def board(fid: str) -> int:
            page = await context.new_page()
            await page.goto(f"{base}/threads/list?fid={fid}", wait_until="load")
            count = await page.evaluate(READ_TO_END, seconds_cap * 1000)
            await page.close()
            return count

        started = time.monotonic()
        counts = await asyncio.gather(*(board(fid) for fid in boards))
        seconds = time.monotonic() - started
        pss = pss_mib(descendants(os.getpid()))
        await browser.close()
    return {"messages": sum(counts), "seconds": round(seconds, 1), "messages_per_s": round(sum(counts) / seconds, 1),
            "browser_pss_mib": round(pss)}


def run_list_render(tmp: Path, per_board: int, variant: dict[str, str]) -> dict[str, Any]:
    folder = tmp / "list_render"
    folder.mkdir()
    options = {"people": {"boards": 2, "per_board": per_board, "rate_per_s": 0, **variant}}
    with replica_process(folder, ["people"], options=options) as urls:
        base = urls["people"]
        boards = sorted({str(m["fid"]) for m in control(base, "people/messages")})
        return asyncio.run(render_lists(base, boards, seconds_cap=300))


PATHS = ("api", "hybrid", "browser", "lists")


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 2) if whole else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-board", type=int, default=1000, help="messages per board: API and hybrid paths, lists")
    parser.add_argument("--browser-per-board", type=int, default=60, help="messages per board for the full render")
    parser.add_argument("--variant", nargs="*", default=[], metavar="KEY=VALUE",
                        help="answer variant of the replica (last_item_field, list_rows_max, content_time, data_type)")
    parser.add_argument("--paths", nargs="*", default=list(PATHS), choices=PATHS,
                        help="which to measure (the API path always runs: every ratio is to it)")
    parser.add_argument("--no-recheck", action="store_true",
                        help="skip the incremental run with re-checks after the API and hybrid paths' full runs")
    args = parser.parse_args()
    variant = dict(item.split("=", 1) for item in args.variant)
    recheck = not args.no_recheck
    figures: dict[str, Any] = {"variant": variant}
    targets: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-people-") as tmp_name:
        tmp = Path(tmp_name)
        api = figures["api_path"] = run_path(tmp, args.per_board, "http", variant, recheck)
        if "hybrid" in args.paths:
            hybrid = figures["hybrid_path"] = run_path(tmp, args.per_board, "hybrid", variant, recheck)
            value = ratio(hybrid["messages_per_s"], api["messages_per_s"])
            targets["hybrid_vs_api_messages_per_s"] = {"value": value, "target": ">= 0.5", "met": value >= 0.5}
            targets["hybrid_browser_pss_mib"] = {"value": hybrid["browser_pss_mib"], "target": "< 1024",
                                                 "met": hybrid["browser_pss_mib"] < 1024}
            if recheck:
                value = ratio(hybrid["recheck_run"]["messages_per_s"], api["recheck_run"]["messages_per_s"])
                targets["hybrid_vs_api_recheck_run_messages_per_s"] = {"value": value, "target": ">= 0.5",
                                                                        "met": value >= 0.5}
        if "browser" in args.paths:
            browser = figures["browser_path"] = run_path(tmp, args.browser_per_board, "browser", variant, False)
            figures["browser_cost_per_message_vs_api"] = {
                "seconds": ratio(api["messages_per_s"], browser["messages_per_s"]),
                "cpu_seconds": ratio(browser["cpu_seconds_per_message"], api["cpu_seconds_per_message"])}
        if "lists" in args.paths:
            lists = figures["list_render"] = run_list_render(tmp, args.per_board, variant)
            targets["list_render_messages_per_s"] = {"value": lists["messages_per_s"], "target": ">= 100",
                                                     "met": lists["messages_per_s"] >= 100}
    figures["load_average"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    figures["targets"] = targets
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
