"""Crash-point sweep: stop a harvest at every write boundary and a push at every outbox transition, in turn,
rerun, and compare with the replica's ground truth (tests/crashsweep.py says what "exact" means).

Usage: python bench/crash_sweep.py [--backends sqlite,postgres] [--only harvest|push] [--points P,P]
                                   [--phases first,incremental] [--from-occurrence N] [--max-occurrences N]
Each crash point is tried at its 1st, 2nd, … arrival until a run no longer reaches it (or N). PostgreSQL is
HARVESTER_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Prints one line per
scenario and a summary; exits 1 if any scenario was not exact.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402

from harvester.runs_debug import HARVEST_POINTS, PUSH_POINTS  # noqa: E402
from tests.crashsweep import (  # noqa: E402
    HELD,
    PHASES,
    BackOffice,
    Harvested,
    NotReached,
    back_office,
    harvest_problems,
    harvest_scenario,
    push_problems,
    push_scenario,
)
from tests.store.conftest import PG_URL, database  # noqa: E402


class Tally:
    def __init__(self) -> None:
        self.exact, self.failed, self.started = 0, [], time.monotonic()

    def report(self, label: str, problems: list[str], seconds: float) -> None:
        verdict = "exact" if not problems else "NOT EXACT: " + "; ".join(problems)
        print(f"{label:<58} {seconds:5.1f}s  {verdict}", flush=True)
        if problems:
            self.failed.append(label)
        else:
            self.exact += 1


FIRST = 1  # the first arrival tried (--from-occurrence)


def occurrences(point: str, limit: int, attempt: Callable[[str], list[str]], label: str, tally: Tally) -> None:
    """Try `point@1`, `point@2`, … until a run no longer reaches it."""
    for nth in range(FIRST, limit + 1):
        started = time.monotonic()
        try:
            problems = attempt(f"{point}@{nth}")
        except NotReached:
            print(f"{label} {point}@{nth}: not reached (the point is passed {nth - 1} time(s))", flush=True)
            return
        tally.report(f"{label} {point}@{nth}", problems, time.monotonic() - started)


def sweep_harvest(reference: Harvested, backend: str, points: list[str], phases: list[str], limit: int,
                  tally: Tally) -> None:
    for point in points:
        for phase in phases:
            def attempt(crash_at: str, phase: str = phase) -> list[str]:
                with tempfile.TemporaryDirectory() as name, database(backend, Path(name)) as db_url:
                    return harvest_problems(harvest_scenario(Path(name), db_url, crash_at, phase), reference)
            occurrences(point, limit, attempt, f"{backend:<8} {phase:<11}", tally)


def sweep_push(office: BackOffice, backend: str, points: list[str], limit: int, tally: Tally) -> None:
    def attempt(crash_at: str) -> list[str]:
        with tempfile.TemporaryDirectory() as name, database(backend, Path(name)) as db_url:
            case, store = push_scenario(office, db_url, Path(name), crash_at)
            try:
                return push_problems(office, case, store)
            finally:
                store.close()

    for point in points:
        if point in HELD:  # the replica holds the first POST: one occurrence
            started = time.monotonic()
            try:
                tally.report(f"{backend:<8} push        {point}", attempt(point), time.monotonic() - started)
            except NotReached:
                print(f"{backend} push {point}: not reached", flush=True)
        else:
            occurrences(point, limit, attempt, f"{backend:<8} push       ", tally)


def postgres_answers() -> bool:
    engine = create_engine(PG_URL)
    try:
        with engine.connect():
            return True
    except Exception as error:  # noqa: BLE001 - reported, then that backend is left out
        print(f"PostgreSQL at {PG_URL} does not answer ({type(error).__name__}): left out", flush=True)
        return False
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--only", choices=("harvest", "push"))
    parser.add_argument("--points", default="", help="comma-separated crash points (default: all)")
    parser.add_argument("--phases", default=",".join(PHASES), help="harvests to crash: first, incremental")
    parser.add_argument("--max-occurrences", type=int, default=30)
    parser.add_argument("--from-occurrence", type=int, default=1, help="skip the arrivals before this one")
    args = parser.parse_args()
    global FIRST
    FIRST = args.from_occurrence
    backends = [b for b in args.backends.split(",") if b != "postgres" or postgres_answers()]
    chosen = [p for p in args.points.split(",") if p]
    harvest_points = [p for p in HARVEST_POINTS if not chosen or p in chosen]
    push_points = [p for p in [*PUSH_POINTS, *HELD] if not chosen or p in chosen]
    tally = Tally()
    if args.only != "push" and harvest_points:
        with tempfile.TemporaryDirectory() as name:  # the same scenario without a crash
            reference = harvest_scenario(Path(name), f"sqlite:///{Path(name) / 'reference.db'}")
        for backend in backends:
            sweep_harvest(reference, backend, harvest_points, args.phases.split(","), args.max_occurrences, tally)
    if args.only != "harvest" and push_points:
        with tempfile.TemporaryDirectory() as name, back_office(Path(name), letters=3000) as office:
            for backend in backends:
                sweep_push(office, backend, push_points, args.max_occurrences, tally)
    minutes = (time.monotonic() - tally.started) / 60
    failed = f" ({', '.join(tally.failed)})" if tally.failed else ""
    print(f"\n{tally.exact + len(tally.failed)} crash scenarios on {', '.join(backends)} in {minutes:.1f} min: "
          f"{tally.exact} exact, {len(tally.failed)} not exact{failed}")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
