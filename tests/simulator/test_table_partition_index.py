"""A Table query that names one partition reads only that partition (no full-table scan).

The run index keeps every run, pointer, grant reliance and build record in one table; its
queries name a partition (``PartitionKey eq 'run' and ...``, ``PartitionKey eq 'grant-...'``),
and the simulator used to sort and filter every entity for each of them, so the cost of a
request grew with every run ever made.
"""

from __future__ import annotations

import pytest

from simulator.backends import tables as tables_module
from simulator.core import Simulation

ACCOUNT, TABLE = "devstoreaccount1", "runs"


@pytest.fixture
def backend() -> tables_module.TablesBackend:
    sim = Simulation()
    tb: tables_module.TablesBackend = sim.tables
    tb.create_table(ACCOUNT, TABLE)
    for pk in ("a", "b", "c"):
        for n in range(50):
            tb.insert(ACCOUNT, TABLE, {"PartitionKey": pk, "RowKey": f"{n:03d}", "n": n})
    return tb


def test_a_partition_query_reads_only_its_partition(backend, monkeypatch) -> None:
    seen: list[str] = []
    original = tables_module.TableEntity.typed

    def counting(self: tables_module.TableEntity) -> dict:
        seen.append(self.partition_key)
        return original(self)

    monkeypatch.setattr(tables_module.TableEntity, "typed", counting)
    page = backend.query(ACCOUNT, TABLE, "PartitionKey eq 'b' and n ge 10", 5, None)
    assert [e.row_key for e in page.entities] == ["010", "011", "012", "013", "014"]
    assert set(seen) == {"b"}
    # Resumed from its continuation, still within the partition and in order.
    assert page.next_keys == ("b", "015")
    seen.clear()
    rest = backend.query(ACCOUNT, TABLE, "PartitionKey eq 'b' and n ge 10", 100, page.next_keys)
    assert [e.row_key for e in rest.entities] == [f"{n:03d}" for n in range(15, 50)]
    assert set(seen) == {"b"}


def test_filters_that_may_reach_other_partitions_still_see_them_all(backend) -> None:
    either = backend.query(ACCOUNT, TABLE, "PartitionKey eq 'a' or PartitionKey eq 'c'", 200, None)
    assert {e.partition_key for e in either.entities} == {"a", "c"}
    assert len(backend.query(ACCOUNT, TABLE, "n eq 3", 200, None).entities) == 3


def test_deleted_rows_leave_the_partition_index(backend) -> None:
    for n in range(50):
        backend.delete_entity(ACCOUNT, TABLE, "a", f"{n:03d}", "*")
    assert backend.query(ACCOUNT, TABLE, "PartitionKey eq 'a'", 10, None).entities == []
    assert "a" not in backend.table(ACCOUNT, TABLE).entities.rows
