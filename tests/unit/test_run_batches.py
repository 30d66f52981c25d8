"""How `harvester run` groups platforms into harvest processes."""

from __future__ import annotations

from harvester.app.operate import batches
from harvester.registry import Board, PlatformSpec


def spec(slug: str, family: str = "jact", fetch: str = "http") -> PlatformSpec:
    return PlatformSpec(slug=slug, name=slug, family=family, base_url="http://127.0.0.1:9",
                        boards=(Board(id="6", addressee="市长信箱"),), source=f"{slug}.toml", fetch=fetch)


def test_http_platforms_share_processes_in_order_up_to_the_batch_size() -> None:
    specs = {f"m{n:02d}": spec(f"m{n:02d}") for n in range(1, 8)}
    assert batches(list(specs), specs, 3) == [["m01", "m02", "m03"], ["m04", "m05", "m06"], ["m07"]]
    assert batches(list(specs), specs, 1) == [[slug] for slug in specs]


def test_platforms_that_may_drive_a_browser_get_a_process_of_their_own() -> None:
    specs = {"a": spec("a"), "shown": spec("shown", fetch="browser"), "b": spec("b"),
             "people": spec("people", family="people"), "c": spec("c")}
    assert batches(list(specs), specs, 10) == [["a", "b", "c"], ["shown"], ["people"]]


def test_only_the_due_platforms_are_batched() -> None:
    specs = {slug: spec(slug) for slug in ("a", "b", "c", "d")}
    assert batches(["d", "b"], specs, 10) == [["d", "b"]]


def test_a_family_that_cannot_be_loaded_shares_a_process_and_fails_there_alone() -> None:
    specs = {"a": spec("a"), "lost": spec("lost", family="no_such_family"), "b": spec("b")}
    assert batches(list(specs), specs, 10) == [["a", "lost", "b"]]
