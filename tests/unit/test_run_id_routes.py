"""``run_id_problem``: every id the app makes is addressable; nothing else a URL could bend is."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.request import TICKET_ID, instance_id_for
from triggers.intake import run_id_problem

tickets = st.from_regex(TICKET_ID, fullmatch=True)


@settings(max_examples=300, database=None)
@given(ticket=tickets, retry=st.integers(1, 99), child=st.integers(1, 500))
def test_every_run_id_the_app_makes_is_accepted(ticket, retry, child):
    run = instance_id_for(ticket)
    for run_id in (run, f"{run}-r{retry}", f"{run}:{child}", f"{run}-r{retry}:{child}"):
        assert run_id_problem(run_id) is None, run_id


@settings(max_examples=300, database=None)
@given(text=st.text(min_size=1, max_size=40))
def test_an_id_with_a_character_a_url_gives_meaning_to_is_refused(text):
    if any(c in text for c in "?#/\\%& \n\x00") or text in (".", ".."):
        assert run_id_problem(text) is not None


def test_dots_alone_and_over_long_ids_are_refused():
    for bad in (".", "..", "", "-x", "x" * 129):
        assert run_id_problem(bad) is not None
