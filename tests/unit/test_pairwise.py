"""The pairwise generator behind the behaviour matrix (tests/pairwise.py): every pair of
values is covered, the rows are few and always the same."""

from __future__ import annotations

from itertools import combinations

import pytest

from simulator.settings import choices, switch_names
from tests.pairwise import pairwise


def _missing(factors: dict[str, list[object]], rows: list[dict[str, object]]) -> list[tuple]:
    missing = []
    for f, g in combinations(factors, 2):
        for a in factors[f]:
            for b in factors[g]:
                if not any(row[f] == a and row[g] == b for row in rows):
                    missing.append((f, a, g, b))
    return missing


@pytest.mark.parametrize(
    ("factors", "at_most"),
    [
        ({"a": [1, 2], "b": ["x", "y"]}, 4),
        ({"a": [1, 2, 3], "b": [1, 2, 3], "c": [1, 2, 3], "d": [1, 2, 3]}, 12),
        ({"only": [1, 2, 3]}, 3),
        ({f"f{n}": [0, 1] for n in range(10)}, 12),
        ({"scenario": ["i", "g", "n", "s"], **{n: list(choices(n)) for n in switch_names()}}, 20),
    ],
    ids=["2x2", "3^4", "one-factor", "2^10", "switches"],
)
def test_every_pair_is_covered_by_few_rows(factors, at_most):
    rows = pairwise(factors)
    assert _missing(factors, rows) == []
    assert all(set(row) == set(factors) for row in rows)
    assert len(rows) <= at_most  # the full products: 4, 81, 3, 1024, 4 x 3^4 x 2^4 = 5184
    if len(factors) > 1:
        sizes = sorted((len(v) for v in factors.values()), reverse=True)
        assert len(rows) >= sizes[0] * sizes[1]  # no fewer can hold the two largest's pairs
    else:
        assert rows == [{"only": 1}, {"only": 2}, {"only": 3}]


def test_the_rows_are_deterministic_and_the_first_is_the_defaults():
    factors = {n: list(choices(n)) for n in switch_names()}
    assert pairwise(factors) == pairwise(dict(factors))
    # Values listed first win ties: the first row is every switch's default (real ARM).
    assert pairwise(factors)[0] == {n: choices(n)[0] for n in switch_names()}


def test_an_empty_factor_is_refused():
    with pytest.raises(ValueError):
        pairwise({"a": [], "b": [1]})
