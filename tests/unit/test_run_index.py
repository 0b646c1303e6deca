"""The run index's pure parts: key order, filters and their quoting, tokens, rows, counts."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from shared import run_index as ri

T0 = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)


def test_row_keys_sort_newest_first_and_break_ties_by_id():
    times = [T0 + dt.timedelta(microseconds=random.randrange(10**12)) for _ in range(500)]
    keys = [ri.row_key(t, f"onboard-{i}") for i, t in enumerate(times)]
    ordered = sorted(zip(keys, times, strict=True))
    assert [t for _, t in ordered] == sorted(times, reverse=True)
    same = sorted([ri.row_key(T0, "onboard-b"), ri.row_key(T0, "onboard-a")])
    assert same[0].endswith("onboard-a")
    assert len(ri.time_key(dt.datetime(1, 1, 1, tzinfo=dt.UTC))) == 19


def test_naive_times_are_utc_and_offsets_are_converted():
    assert ri.ticks(T0.replace(tzinfo=None)) == ri.ticks(T0)
    plus_two = dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert ri.ticks(plus_two) == ri.ticks(T0)


def test_time_range_is_a_row_key_range_that_includes_both_ends():
    query = ri.parse_list_query({"from": "2026-01-01T08:00:00Z", "to": "2026-01-02"})
    odata = query.odata()
    lower, upper = _bounds(odata)
    for moment in (T0, T0 + dt.timedelta(hours=39, minutes=59)):
        key = ri.row_key(moment, "onboard-x")
        assert lower <= key < upper, moment
    for moment in (T0 - dt.timedelta(microseconds=1), T0 + dt.timedelta(days=1, hours=16)):
        key = ri.row_key(moment, "onboard-x")
        assert not lower <= key < upper, moment


def _bounds(odata: str) -> tuple[str, str]:
    upper = odata.split("RowKey lt '")[1].split("'")[0]
    lower = odata.split("RowKey ge '")[1].split("'")[0]
    return lower, upper


def test_filters_quote_user_text_so_it_cannot_end_the_literal():
    query = ri.parse_list_query({"ticket": "x' or PartitionKey ne 'y", "team": "o'brien"})
    odata = query.odata()
    assert "ticketId eq 'x'' or PartitionKey ne ''y'" in odata
    assert "team eq 'o''brien'" in odata
    assert odata.startswith("PartitionKey eq 'run' and ")


def test_status_matches_runtime_status_or_outcome():
    odata = ri.parse_list_query({"status": "Compensated"}).odata()
    assert "(status eq 'Compensated' or outcome eq 'Compensated')" in odata


def test_every_filter_maps_to_its_property():
    params = {"ticket": "CHG-1", "team": "t", "workspace": "ws", "step": "dns",
              "requestedBy": "bob", "status": "Running"}  # fmt: skip
    odata = ri.parse_list_query(params).odata()
    for prop, value in (("ticketId", "CHG-1"), ("team", "t"), ("workspace", "ws"),
                        ("step", "dns"), ("requestedBy", "bob")):  # fmt: skip
        assert f"{prop} eq '{value}'" in odata
    assert odata.count(" eq ") + odata.count(" lt ") + odata.count(" ge ") <= 15


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"top": "0"}, "top"),
        ({"top": "201"}, "top"),
        ({"top": "ten"}, "top"),
        ({"status": "Sleeping"}, "status"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"team": "a\x00b"}, "team"),
        ({"ticket": "x" * 257}, "ticket"),
        ({"continuationToken": "not-a-token!"}, "continuationToken"),
        ({"continuationToken": "eyJ4IjoxfQ"}, "continuationToken"),  # {"x":1}
    ],
)
def test_bad_parameters_are_named(params, name):
    with pytest.raises(ri.BadParameter) as raised:
        ri.parse_list_query(params)
    assert raised.value.name == name


def test_defaults_and_blank_parameters():
    query = ri.parse_list_query({"ticket": " ", "top": ""})
    assert query.top == ri.DEFAULT_TOP and query.equals == {} and query.status is None
    assert ri.parse_list_query({"top": "200"}).top == 200


def test_continuation_tokens_round_trip_and_are_url_safe():
    continuation = {"PartitionKey": "run", "RowKey": "1234-onboard-a+b/c"}
    token = ri.encode_token(continuation)
    assert token is not None and all(c.isalnum() or c in "-_" for c in token)
    assert ri.decode_token(token) == continuation
    assert ri.parse_list_query({"continuationToken": token}).continuation == continuation
    assert ri.encode_token(None) is None and ri.encode_token({}) is None


def test_new_row_from_the_request_json():
    request = {"ticketId": "CHG-1", "team": "payments", "requestedBy": "claimed@x",
               "apimServiceId": "/s/apim", "workspace": {"name": "ws-p"},
               "gateway": {"network": {"mode": "injection"}}}  # fmt: skip
    row = ri.new_row("onboard-chg-1", request, "alice", T0)
    assert row["status"] == "Pending" and row["mode"] == "injection"
    assert row["workspace"] == "ws-p" and row["requestedBy"] == "alice"
    assert row["createdAt"] == "2026-01-01T08:00:00+00:00"
    assert list(ri.clean_row(row)) == list(ri.CONTRACT_FIELDS)


def test_milestones_move_the_row_on():
    at = "2026-01-01T09:00:00+00:00"
    waiting = ri.fields_from_event(
        {"kind": "waitingOnOperator", "step": "approval", "waitingFor": "approval", "at": at}
    )
    # The status model's outcome on every milestone (issue 14: the row says it from the first).
    assert waiting == {"status": "Running", "outcome": "WaitingOnOperator", "step": "approval",
                       "waitingFor": "approval", "waitingEvent": None, "waitingUntil": None,
                       "doing": None, "until": None, "updatedAt": at}  # fmt: skip
    assert ri.waiting_on_operator(waiting)
    done = ri.fields_from_event({"kind": "stepDone", "step": "approval", "at": at})
    assert done["waitingFor"] is None and not ri.waiting_on_operator(done)
    failed = ri.fields_from_event({"kind": "failed", "step": "access", "error": "boom"})
    assert failed["failedStep"] == "access" and failed["status"] == "Running"
    assert failed["outcome"] == "Compensating"
    assert ri.fields_from_event({"kind": "stepDone", "step": "x"})["outcome"] == "Running"
    end = ri.fields_from_event({"kind": "compensated", "outcome": "Failed"})
    assert end["status"] == "Completed" and end["outcome"] == "Failed"
    assert ri.fields_from_event({"kind": "compensated"})["outcome"] == "Compensated"
    assert ri.fields_from_event({"kind": "succeeded"})["outcome"] == "Succeeded"


def test_counts_are_by_outcome_as_the_outcome_filter_lists_them():
    # Issue 14: the counts speak the status model (each the ``outcome`` filter's list), with
    # Durable's runtime statuses beside them; rows written before the model read the same.
    rows = [
        {"status": "Completed", "outcome": "Succeeded"},
        {"status": "Completed", "outcome": "Compensated"},
        {"status": "Completed", "outcome": "Failed"},
        {"status": "Failed"},
        {"status": "Running", "outcome": "WaitingOnOperator", "waitingFor": "approval"},
        {"status": "Running", "waitingFor": None},
        {"status": "Running", "outcome": "Compensating", "step": "compensate"},
        {"status": "Pending", "outcome": "Running"},
        {"status": "Terminated", "outcome": "Terminated"},
    ]
    assert ri.count(rows) == {"Running": 2, "WaitingOnOperator": 1, "Succeeded": 1,
                              "Compensating": 1, "Compensated": 1, "CompensationFailed": 0,
                              "Failed": 2, "Terminated": 1,
                              "runtimeStatus": {"Pending": 1, "Running": 3, "Completed": 3,
                                                "Failed": 1, "Terminated": 1}}  # fmt: skip
    query = ri.parse_list_query({"outcome": "WaitingOnOperator"})
    assert "outcome eq 'WaitingOnOperator' and (status eq 'Running'" in query.odata()
    with pytest.raises(ri.BadParameter):
        ri.parse_list_query({"outcome": "Completed"})  # a runtime status, not an outcome


def test_the_live_fields_come_from_durable_during_the_build_and_a_wait():
    class Status:
        instance_id = "onboard-chg-1"
        runtime_status = "Running"
        output = None
        last_updated_time = None
        custom_status = {"step": "wait", "waitingFor": "gateway build",
                         "until": "2026-01-01T14:00:00+00:00"}  # fmt: skip

    row = {"status": "Running", "outcome": "Running", "step": "access"}
    fields = ri.fields_from_status(Status())
    assert ri.live_changes(row, fields) == {"step": "wait", "doing": "gateway build",
                                            "until": "2026-01-01T14:00:00+00:00"}  # fmt: skip
    Status.custom_status = {
        "step": "dns",
        "waitingFor": "the gateway's private IP",
        "operatorEvent": "private_ip-1",
        "until": "2026-01-04T00:00:00Z",
    }
    fields = ri.fields_from_status(Status())
    shown = ri.clean_row({**row, **fields, "id": "onboard-chg-1"})
    assert shown["outcome"] == "WaitingOnOperator" and shown["step"] == "dns"
    assert shown["waitingFor"]["event"] == "private_ip-1"
    assert "onboard supply onboard-chg-1" in shown["waitingFor"]["action"]


def test_purge_by_age_is_a_key_range_before_the_cutoff():
    now = T0 + dt.timedelta(days=30)
    odata = ri.older_than(7, now).odata()
    lower = odata.split("RowKey ge '")[1].split("'")[0]
    assert ri.row_key(now - dt.timedelta(days=8), "a") >= lower
    assert ri.row_key(now - dt.timedelta(days=6), "a") < lower
