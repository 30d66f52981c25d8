"""Crash-point sweeps: stop a harvest or a push at one write boundary (HARVESTER_DEBUG_CRASH_AT, or the replica
holding a post on the wire), rerun, and compare the store and the platform with the replica's ground truth.

Used by tests/integration/test_crash_sweep.py (a sample of points) and bench/crash_sweep.py (all of them).
A harvest scenario: the 长沙 mailbox replica (generic spider) harvested, moved on six 4-hour steps, harvested
again; the crash comes in the first or in the second (incremental) harvest, followed by a clean rerun. Exact
means: every public letter stored once as the site shows it, the feed's events the same as a run without the
crash, every run with an outcome, the cursor at the newest letter. A push scenario: two approved replies, a
draft and an approved reply changed behind its approval's back, pushed to the jact back office; exact means
one reply per approved text on the platform and never another text.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from harvester.app.replies import Outbox
from harvester.runs_debug import CRASHED, SETTING
from harvester.schema import Message
from harvester.secrets import env_name
from harvester.store.db import Store
from harvester.store.outbox.models import OutboxRow
from harvester.timeutil import utcnow
from harvester.vocab import Status
from spiders.jact.pages import detail_url
from tests.harvesting import ROOT, harvester_env, write_config
from tests.replicahost import control, replica_process

SITE, SLUG, BOARD = "changsha", "changsha_szxx", "1"
SITE_OPTIONS = {"letters": 40}
BATCH = "8"  # 36 public letters at first: the cursor's batch holds 4 of them (a multiple would leave it alone)
STEPS = 6
PHASES = ("first", "incremental")
JACT = "jact_demo"
HELD = {"request_sent": "before_store", "platform_stored": "after_store"}  # the replica holds the POST
PUSH_HOOKS = ("push.claimed", "push.attempt_counted", "push.answered")


class NotReached(Exception):  # noqa: N818 - an answer, not an error
    """The process finished without reaching the named occurrence of the crash point."""


@dataclass(frozen=True)
class Harvested:
    """What a scenario left in the store, and the site's ground truth at the end."""

    messages: dict[str, dict[str, Any]]
    rows: int
    events: Counter[tuple[str, str]]
    event_rows: int
    distinct_events: int
    outcomes: list[str]
    cursor: str | None
    truth: list[dict[str, Any]]


def run_harvest(config: Path, crash_at: str | None = None) -> None:
    """One `harvester harvest` process; with `crash_at`, it must die there (NotReached when it finishes)."""
    extra = {"HARVESTER_BATCH_SIZE": BATCH, "HARVESTER_RECHECK_AFTER_HOURS": "0"}
    if crash_at:
        extra[SETTING] = crash_at
    done = subprocess.run([sys.executable, "-m", "harvester", "harvest", SLUG], cwd=ROOT, text=True,
                          capture_output=True, timeout=240, env=harvester_env(config, **extra))
    if crash_at is None:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return
    if done.returncode != -signal.SIGKILL or f"{CRASHED} {crash_at}" not in done.stderr:
        assert done.returncode == 0, done.stderr[-3000:]
        raise NotReached(crash_at)


def harvest_scenario(tmp: Path, db_url: str, crash_at: str | None = None, phase: str = "first") -> Harvested:
    """Harvest, move the site on, harvest again; crash the `phase` harvest at `crash_at`, then rerun it."""
    with replica_process(tmp, [SITE], options={SITE: SITE_OPTIONS}) as urls:
        config = write_config(tmp, db_url, {SLUG: urls[SITE]})
        for current in PHASES:
            if current == "incremental":
                control(urls[SITE], "advance", {"steps": STEPS})
            if crash_at and current == phase:
                run_harvest(config, crash_at)
            run_harvest(config)
        truth = control(urls[SITE], f"{SITE}/letters")
    with Store.open(db_url) as store, store.transaction() as repo:
        messages = list(repo.iter_messages(platform=SLUG))
        feed = repo.events_since(0, limit=100_000)
        runs = repo.latest_runs(limit=20, platform=SLUG)
        cursor = repo.get_cursor(SLUG, BOARD)
    return Harvested(messages={m["external_id"]: m for m in messages}, rows=len(messages),
                     events=Counter((e["external_id"], e["kind"]) for e in feed), event_rows=len(feed),
                     distinct_events=len({(e["external_id"], e["kind"], str(e["payload"])) for e in feed}),
                     outcomes=[r["outcome"] for r in runs], cursor=cursor, truth=truth)


