"""Workspace name -> config connection (link) name: always valid, stable, one per workspace."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.apim_names import LINK_NAME, LINK_NAME_MAX, is_link_name, link_name
from shared.request import WORKSPACE_NAME

# Every workspace name the request contract allows (1-80 characters, none of * # & + : < > ?).
workspaces = st.text(min_size=1, max_size=80).filter(lambda s: WORKSPACE_NAME.match(s) is not None)
valid_links = st.from_regex(r"\A[a-zA-Z](?:[a-zA-Z0-9-]{0,28}[a-zA-Z0-9])?\Z")


def _valid(name: str) -> bool:
    return 1 <= len(name) <= LINK_NAME_MAX and LINK_NAME.fullmatch(name) is not None


@pytest.mark.parametrize(
    ("workspace", "expected"),
    [
        ("ws-payments", "ws-payments"),
        ("W1", "W1"),
        ("w" * 30, "w" * 30),
        ("ws_payments", "ws-payments-"),
        ("ws_payments_with_a_rather_long_name_01", "ws-payments-with-a-ra-"),
        ("w" * 31, "w" * 21 + "-"),
        ("1-payments", "payments-"),
        ("ws-", "ws-"),
        ("___", "ws-"),
        ("Zahlungsverkehr Ä/Ö", "Zahlungsverkehr-"),
    ],
)
def test_link_names_of_sample_workspaces(workspace, expected):
    name = link_name(workspace)
    assert _valid(name), name
    if is_link_name(workspace):
        assert name == expected == workspace  # valid names are kept: existing links keep theirs
    else:
        assert name.startswith(expected) and len(name) == len(expected) + 8, name


@given(workspaces)
def test_every_allowed_workspace_name_gets_a_valid_stable_link_name(workspace):
    name = link_name(workspace)
    assert _valid(name), (workspace, name)
    assert link_name(workspace) == name


@given(valid_links)
def test_a_valid_link_name_is_unchanged(name):
    assert is_link_name(name)
    assert link_name(name) == name


@given(workspaces, workspaces)
def test_distinct_workspaces_get_distinct_link_names(a, b):
    # APIM names ignore case: "WS_A" and "ws_a" are one workspace and share one link.
    if a.lower() != b.lower():
        assert link_name(a).lower() != link_name(b).lower()


def test_case_variants_of_one_workspace_share_a_link():
    assert link_name("WS_Payments").lower() == link_name("ws_payments").lower()


def test_a_lone_surrogate_does_not_break_the_derivation():
    assert _valid(link_name("ws\ud800payments"))
