"""Mutation score of the modules where a bug loses data or posts the wrong thing ([tool.mutmut] in pyproject.toml).

Usage: python bench/mutation_score.py [GLOB …] [--max-children N] [--keep DIR] [--from-worktree PATH …] [--sqlite-only]
GLOBs name mutants (`"harvester.pipelines*"`, `"spiders.scan*"`); none runs every configured module, which takes
long: on a shared machine run a few at a time. mutmut runs in a copy of the committed tree (git archive HEAD),
never in the work tree (`--from-worktree tests/unit/test_x.py …` takes those files from the work tree instead,
to see new tests kill mutants before they are committed); prints killed / survived / other counts, the score,
and each survivor's diff.
`--sqlite-only` leaves out the PostgreSQL half of the store tests (about twice as fast; the dialect branches of
upsert.py and feed.py then survive). Needs `pip install -e '.[mutation]'`, and PostgreSQL for the store tests
(HARVESTER_TEST_PG_URL).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mutmut(copy: Path, *args: str) -> str:
    command = shutil.which("mutmut") or "mutmut"  # its console script: `python -m mutmut` cannot start
    done = subprocess.run([command, *args], cwd=copy, capture_output=True, text=True)
    if done.returncode not in (0, 1) or "failed to collect stats" in done.stdout + done.stderr:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"mutmut {args[0]} failed ({done.returncode})")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("globs", nargs="*")
    parser.add_argument("--max-children", default="1")
    parser.add_argument("--keep", type=Path, help="run in this folder and leave it (to `mutmut browse` later)")
    parser.add_argument("--from-worktree", nargs="+", default=[], type=Path, metavar="PATH",
                        help="files (tests not committed yet) to take from the work tree rather than HEAD")
    parser.add_argument("--sqlite-only", action="store_true", help="store tests on SQLite only (-m 'not postgres')")
    args = parser.parse_args()
    copy = args.keep or Path(tempfile.mkdtemp(prefix="mutation-"))
    copy.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
    if args.sqlite_only:
        config = copy / "pyproject.toml"
        config.write_text(config.read_text().replace(
            "[tool.mutmut]\n", '[tool.mutmut]\npytest_add_cli_args = ["-m", "not postgres"]\n', 1))
    for path in args.from_worktree:
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, copy / path)
    mutmut(copy, "run", "--max-children", args.max_children, *args.globs)
    verdicts = {}
    for line in mutmut(copy, "results", "--all", "true").splitlines():
        name, _, verdict = line.strip().rpartition(": ")
        if name:
            verdicts[name] = verdict
    counts = Counter(verdicts.values())
    tried = counts["killed"] + counts["survived"]
    score = 100 * counts["killed"] / tried if tried else 0.0
    print(f"{len(verdicts)} mutants: " + ", ".join(f"{n} {v}" for v, n in counts.most_common()))
    print(f"score: {score:.1f}% killed of {tried} tested")
    for name, verdict in verdicts.items():
        if verdict == "survived":
            diff = [line for line in mutmut(copy, "show", name).splitlines() if line.startswith(("-", "+"))]
            print(f"\nsurvived {name}\n" + "\n".join(diff[2:]))
    if not args.keep:
        subprocess.run(["rm", "-rf", str(copy)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
