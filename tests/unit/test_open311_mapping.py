"""Message.open311() against GeoReport v2 (wiki.open311.org/GeoReport_v2): the field names of the spec's own
example responses, unique ids across platforms, service_code present, w3 times, 4,000-character descriptions."""

from __future__ import annotations

from datetime import datetime

from harvester.app.api.open311 import parse_request_id, service_request, services
from harvester.schema import Message
from harvester.vocab import Kind, Status
from tests.store.builders import REPLY, letter

# The keys of the spec's example "GET Service Requests" JSON response (service_request_id 638344 …).
SPEC_REQUEST_KEYS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                     "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                     "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
# The keys of the spec's example "GET Service List" JSON response.
SPEC_SERVICE_KEYS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUIRED = {"service_request_id", "status", "service_code", "service_name", "requested_datetime"}


def test_a_request_uses_only_the_specs_fields_and_has_the_required_ones() -> None:
    mapped = letter("25445483").open311()
    assert set(mapped) <= SPEC_REQUEST_KEYS and REQUIRED <= set(mapped)
    assert mapped["status"] in ("open", "closed") and mapped["service_code"] == "complain"
    assert mapped["service_name"] == "投诉"


def test_the_same_platform_id_on_two_platforms_gives_two_request_ids() -> None:
    a, b = letter("1001").open311(), letter("1001", platform="people_demo").open311()
    assert a["service_request_id"] != b["service_request_id"]
    assert parse_request_id(a["service_request_id"]) == ("jact_demo", "1001")


def test_an_external_id_holding_dashes_round_trips() -> None:
    message = letter("XF2025-11-0031")
    assert parse_request_id(message.open311()["service_request_id"]) == ("jact_demo", "XF2025-11-0031")
    assert parse_request_id("nodash") is None and parse_request_id("-1") is None


def test_times_are_w3_with_a_zone_and_the_description_is_cut_to_4000_characters() -> None:
    mapped = letter(body="长" * 5000, updated_at=None).open311()
    assert datetime.fromisoformat(mapped["requested_datetime"]).utcoffset() is not None
    assert len(mapped["description"]) == 4000


def test_status_maps_open_and_closed_and_the_replying_unit_is_responsible() -> None:
    assert letter(status=Status.IN_PROGRESS, status_raw="办理中").open311()["status"] == "open"
    replied = letter(status=Status.REPLIED, status_raw="已回复", replies=(REPLY,)).open311()
    assert replied["status"] == "closed" and replied["agency_responsible"] == "市住建局"


def test_services_follow_the_specs_service_list_and_cover_every_kind() -> None:
    listed = services()
    assert all(set(service) == SPEC_SERVICE_KEYS for service in listed)
    assert {s["service_code"] for s in listed} == {k.value for k in Kind}
    assert all(s["metadata"] is False and s["type"] == "realtime" for s in listed)


def test_a_stored_record_maps_as_the_message_does() -> None:
    message = letter("1001", replies=(REPLY,))
    record = {name: getattr(message, name) for name in Message.__dataclass_fields__ if name != "source"}
    record |= {"status": message.status.value, "kind": message.kind.value, "topic": message.topic.value,
               "last_seen_at": message.fetched_at, "attachments": [],
               "replies": [{"text": REPLY.text, "organisation": REPLY.organisation, "replied_at": REPLY.replied_at,
                            "external_id": None, "author": None, "official": True, "title": None}]}
    assert service_request(record) == message.open311()