def harvest_problems(got: Harvested, reference: Harvested) -> list[str]:
    """How the store differs from the site's ground truth and from the same scenario without a crash."""
    public = {letter["id"]: letter for letter in got.truth if letter["public"]}
    found = []
    if set(got.messages) != set(public) or got.rows != len(public):
        found.append(f"stored {got.rows} rows for {len(public)} public letters; lost "
                     f"{sorted(set(public) - set(got.messages))}, unexpected {sorted(set(got.messages) - set(public))}")
    for letter_id, letter in public.items():
        message = got.messages.get(letter_id)
        if message is None:
            continue
        reply = letter["reply"]
        shown = (letter["title"], letter["body"], [reply["text"]] if reply else [], "replied" if reply else "in_progress")
        if (message["title"], message["body"], [r["text"] for r in message["replies"]], message["status"]) != shown:
            found.append(f"letter {letter_id} stored unlike the site")
    if got.events != reference.events:
        found.append(f"events differ from a run without the crash: extra {got.events - reference.events}, "
                     f"missing {reference.events - got.events}")
    if got.distinct_events != got.event_rows:
        found.append(f"{got.event_rows - got.distinct_events} repeated event(s)")
    if "running" in got.outcomes or got.outcomes[0] != "succeeded":
        found.append(f"runs: {got.outcomes}")
    newest = next(letter["id"] for letter in got.truth if letter["public"])
    if got.cursor != str(newest):
        found.append(f"cursor {got.cursor}, newest letter {newest}")
    return found


# --- pushes --------------------------------------------------------------------------------------------
@dataclass
class BackOffice:
    """The jact replica's back office, shared by push scenarios; each takes letters nobody replied to yet."""

    base: str
    accounts: list[dict[str, Any]]
    used: set[int]

    def letters(self) -> dict[int, dict[str, Any]]:
        return {x["id"]: x for x in control(self.base, "jact/letters")}

    def texts_on(self, letter_id: int) -> list[str]:
        return [r["text"] for r in self.letters()[letter_id]["replies"]]


@contextmanager
def back_office(tmp: Path, letters: int = 400) -> Iterator[BackOffice]:
    """The jact replica; each push scenario takes two open letters of one unit (a sweep needs more letters)."""
    with replica_process(tmp, ["jact"], options={"jact": {"letters": letters}}) as urls:
        yield BackOffice(urls["jact"], control(urls["jact"], "jact/accounts"), set())


@dataclass(frozen=True)
class PushCase:
    """Two approved replies (one per letter), a draft, and an approved reply whose text changed in the table."""

    approved: dict[int, tuple[int, str]]  # reply id -> (letter id, approved text)
    never: dict[int, tuple[int, str]]  # reply id -> (letter id, a text that must never be posted)
    account: dict[str, Any]


def _message(base: str, letter: dict[str, Any]) -> Message:
    return Message(platform=JACT, external_id=str(letter["id"]), url=detail_url(base, "6", str(letter["id"])),
                   board_id="6", addressee="市长信箱", title=letter["title"], body=letter["body"],
                   status=Status.IN_PROGRESS, status_raw="办理中",
                   posted_at=datetime.fromisoformat(letter["posted_at"]), fetched_at=utcnow())


