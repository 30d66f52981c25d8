"""`harvester fixtures record` writes cases that can be committed: citizens' phone and ID numbers are masked in the
page, its context and its expectation alike, so the conformance tests still hold on the masked page."""

from __future__ import annotations

import re
from pathlib import Path

from harvester.definition import definition_of
from harvester.fixtures import load_case
from harvester.registry import load_platforms
from spiders.generic.probe import list_pages
from spiders.generic.recorder import record
from spiders.generic.refresh import differences
from tests.replicahost import replica_process

MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def test_the_recorder_masks_pages_and_expectations_alike(tmp_path: Path) -> None:
    spec = load_platforms()["beijing_12345"]
    with replica_process(tmp_path, ["beijing12345"], options={"beijing12345": {"letters": 12}}) as urls:
        fetched = next(list_pages(spec, definition_of(spec), urls["beijing12345"], 1))
        assert MOBILE.search(fetched.snapshot.text), "the replica shows phone numbers: the test needs them"
        folders = record(spec, definition_of(spec), urls["beijing12345"], tmp_path / "fixtures", details=2)
    assert folders
    masked_phones = 0
    for folder in folders:
        for name in ("input.bin", "meta.json", "expected.json"):
            text = (folder / name).read_bytes().decode("utf-8")
            assert not MOBILE.search(text), f"{folder.name}/{name} shows a phone number"
            masked_phones += len(re.findall(r"1[3-9]\d\*{4}\d{4}", text))
        case = load_case(folder)
        assert differences(case, definition_of(spec)) == {}  # the masked page parses to the masked expectation
    assert masked_phones > 0
