"""Whether two message bodies are the same citizen message: one posted to several platforms (一稿多投) or twice
on one, copied with small edits (another salutation, a word added, 十月 for 10月, other punctuation).

Bodies are compared as sets of overlapping character 3-grams of their normalised text (NFKC, lower case, no
whitespace, punctuation or symbols): two bodies are copies when the Jaccard similarity of their sets reaches
MIN_SIMILARITY. To find candidates without comparing every pair, each body keeps a bottom-k sketch (the
SKETCH_SIZE smallest shingle hashes); copies share most of their sketch, unrelated bodies almost none, so a
store looks up bodies sharing at least MIN_SHARED sketch hashes and compares only those.

Measured on hand-made pairs (tests/unit/test_textsim.py): a copy with another greeting and other punctuation
scores above 0.8 and shares most of its sketch; another citizen's complaint written on the same pattern (another
estate, another month, another nuisance) scores below 0.5; a heavily rewritten copy (0.67) is not linked. The
replicas' generated letters are far more alike than real ones (pairs of different letters reach 0.9), which is
why linking is switched on per deployment (`link_copies`). Pure functions; the store side is
harvester/store/links.py."""

from __future__ import annotations

import heapq
import re
import unicodedata
import zlib

SHINGLE = 3
MIN_CHARS = 40  # shorter bodies ("同上", "请尽快处理") say too little to link two messages by
SKETCH_SIZE = 16
MIN_SHARED = 4
MIN_SIMILARITY = 0.8  # near-verbatim: another greeting, a few words, other punctuation
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