def push_case(office: BackOffice, store: Store) -> PushCase:
    letters = office.letters()

    def open_letters(unit: str) -> list[dict[str, Any]]:
        return [x for x in letters.values() if x["unit"] == unit and x["status"] == "办理中" and x["public"]
                and not x["replies"] and x["id"] not in office.used]

    account = next(a for a in office.accounts if len(open_letters(a["unit"])) >= 2)
    mine = open_letters(account["unit"])[:2]
    office.used.update(x["id"] for x in mine)
    with store.transaction() as repo:
        run = repo.start_run(JACT, os.getpid())
        repo.upsert_messages([_message(office.base, x) for x in mine], run, utcnow())
        repo.finish_run(run, "succeeded", {})
    box, user, unit = Outbox(store), account["username"], account["unit"]
    approved, never = {}, {}
    for n, letter in enumerate(mine):
        text = f"您好，来信反映的第{n + 1}个问题已由{unit}核实办理。"
        reply = box.add(JACT, str(letter["id"]), text, unit, user, "oa-system")
        approved[box.approve(reply.id, "张科长", content_hash=reply.content_hash).id] = (letter["id"], text)
    draft = box.add(JACT, str(mine[0]["id"]), "尚未审核的草稿答复。", unit, user, "oa-system")
    never[draft.id] = (mine[0]["id"], draft.text)
    tampered = box.add(JACT, str(mine[1]["id"]), "审核通过的原文。", unit, user, "oa-system")
    box.approve(tampered.id, "张科长", content_hash=tampered.content_hash)
    with store.engine.begin() as connection:
        connection.execute(update(OutboxRow).where(OutboxRow.id == tampered.id).values(text="审核后被改动的文字。"))
    never[tampered.id] = (mine[1]["id"], "审核后被改动的文字。")
    return PushCase(approved, never, account)


def _push_env(config: Path, account: dict[str, Any], **extra: str) -> dict[str, str]:
    secrets = {env_name(JACT, account["username"], name): account[name]
               for name in ("username", "password", "totp_secret")}
    return harvester_env(config, **secrets, **extra)


PUSH = [sys.executable, "-m", "harvester.app.cli.replies", "push"]


def _until(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 90
    while not condition():
        if process.poll() is not None:
            raise NotReached(what)
        assert time.monotonic() < deadline, f"{what}: not seen within 90 s"
        time.sleep(0.05)


def crashed_push(office: BackOffice, case: PushCase, config: Path, crash_at: str) -> None:
    """A push killed at `crash_at`: a hook point (`push.claimed@2`) or the replica holding the first POST
    before (`request_sent`) or after (`platform_stored`) it stored the reply."""
    held = HELD.get(crash_at)
    if held is None:
        done = subprocess.run(PUSH, cwd=ROOT, capture_output=True, text=True, timeout=180,
                              env=_push_env(config, case.account, **{SETTING: crash_at}))
        if done.returncode != -signal.SIGKILL or f"{CRASHED} {crash_at}" not in done.stderr:
            raise NotReached(crash_at)
        return
    control(office.base, "jact/faults", {held: "hold", "hold_s": 300})
    first_letter = next(iter(case.approved.values()))[0]
    process = subprocess.Popen(PUSH, cwd=ROOT, env=_push_env(config, case.account), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _until(lambda: control(office.base, "jact/faults")[held] == [], process, crash_at)
        if held == "after_store":
            _until(lambda: bool(office.texts_on(first_letter)), process, crash_at)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the push and its browser
        process.wait()
        control(office.base, "jact/faults", {"disarm": True})


def push_scenario(office: BackOffice, db_url: str, tmp: Path, crash_at: str | None) -> tuple[PushCase, Store]:
    """Stage a case, crash a push at `crash_at` (if any), then push again to the end."""
    store = Store.open(db_url)
    case = push_case(office, store)
    config = write_config(tmp, db_url, {JACT: office.base})
    if crash_at:
        crashed_push(office, case, config, crash_at)
    subprocess.run(PUSH, cwd=ROOT, capture_output=True, text=True, timeout=180, env=_push_env(config, case.account))
    return case, store


def push_problems(office: BackOffice, case: PushCase, store: Store) -> list[str]:
    """Exactly one reply per approved text on the platform, never another text, the outbox in agreement."""
    found, box = [], Outbox(store)
    letters = {letter_id for letter_id, _ in [*case.approved.values(), *case.never.values()]}
    shown = {letter_id: office.texts_on(letter_id) for letter_id in letters}
    expected = {letter_id: [text for lid, text in case.approved.values() if lid == letter_id] for letter_id in letters}
    if shown != expected:
        found.append(f"on the platform {shown}, approved {expected}")
    for reply_id in case.approved:
        view = box.get(reply_id)
        if view.state != "posted" or not view.platform_reply_id:
            found.append(f"reply {reply_id}: {view.state} ({view.reason})")
    for reply_id in case.never:
        if box.get(reply_id).state != "draft":
            found.append(f"unapproved reply {reply_id}: {box.get(reply_id).state}")
    return found
