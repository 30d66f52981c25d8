"""Whether two message bodies are the same citizen message: one posted to several platforms (一稿多投) or twice
on one, copied with small edits (another salutation, a word added, 十月 for 10月, other punctuation).

Bodies are compared as sets of overlapping character 3-grams of their normalised text (NFKC, lower case, no
whitespace, punctuation or symbols): two bodies are copies when the Jaccard similarity of their sets reaches
MIN_SIMILARITY. To find candidates without comparing every pair, each body keeps a bottom-k sketch (the
SKETCH_SIZE smallest shingle hashes); copies share most of their sketch, unrelated bodies almost none, so a
store looks up bodies sharing at least MIN_SHARED sketch hashes and compares only those.

The threshold is measured on 3,773 real letters of the Dalian mailbox (bench/link_threshold.py, figures in
docs/linking.md): every pair of different letters scoring 0.83 or more was the same matter (a citizen sending one
letter to several units, or again with a few words changed, or one collective text), while letters of different
citizens written on one template (another flat, estate or district named) scored up to 0.826; so copies link at 0.85,
where the sketch lookup finds every pair. Near-copies edited more than that (a greeting added to a short letter,
a quarter cut) are missed: linking errs on the side of keeping two citizens' letters apart. Pure functions; the
store side is harvester/store/links.py."""

from __future__ import annotations

import heapq
import re
import unicodedata
import zlib

SHINGLE = 3
MIN_CHARS = 40  # shorter bodies ("同上", "请尽快处理") say too little to link two messages by
SKETCH_SIZE = 16
MIN_SHARED = 4
MIN_SIMILARITY = 0.85  # near-verbatim: other punctuation, a unit named, a sentence added (templates: <= 0.83)
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)  # whitespace, punctuation (full-width ones fold under NFKC), symbols


def normalised(text: str) -> str:
    """Letters and digits only, NFKC-folded and lower-cased: what a copy keeps."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def shingles(text: str) -> frozenset[int]:
    """The body's 3-gram hashes (CRC-32: stable across processes and machines); empty when too short."""
    chars = normalised(text)
    if len(chars) < MIN_CHARS:
        return frozenset()
    return frozenset(zlib.crc32(chars[i:i + SHINGLE].encode("utf-8")) for i in range(len(chars) - SHINGLE + 1))


def sketch(hashes: frozenset[int]) -> list[int]:
    """The bottom-k sketch: the SKETCH_SIZE smallest hashes."""
    return heapq.nsmallest(SKETCH_SIZE, hashes)


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of two shingle sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
