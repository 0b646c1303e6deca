"""A small deterministic pairwise (all-pairs) generator for test matrices.

Every value of every factor meets every value of every other factor in at least one row, in
far fewer rows than the full product (8 switches of 2-3 values and a few scenario factors:
about 15-20 rows instead of thousands). Greedy, in the manner of AETG but without
randomness: each row starts from the first pair not yet covered and fills every other factor
with the value that covers the most uncovered pairs with what the row holds so far (ties: the
value listed first, so defaults come first). The same factors always give the same rows, so a
row's id names one combination for good (``pytest -k``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

Pair = tuple[int, int, int, int]  # (factor i, value index a, factor j, value index b), i < j


def all_pairs(sizes: Sequence[int]) -> set[Pair]:
    """Every pair of values of two different factors, as value indexes."""
    return {
        (i, a, j, b)
        for i, j in combinations(range(len(sizes)), 2)
        for a in range(sizes[i])
        for b in range(sizes[j])
    }


def pairs_of(row: Sequence[int]) -> set[Pair]:
    """The pairs one complete row (a value index per factor) covers."""
    return {(i, row[i], j, row[j]) for i, j in combinations(range(len(row)), 2)}


def pairwise(factors: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows (factor name -> value) covering every pair of values of two factors."""
    names = list(factors)
    values = [list(factors[name]) for name in names]
    if any(not v for v in values):
        raise ValueError("every factor needs at least one value")
    sizes = [len(v) for v in values]
    uncovered = all_pairs(sizes)
    rows: list[list[int]] = []
    if len(names) < 2:
        rows = [[a] for a in range(sizes[0])] if names else []
    while uncovered:
        i, a, j, b = min(uncovered)
        row: dict[int, int] = {i: a, j: b}
        for k in range(len(names)):
            if k not in row:
                row[k] = max(range(sizes[k]), key=lambda v, k=k: (_gain(uncovered, row, k, v), -v))
        full = [row[k] for k in range(len(names))]
        uncovered -= pairs_of(full)
        rows.append(full)
    return [{names[k]: values[k][v] for k, v in enumerate(full)} for full in rows]


def _gain(uncovered: set[Pair], row: dict[int, int], k: int, v: int) -> int:
    """How many uncovered pairs value ``v`` of factor ``k`` makes with the row's values."""
    return sum(
        1
        for f, x in row.items()
        if (min(f, k), x if f < k else v, max(f, k), v if f < k else x) in uncovered
    )
