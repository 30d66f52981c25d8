"""The gate names the reply field the store could not hold, and quarantine ids are cleaned for every database
(survivors of a mutmut run over harvester/pipelines/storable.py)."""

from __future__ import annotations

from datetime import datetime

from harvester.pipelines.storable import QUARANTINE_ID_LIMIT, message_problems, quarantine_id
from harvester.schema import Reply
from harvester.timeutil import SHANGHAI
from tests.store.builders import letter


def problems_with(reply: Reply) -> list[str]:
    return message_problems(letter(replies=(reply,)))


def test_a_valid_reply_passes() -> None:
    assert problems_with(Reply(text="已转交市住建局办理。", external_id="R1")) == []


def test_a_reply_id_longer_than_its_column_is_refused_naming_the_field() -> None:
    [problem] = problems_with(Reply(text="已转交。", external_id="R" * 129))
    assert problem.startswith("replies[0].external_id")


def test_a_nul_in_a_reply_text_is_refused_naming_the_field() -> None:
    [problem] = problems_with(Reply(text="已转交\x00市住建局。"))
    assert problem.startswith("replies[0].text")


def test_a_reply_time_out_of_range_is_refused_naming_the_field() -> None:
    [problem] = problems_with(Reply(text="已转交。", replied_at=datetime(1, 1, 2, tzinfo=SHANGHAI)))
    assert problem.startswith("replies[0].replied_at")


def test_a_quarantine_id_loses_nul_and_lone_surrogates_and_is_cut_to_its_column() -> None:
    assert quarantine_id("AH\x0026\ud800X") == "AH26?X"
    assert quarantine_id("9" * 300) == "9" * QUARANTINE_ID_LIMIT
    assert quarantine_id("\x00") is None and quarantine_id(42) is None
