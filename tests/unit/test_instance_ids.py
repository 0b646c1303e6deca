"""Ticket -> run id: one run per ticket, and distinct tickets never share a run (issue 12, #11)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shared.request import TICKET_ID, instance_id_for

tickets = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
# Characters Durable refuses in an instance id (and Table Storage in a RowKey), control ones too.
_FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f]")


def _valid(instance_id: str) -> bool:
    return 0 < len(instance_id) <= 256 and not _FORBIDDEN.search(instance_id)


def test_tickets_that_normalise_alike_get_distinct_runs():
    ids = [instance_id_for(t) for t in ("CHG-7001", "chg_7001", "CHG.7001")]
    assert len(set(ids)) == 3, ids
    assert all(i.startswith("onboard-chg-7001") for i in ids), ids


def test_the_conventional_ticket_keeps_its_readable_id():
    # Upper-case letters, digits and hyphens: the id runs have had all along (no suffix).
    assert instance_id_for("CHG0012345") == "onboard-chg0012345"
    assert instance_id_for("CHG-7001") == "onboard-chg-7001"


def test_a_ticket_is_not_mistaken_for_the_retry_of_another():
    # Retry starts "<id>-r<N>" (docs/operators.md); ticket CHG-7001-R1 is not that retry.
    assert instance_id_for("CHG-7001-R1") != instance_id_for("CHG-7001") + "-r1"


@given(tickets)
def test_the_same_ticket_always_maps_to_the_same_valid_id(ticket):
    assert TICKET_ID.match(ticket)
    first = instance_id_for(ticket)
    assert first == instance_id_for(ticket)
    assert _valid(first), first
    assert first.startswith("onboard-")


@given(tickets, tickets)
def test_distinct_tickets_map_to_distinct_ids(a, b):
    if a != b:
        assert instance_id_for(a) != instance_id_for(b)


@given(tickets, st.sampled_from(["lower", "upper", "swapcase"]), st.sampled_from(".-_"))
def test_case_and_separator_variants_of_a_ticket_get_their_own_run(ticket, case, sep):
    variant = re.sub(r"[._-]", sep, getattr(ticket, case)())
    if variant != ticket:
        assert instance_id_for(variant) != instance_id_for(ticket)


def test_ids_are_stable_across_releases():
    # A resend after a deploy must find the run the ticket started before it: never change these.
    assert instance_id_for("chg_7001") == "onboard-chg-7001_939e3410"
    assert instance_id_for("CHG.7001") == "onboard-chg-7001_79daec91"
    assert instance_id_for("chg-7001") == "onboard-chg-7001_ed4fd6ee"
