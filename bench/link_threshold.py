"""Benchmark: the linking threshold (一稿多投) measured on real letters, with the project's own shingles and sketches.

Usage: python bench/link_threshold.py LETTERS.csv [--encoding gb18030] [--body 反映内容] [--time 反映时间]
                                      [--title 反映标题] [--review LOW HIGH]
Fetches nothing and keeps nothing: the letters are read from the path given (e.g. the 3,773 Dalian letters of
jamesfyp/WaiBaoSpider, GB18030; their licence is unclear, so they stay out of this repository).

Prints, for pairs of different letters (bodies not identical once normalised; identical ones are reported
apart, as 一稿多投 or template letters):
- the distribution of each letter's best-match Jaccard similarity (3-gram shingles, harvester/textsim.py);
- for thresholds 0.60-0.95, how many letters would be linked (an upper bound of false links: a near-copy by the
  same citizen is a true link; `--review` prints the pairs of a band with what differs, to tell them apart);
- the candidate recall of the store's lookup (bottom-k sketches, stock-phrase hashes skipped, at most
  CANDIDATES compared; harvester/store/links.py) against exact Jaccard;
- the recall of synthetic near-copies made from the real letters (other punctuation, an added greeting,
  a truncated copy, a few characters changed), per threshold.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harvester.store.links import CANDIDATES, COMMON, WINDOW  # noqa: E402
from harvester.textsim import MIN_CHARS, MIN_SHARED, MIN_SIMILARITY, normalised, shingles, similarity, sketch  # noqa: E402

THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
FLOOR = 0.3  # pairs below this are counted, not kept (a pair's Jaccard is at most its size ratio)


@dataclass(frozen=True, slots=True)
class Letter:
    body: str
    title: str
    posted: datetime | None
    hashes: frozenset[int]


def load(path: Path, encoding: str, body: str, when: str, title: str) -> list[Letter]:
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [Letter(r[body], r.get(title, ""), _time(r.get(when, "")), shingles(r[body])) for r in rows]


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def near(a: Letter, b: Letter) -> bool:
    """Posted within the store's linking window of each other (unknown times count as near)."""
    return a.posted is None or b.posted is None or abs(a.posted - b.posted) <= WINDOW


# --- identical bodies ---------------------------------------------------------------------------------------
def duplicates(letters: list[Letter]) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, letter in enumerate(letters):
        if letter.hashes:
            groups[normalised(letter.body)].append(index)
    found = [members for members in groups.values() if len(members) > 1]
    spans = [_span(letters, members) for members in found]
    titles = sum(len({letters[i].title for i in members}) == 1 for members in found)
    print(f"\nidentical bodies (normalised): {len(found)} groups, {sum(map(len, found))} letters; sizes "
          f"{dict(sorted(Counter(map(len, found)).items()))}")
    print(f"  members posted within one day: {sum(s <= timedelta(days=1) for s in spans)} groups, within "
          f"{WINDOW.days} days: {sum(s <= WINDOW for s in spans)}, further apart: {sum(s > WINDOW for s in spans)}; "
          f"one title for all members: {titles} groups")


def _span(letters: list[Letter], members: list[int]) -> timedelta:
    times = [posted for i in members if (posted := letters[i].posted) is not None]
    return max(times) - min(times) if len(times) > 1 else timedelta(0)


# --- pairs of different letters -----------------------------------------------------------------------------
def pairs(letters: list[Letter]) -> tuple[list[tuple[float, int, int]], list[float], list[float]]:
    """Every pair of different bodies scoring >= FLOOR, and each letter's best match (all, within the window)."""
    keys = [normalised(letter.body) for letter in letters]
    index = [i for i, letter in enumerate(letters) if letter.hashes]
    best, best_near = [0.0] * len(letters), [0.0] * len(letters)
    found = []
    for position, i in enumerate(index):
        a = letters[i].hashes
        for j in index[position + 1:]:
            b = letters[j].hashes
            if min(len(a), len(b)) < FLOOR * max(len(a), len(b)) or keys[i] == keys[j]:
                continue
            score = similarity(a, b)
            if score < FLOOR:
                continue
            found.append((score, i, j))
            best[i], best[j] = max(best[i], score), max(best[j], score)
            if near(letters[i], letters[j]):
                best_near[i], best_near[j] = max(best_near[i], score), max(best_near[j], score)
    return found, [best[i] for i in index], [best_near[i] for i in index]


def distribution(best: list[float]) -> None:
    bins = Counter(min(int(score * 20) / 20, 0.95) if score >= FLOOR else 0.0 for score in best)
    print(f"\nbest-match similarity of each letter to a different one ({len(best)} letters with shingles): "
          f"median {statistics.median(best):.3f}, 90th percentile {statistics.quantiles(best, n=10)[-1]:.3f}, "
          f"99th {statistics.quantiles(best, n=100)[-1]:.3f}")
    for low in sorted(bins):
        label = f"< {FLOOR:.2f}" if low == 0.0 else f"{low:.2f}-{low + 0.05:.2f}"
        print(f"  {label:>10}  {bins[low]:5d}  {'#' * max(1, round(60 * bins[low] / len(best)))}")


def linked_at(best_near: list[float], found: list[tuple[float, int, int]], letters: list[Letter]) -> None:
    print(f"\nletters linked to a different letter within {WINDOW.days} days, by threshold (an upper bound of false "
          f"links: review a band with --review)")
    within = [p for p in found if near(letters[p[1]], letters[p[2]])]
    for threshold in THRESHOLDS:
        count = sum(score >= threshold for score in best_near)
        mark = "  <- MIN_SIMILARITY" if abs(threshold - MIN_SIMILARITY) < 1e-9 else ""
        print(f"  >= {threshold:.2f}: {count:4d} letters ({count / len(best_near):6.2%}), "
              f"{sum(p[0] >= threshold for p in within):4d} pairs{mark}")


# --- the store's candidate lookup ---------------------------------------------------------------------------
def candidates(letters: list[Letter]) -> dict[int, set[int]]:
    """For each letter, the letters the store would compare it with: within the window, sharing >= MIN_SHARED
    sketch hashes that no more than COMMON sketches hold, the CANDIDATES sharing most."""
    sketches = {i: sketch(letter.hashes) for i, letter in enumerate(letters) if letter.hashes}
    held = Counter(value for values in sketches.values() for value in values)
    postings: dict[int, list[int]] = defaultdict(list)
    for i, values in sketches.items():
        for value in values:
            postings[value].append(i)
    found: dict[int, set[int]] = {}
    for i, values in sketches.items():
        shared = Counter(j for value in values if held[value] <= COMMON for j in postings[value] if j != i)
        ranked = sorted(((n, j) for j, n in shared.items() if n >= MIN_SHARED and near(letters[i], letters[j])),
                        key=lambda item: (-item[0], item[1]))
        found[i] = {j for _, j in ranked[:CANDIDATES]}
    return found


def candidate_recall(found: list[tuple[float, int, int]], letters: list[Letter]) -> None:
    lookup = candidates(letters)
    print(f"\ncandidate recall of the store's lookup (bottom-{len(sketch(frozenset(range(100))))} sketch, "
          f">= {MIN_SHARED} shared, hashes in > {COMMON} sketches skipped, <= {CANDIDATES} compared) vs exact Jaccard")
    for threshold in THRESHOLDS:
        wanted = [(i, j) for score, i, j in found if score >= threshold and near(letters[i], letters[j])]
        hit = sum(j in lookup[i] or i in lookup[j] for i, j in wanted)
        print(f"  pairs >= {threshold:.2f}: {hit}/{len(wanted)} found ({hit / len(wanted) if wanted else 1:.1%})")


# --- synthetic near-copies ----------------------------------------------------------------------------------
_HALF = str.maketrans("，。！？：；（）“”、", ",.!?:;()\"\",")
GREETING, CLOSING = "尊敬的领导：您好！", "恳请有关部门尽快处理，盼复，谢谢！"


def _typos(text: str, rng: random.Random, count: int = 3) -> str:
    chars = list(text)
    for _ in range(count):
        position = rng.randrange(len(chars))
        chars[position] = "某" if chars[position] != "某" else "此"
    return "".join(chars)


EDITS: dict[str, Callable[[str, random.Random], str]] = {
    "punctuation": lambda t, _: t.translate(_HALF).replace("\n", " "),
    "greeting": lambda t, _: GREETING + t + CLOSING,
    "cut 90%": lambda t, _: t[:int(len(t) * 0.9)],
    "cut 75%": lambda t, _: t[:int(len(t) * 0.75)],
    "3 chars changed": _typos,
    "greeting + cut 90%": lambda t, _: GREETING + t[:int(len(t) * 0.9)],
}


def synthetic(letters: list[Letter], seed: int = 7) -> None:
    rng = random.Random(seed)
    sources = [letter for letter in letters if letter.hashes]
    print(f"\nsynthetic near-copies of {len(sources)} real letters: recall (copy scores >= threshold and shares "
          f">= {MIN_SHARED} sketch hashes with its original), by threshold")
    print("  " + f"{'edit':<20}" + "".join(f"{t:>7.2f}" for t in THRESHOLDS) + "   median score")
    for name, edit in EDITS.items():
        scores = []
        for letter in sources:
            copy = shingles(edit(letter.body, rng))
            shared = len(set(sketch(letter.hashes)) & set(sketch(copy)))
            scores.append(similarity(letter.hashes, copy) if shared >= MIN_SHARED else 0.0)
        cells = "".join(f"{sum(s >= t for s in scores) / len(scores):7.1%}" for t in THRESHOLDS)
        print(f"  {name:<20}{cells}   {statistics.median(scores):.3f}")
    short = [letter for letter in sources if len(normalised(letter.body)) < 100]
    greeted = [similarity(letter.hashes, shingles(EDITS["greeting"](letter.body, rng))) for letter in short]
    print(f"  greeting on the {len(short)} letters under 100 characters: "
          + ", ".join(f">= {t:.2f} {sum(s >= t for s in greeted) / len(greeted):.0%}" for t in (0.8, 0.85, 0.9)))


def review(found: list[tuple[float, int, int]], letters: list[Letter], low: float, high: float) -> None:
    """The pairs of a band with their titles, days apart and what differs (for a person to judge; not stored)."""
    print(f"\npairs scoring {low:.2f}-{high:.2f}:")
    for score, i, j in sorted((p for p in found if low <= p[0] < high), reverse=True):
        a, b = normalised(letters[i].body), normalised(letters[j].body)
        ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        changed = [(a[i1:i2][:20], b[j1:j2][:20]) for tag, i1, i2, j1, j2 in ops if tag != "equal"][:4]
        first, second = letters[i].posted, letters[j].posted
        days = abs((first - second).days) if first is not None and second is not None else None
        print(f"  {score:.3f} {days}d #{i} {letters[i].title[:16]} | #{j} {letters[j].title[:16]} | {changed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("letters", type=Path, nargs="?", help="CSV of letters (nothing is fetched)")
    parser.add_argument("--encoding", default="gb18030")
    parser.add_argument("--body", default="反映内容")
    parser.add_argument("--time", default="反映时间")
    parser.add_argument("--title", default="反映标题")
    parser.add_argument("--review", nargs=2, type=float, metavar=("LOW", "HIGH"))
    args = parser.parse_args()
    if args.letters is None:
        parser.error("give the path of a CSV of letters (e.g. the Dalian letters of jamesfyp/WaiBaoSpider)")
    started = time.monotonic()
    letters = load(args.letters, args.encoding, args.body, args.time, args.title)
    usable = sum(bool(letter.hashes) for letter in letters)
    lengths = [len(normalised(letter.body)) for letter in letters]
    print(f"{len(letters)} letters, median {statistics.median(lengths):.0f} characters; {len(letters) - usable} under "
          f"{MIN_CHARS} characters (never linked); MIN_SIMILARITY {MIN_SIMILARITY}, window {WINDOW.days} days")
    duplicates(letters)
    found, best, best_near = pairs(letters)
    distribution(best)
    linked_at(best_near, found, letters)
    candidate_recall(found, letters)
    synthetic(letters)
    if args.review:
        review(found, letters, *args.review)
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
