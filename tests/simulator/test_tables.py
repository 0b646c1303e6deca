"""Table Storage through the real azure-data-tables SDK: tables, entities, filters, paging.

Clients address the simulator path-style (``https://127.0.0.1:<port>/devstoreaccount1``)
with a static bearer token or the Azurite well-known key, trust its CA through
``connection_verify`` and retry nothing, so each test sees every answer.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import (
    EdmType,
    EntityProperty,
    TableClient,
    TableServiceClient,
    UpdateMode,
)

from tests.simulator.conftest import SimControl, StaticToken

ACCOUNT = "devstoreaccount1"
# Azurite's published development key; the simulator does not check signatures.
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
EPOCH_TS = "2026-01-01T08:00:00.0000000Z"  # the virtual clock's start
GUID_A = uuid.UUID("a0000000-0000-4000-8000-00000000000a")
GUID_B = uuid.UUID("b0000000-0000-4000-8000-00000000000b")


def _endpoint(sim: SimControl, host: str = "127.0.0.1") -> str:
    return f"https://{host}:{sim.sim.port}/{ACCOUNT}"


@pytest.fixture
def service(sim: SimControl) -> TableServiceClient:
    return TableServiceClient(
        endpoint=_endpoint(sim),
        credential=StaticToken(),
        connection_verify=str(sim.sim.ca),
        retry_total=0,
    )


@pytest.fixture
def runs(service: TableServiceClient) -> TableClient:
    service.create_table("runs")
    return service.get_table_client("runs")


def _code(exc: HttpResponseError) -> str | None:
    """The Tables error code: decoded by the SDK, or (create_entity re-raises the raw
    error) from the ``x-ms-error-code`` header the service sends with every error."""
    code = getattr(exc, "error_code", None)
    if code is not None:
        return str(getattr(code, "value", code))
    return exc.response.headers.get("x-ms-error-code") if exc.response else None


def _tables_state(sim: SimControl) -> dict[str, Any]:
    return sim.state()["tables"].get(ACCOUNT, {})


def _rows(sim: SimControl, table: str = "runs") -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["PartitionKey"], e["RowKey"]): e for e in _tables_state(sim).get(table, [])}


def _raw(
    sim: SimControl,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    auth: str | None = "Bearer simulator-token",
) -> tuple[int, dict[str, str], Any]:
    """One HTTPS call without the SDK: (status, headers, parsed JSON body or None)."""
    ctx = ssl.create_default_context(cafile=str(sim.sim.ca))
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(sim.sim.url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("x-ms-version", "2019-02-02")
    if auth is not None:
        req.add_header("Authorization", auth)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, context=ctx) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        status, hdrs, raw = exc.code, dict(exc.headers), exc.read()
    return status, hdrs, json.loads(raw) if raw else None


# --- tables ------------------------------------------------------------------------------------


def test_create_table_then_duplicate_is_409_table_already_exists(service, sim):
    service.create_table("runs")
    with pytest.raises(ResourceExistsError) as err:
        service.create_table("RUNS")  # names ignore case
    assert err.value.status_code == 409
    assert _code(err.value) == "TableAlreadyExists"
    assert list(_tables_state(sim)) == ["runs"]


def test_create_table_wire_shape_and_tables_error_shape(sim):
    status, headers, body = _raw(sim, "POST", f"/{ACCOUNT}/Tables", {"TableName": "Runs"})
    assert status == 201
    assert body["TableName"] == "Runs"
    assert body["odata.metadata"].endswith(f"/{ACCOUNT}/$metadata#Tables/@Element")
    assert headers["Location"].endswith(f"/{ACCOUNT}/Tables('Runs')")
    status, headers, body = _raw(sim, "POST", f"/{ACCOUNT}/Tables", {"TableName": "runs"})
    assert status == 409
    assert headers["x-ms-error-code"] == "TableAlreadyExists"
    assert body["odata.error"]["code"] == "TableAlreadyExists"
    assert body["odata.error"]["message"]["lang"] == "en-US"
    assert body["odata.error"]["message"]["value"].startswith("The table specified already exists.")
    assert list(_tables_state(sim)) == ["Runs"]  # the case it was created with


def test_invalid_table_name_is_refused(service, sim):
    # The SDK turns InvalidResourceName into a ValueError naming the rules.
    with pytest.raises(ValueError):
        service.create_table("1runs")
    status, _, body = _raw(sim, "POST", f"/{ACCOUNT}/Tables", {"TableName": "tables"})
    assert status == 400
    assert body["odata.error"]["code"] == "InvalidResourceName"
    assert _tables_state(sim) == {}


def test_delete_table_and_list_and_query_tables(service, sim):
    for name in ("gamma", "alpha", "beta"):
        service.create_table(name)
    assert [t.name for t in service.list_tables()] == ["alpha", "beta", "gamma"]
    assert [t.name for t in service.query_tables("TableName ge 'beta'")] == ["beta", "gamma"]
    service.delete_table("beta")
    service.delete_table("beta")  # the SDK ignores the 404 of an absent table
    assert [t.name for t in service.list_tables()] == ["alpha", "gamma"]
    status, _, body = _raw(sim, "DELETE", f"/{ACCOUNT}/Tables('beta')")
    assert status == 404
    assert body["odata.error"]["code"] == "ResourceNotFound"
    assert sorted(_tables_state(sim)) == ["alpha", "gamma"]


def test_list_tables_pages_with_next_table_name(service, sim):
    names = [f"table{i:02d}" for i in range(7)]
    for name in names:
        service.create_table(name)
    pages = [[t.name for t in page] for page in service.list_tables(results_per_page=3).by_page()]
    assert pages == [names[0:3], names[3:6], names[6:7]]
    status, headers, _ = _raw(sim, "GET", f"/{ACCOUNT}/Tables?$top=3")
    assert status == 200
    assert headers["x-ms-continuation-NextTableName"].startswith("1!")


# --- entities ----------------------------------------------------------------------------------


def test_create_entity_then_duplicate_is_409_entity_already_exists(runs, sim):
    meta = runs.create_entity({"PartitionKey": "p", "RowKey": "r", "Status": "Queued"})
    assert meta["etag"] == f"W/\"datetime'{EPOCH_TS.replace(':', '%3A')}'\""
    with pytest.raises(ResourceExistsError) as err:
        runs.create_entity({"PartitionKey": "p", "RowKey": "r", "Status": "Other"})
    assert err.value.status_code == 409
    assert _code(err.value) == "EntityAlreadyExists"
    assert _rows(sim)[("p", "r")]["Status"] == "Queued"


def test_insert_into_missing_table_is_404_table_not_found(service, sim):
    client = service.get_table_client("nothere")
    with pytest.raises(ResourceNotFoundError) as err:
        client.create_entity({"PartitionKey": "p", "RowKey": "r"})
    assert _code(err.value) == "TableNotFound"
    assert _tables_state(sim) == {}


def test_get_missing_entity_is_404_resource_not_found(runs, sim):
    with pytest.raises(ResourceNotFoundError) as err:
        runs.get_entity("p", "nope")
    assert err.value.status_code == 404
    assert _code(err.value) == "ResourceNotFound"
    assert _rows(sim) == {}


def test_typed_properties_round_trip(runs, sim):
    when = dt.datetime(2026, 2, 3, 4, 5, 6, 123456, tzinfo=dt.UTC)
    runs.create_entity(
        {
            "PartitionKey": "p",
            "RowKey": "O'Brien run 1 ü",
            "Name": "ünïcode",
            "Count": 7,
            "Big": EntityProperty(2**40, EdmType.INT64),
            "Score": 2.5,
            "Active": True,
            "When": when,
            "Id": GUID_A,
            "Blob": b"\x00\x01\xff",
        }
    )
    got = runs.get_entity("p", "O'Brien run 1 ü")
    assert got["Name"] == "ünïcode"
    assert got["Count"] == 7
    assert got["Big"] == EntityProperty(2**40, EdmType.INT64)
    assert got["Score"] == 2.5
    assert got["Active"] is True
    assert got["When"] == when
    assert got["Id"] == GUID_A
    assert got["Blob"] == b"\x00\x01\xff"
    assert got.metadata["timestamp"] == dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    row = _rows(sim)[("p", "O'Brien run 1 ü")]
    assert row["Big@odata.type"] == "Edm.Int64"
    assert row["Big"] == str(2**40)
    assert row["When"] == "2026-02-03T04:05:06.1234560Z"
    assert row["Timestamp"] == EPOCH_TS


def test_metadata_levels_on_the_wire(runs, sim):
    runs.create_entity(
        {"PartitionKey": "p", "RowKey": "r", "Big": EntityProperty(5, EdmType.INT64), "N": 1}
    )
    path = f"/{ACCOUNT}/runs(PartitionKey='p',RowKey='r')"
    _, headers, minimal = _raw(
        sim, "GET", path, headers={"Accept": "application/json;odata=minimalmetadata"}
    )
    assert minimal["Big@odata.type"] == "Edm.Int64"
    assert "N@odata.type" not in minimal  # Int32 needs no annotation
    assert minimal["odata.etag"] == headers["ETag"]
    assert minimal["Timestamp"] == EPOCH_TS
    assert headers["Content-Type"].startswith("application/json;odata=minimalmetadata")
    _, _, none = _raw(sim, "GET", path, headers={"Accept": "application/json;odata=nometadata"})
    assert none == {"PartitionKey": "p", "RowKey": "r", "Timestamp": EPOCH_TS, "Big": "5", "N": 1}


def test_upsert_merge_and_replace(runs, sim):
    runs.upsert_entity({"PartitionKey": "p", "RowKey": "r", "A": "a", "B": "b"})  # inserts
    runs.upsert_entity({"PartitionKey": "p", "RowKey": "r", "B": "b2"}, mode=UpdateMode.MERGE)
    merged = runs.get_entity("p", "r")
    assert (merged["A"], merged["B"]) == ("a", "b2")
    runs.upsert_entity({"PartitionKey": "p", "RowKey": "r", "C": "c"}, mode=UpdateMode.REPLACE)
    replaced = runs.get_entity("p", "r")
    assert "A" not in replaced
    assert "B" not in replaced
    assert replaced["C"] == "c"
    row = _rows(sim)[("p", "r")]
    assert {k for k in row if not k.startswith(("odata.", "Partition", "Row", "Time"))} == {"C"}


def test_every_write_gets_a_new_etag_even_at_one_clock_instant(runs, sim):
    first = runs.create_entity({"PartitionKey": "p", "RowKey": "r", "V": 1})["etag"]
    second = runs.update_entity({"PartitionKey": "p", "RowKey": "r", "V": 2})["etag"]
    assert first != second
    sim.advance(hours=1)
    runs.update_entity({"PartitionKey": "p", "RowKey": "r", "V": 3})
    assert _rows(sim)[("p", "r")]["Timestamp"] == "2026-01-01T09:00:00.0000000Z"


def test_update_with_stale_etag_is_412_update_condition_not_satisfied(runs, sim):
    runs.create_entity({"PartitionKey": "p", "RowKey": "r", "V": 1})
    stale = runs.get_entity("p", "r")
    fresh = runs.update_entity({"PartitionKey": "p", "RowKey": "r", "V": 2})
    with pytest.raises(ResourceModifiedError) as err:
        runs.update_entity(
            {"PartitionKey": "p", "RowKey": "r", "V": 3},
            etag=stale.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    assert err.value.status_code == 412
    assert _code(err.value) == "UpdateConditionNotSatisfied"
    assert _rows(sim)[("p", "r")]["V"] == 2
    runs.update_entity(
        {"PartitionKey": "p", "RowKey": "r", "V": 4},
        mode=UpdateMode.REPLACE,
        etag=fresh["etag"],
        match_condition=MatchConditions.IfNotModified,
    )
    assert _rows(sim)[("p", "r")]["V"] == 4


def test_update_of_missing_entity_is_404(runs, sim):
    with pytest.raises(ResourceNotFoundError):
        runs.update_entity({"PartitionKey": "p", "RowKey": "nope", "V": 1})
    assert _rows(sim) == {}


def test_delete_entity_unconditional_conditional_and_missing(runs, sim):
    runs.create_entity({"PartitionKey": "p", "RowKey": "a"})
    runs.create_entity({"PartitionKey": "p", "RowKey": "b"})
    stale = runs.get_entity("p", "b")
    runs.update_entity({"PartitionKey": "p", "RowKey": "b", "V": 1})
    runs.delete_entity("p", "a")  # If-Match: *
    with pytest.raises(ResourceModifiedError):
        runs.delete_entity(stale, match_condition=MatchConditions.IfNotModified)
    assert list(_rows(sim)) == [("p", "b")]
    status, _, body = _raw(
        sim, "DELETE", f"/{ACCOUNT}/runs(PartitionKey='p',RowKey='a')", headers={"If-Match": "*"}
    )
    assert (status, body["odata.error"]["code"]) == (404, "ResourceNotFound")
    status, _, body = _raw(sim, "DELETE", f"/{ACCOUNT}/runs(PartitionKey='p',RowKey='b')")
    assert (status, body["odata.error"]["code"]) == (400, "InvalidInput")  # If-Match required
    assert list(_rows(sim)) == [("p", "b")]


def test_merge_tunnelled_through_post_when_the_sdk_takes_localhost_for_cosmos(sim, runs):
    # On https://localhost:<port> the SDK sends MERGE as POST + X-HTTP-Method: MERGE.
    client = TableClient(
        endpoint=_endpoint(sim, "localhost"),
        table_name="runs",
        credential=StaticToken(),
        connection_verify=str(sim.sim.ca),
        retry_total=0,
    )
    runs.create_entity({"PartitionKey": "p", "RowKey": "r", "A": "a"})
    client.upsert_entity({"PartitionKey": "p", "RowKey": "r", "B": "b"}, mode=UpdateMode.MERGE)
    row = _rows(sim)[("p", "r")]
    assert (row["A"], row["B"]) == ("a", "b")


# --- limits --------------------------------------------------------------------------------------


def test_string_over_64_kib_is_property_value_too_large(runs, sim):
    with pytest.raises(HttpResponseError) as err:
        runs.create_entity({"PartitionKey": "p", "RowKey": "r", "S": "x" * 32769})
    assert (err.value.status_code, _code(err.value)) == (400, "PropertyValueTooLarge")
    runs.create_entity({"PartitionKey": "p", "RowKey": "ok", "S": "x" * 32768})  # 64 KiB exactly
    assert list(_rows(sim)) == [("p", "ok")]


def test_more_than_252_properties_is_too_many_properties(runs, sim):
    entity = {"PartitionKey": "p", "RowKey": "r", **{f"P{i}": i for i in range(253)}}
    with pytest.raises(HttpResponseError) as err:
        runs.create_entity(entity)
    assert (err.value.status_code, _code(err.value)) == (400, "TooManyProperties")
    del entity["P252"]
    runs.create_entity(entity)
    assert len(_rows(sim)[("p", "r")]) == 252 + 4  # + keys, Timestamp, odata.etag


def test_entity_over_1_mib_is_entity_too_large(runs, sim):
    entity = {"PartitionKey": "p", "RowKey": "r", **{f"S{i}": "x" * 32768 for i in range(16)}}
    with pytest.raises(HttpResponseError) as err:
        runs.create_entity(entity)
    assert (err.value.status_code, _code(err.value)) == (400, "EntityTooLarge")
    assert _rows(sim) == {}


def test_merge_that_grows_an_entity_past_1_mib_is_refused(runs, sim):
    half = {f"S{i}": "x" * 32768 for i in range(8)}
    runs.create_entity({"PartitionKey": "p", "RowKey": "r", **half})
    more = {f"T{i}": "x" * 32768 for i in range(8)}
    with pytest.raises(HttpResponseError) as err:
        runs.upsert_entity({"PartitionKey": "p", "RowKey": "r", **more}, mode=UpdateMode.MERGE)
    assert _code(err.value) == "EntityTooLarge"
    assert "T0" not in _rows(sim)[("p", "r")]


def test_forbidden_key_characters_are_refused(runs, sim):
    status, _, body = _raw(sim, "POST", f"/{ACCOUNT}/runs", {"PartitionKey": "a/b", "RowKey": "r"})
    assert (status, body["odata.error"]["code"]) == (400, "InvalidInput")
    assert _rows(sim) == {}


# --- queries -------------------------------------------------------------------------------------

FILTER_ROWS: list[dict[str, Any]] = [
    {
        "PartitionKey": "p",
        "RowKey": "r1",
        "Name": "alpha",
        "Count": 1,
        "Big": EntityProperty(5, EdmType.INT64),
        "Score": 1.5,
        "Active": True,
        "When": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "Id": GUID_A,
        "Blob": b"\x01\x02",
    },
    {
        "PartitionKey": "p",
        "RowKey": "r2",
        "Name": "beta",
        "Count": 2,
        "Big": EntityProperty(2**40, EdmType.INT64),
        "Score": 2.5,
        "Active": False,
        "When": dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        "Id": GUID_B,
    },
    {
        "PartitionKey": "p",
        "RowKey": "r3",
        "Name": "o'brien",
        "Count": 3,
        "Score": 3.0,
        "Active": True,
    },
    {"PartitionKey": "q", "RowKey": "r4", "Name": "5", "Count": "3"},
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Name eq 'alpha'", ["r1"]),
        ("Name ne 'alpha'", ["r2", "r3", "r4"]),
        ("Name gt 'b'", ["r2", "r3"]),
        ("Name eq 'o''brien'", ["r3"]),
        ("Count eq 3", ["r3"]),  # r4's Count is the string '3': other type, no match
        ("Count eq '3'", ["r4"]),
        ("Count ge 2", ["r2", "r3"]),
        ("Count ne 1", ["r2", "r3"]),  # a type mismatch is false even for ne
        ("Count lt 2 or Count gt 2", ["r1", "r3"]),
        ("Big eq 5L", ["r1"]),
        ("Big gt 2147483647L", ["r2"]),
        ("Big eq 5", ["r1"]),  # numbers compare by value across Int32 / Int64 / Double
        ("Score gt 2.0", ["r2", "r3"]),
        ("Score eq 3", ["r3"]),
        ("Active eq true", ["r1", "r3"]),
        ("Active eq false", ["r2"]),
        ("not (Active eq true)", ["r2", "r4"]),  # r4 has no Active: false, negated
        ("When ge datetime'2026-03-01T00:00:00Z'", ["r2"]),
        ("When lt datetime'2026-03-01T00:00:00.0000000Z'", ["r1"]),
        (f"Id eq guid'{GUID_A}'", ["r1"]),
        (f"Id eq '{GUID_A}'", []),  # a string is not a GUID
        ("Blob eq X'0102'", ["r1"]),
        ("PartitionKey eq 'q'", ["r4"]),
        ("PartitionKey eq 'p' and RowKey ge 'r2'", ["r2", "r3"]),
        ("(Count eq 1 or Count eq 2) and Active eq false", ["r2"]),
        ("Count eq 1 or Count eq 2 and Active eq false", ["r1", "r2"]),  # and binds tighter
        ("Missing eq 'x'", []),
        ("Missing ne 'x'", []),
        ("Timestamp ge datetime'2026-01-01T08:00:00Z'", ["r1", "r2", "r3", "r4"]),
        ("Timestamp lt datetime'2026-01-01T08:00:00Z'", []),
    ],
)
def test_filter_semantics(runs, query, expected):
    for row in FILTER_ROWS:
        runs.create_entity(row)
    assert [e["RowKey"] for e in runs.query_entities(query)] == expected


@pytest.mark.parametrize(
    "query",
    [
        "Name eq",
        "Name eq 'x' and",
        "(Name eq 'x'",
        "Name xx 'x'",
        "Name eq 'unterminated",
        "Count eq 3000000000",  # an Int32 literal out of range needs L
        "When eq datetime'not-a-date'",
        "Id eq guid'nope'",
        " or ".join(f"Count eq {i}" for i in range(16)),  # at most 15 comparisons
    ],
)
def test_invalid_filter_is_400_invalid_input(runs, sim, query):
    runs.create_entity({"PartitionKey": "p", "RowKey": "r", "Count": 1})
    with pytest.raises(HttpResponseError) as err:
        list(runs.query_entities(query))
    assert (err.value.status_code, _code(err.value)) == (400, "InvalidInput")
    assert list(_rows(sim)) == [("p", "r")]


def test_query_with_parameters_select_and_top(runs):
    for row in FILTER_ROWS:
        runs.create_entity(row)
    found = runs.query_entities(
        "Name eq @name or Count eq @count",
        parameters={"name": "alpha", "count": 3},
        select=["Name"],
    )
    assert [dict(e) for e in found] == [{"Name": "alpha"}, {"Name": "o'brien"}]
    pages = runs.list_entities(results_per_page=3, select=["RowKey"]).by_page()
    assert [[e["RowKey"] for e in page] for page in pages] == [["r1", "r2", "r3"], ["r4"]]


def test_paging_over_2500_entities_returns_each_once_in_key_order(runs, sim):
    keys = [(f"part{i % 3}", f"row{i:05d}") for i in range(2500)]
    for pk, rk in reversed(keys):
        runs.create_entity({"PartitionKey": pk, "RowKey": rk, "Even": int(rk[3:]) % 2 == 0})
    pages = [[(e["PartitionKey"], e["RowKey"]) for e in p] for p in runs.list_entities().by_page()]
    assert [len(p) for p in pages] == [1000, 1000, 500]  # 1,000 per page by default, as on Azure
    assert [k for page in pages for k in page] == sorted(keys)
    evens = [
        [e["RowKey"] for e in p]
        for p in runs.query_entities("Even eq true", results_per_page=400).by_page()
    ]
    assert [len(p) for p in evens] == [400, 400, 400, 50]
    flat = [rk for page in evens for rk in page]
    assert flat == [rk for _, rk in sorted(keys) if int(rk[3:]) % 2 == 0]
    assert len(_rows(sim)) == 2500


def test_continuation_headers_are_opaque_and_top_is_bounded(runs, sim):
    for i in range(3):
        runs.create_entity({"PartitionKey": "p", "RowKey": f"r{i}"})
    status, headers, body = _raw(sim, "GET", f"/{ACCOUNT}/runs()?$top=2")
    assert status == 200
    assert [e["RowKey"] for e in body["value"]] == ["r0", "r1"]
    npk = headers["x-ms-continuation-NextPartitionKey"]
    nrk = headers["x-ms-continuation-NextRowKey"]
    status, headers, body = _raw(
        sim, "GET", f"/{ACCOUNT}/runs()?$top=2&NextPartitionKey={npk}&NextRowKey={nrk}"
    )
    assert [e["RowKey"] for e in body["value"]] == ["r2"]
    assert "x-ms-continuation-NextPartitionKey" not in headers
    status, _, body = _raw(sim, "GET", f"/{ACCOUNT}/runs()?$top=1001")
    assert (status, body["odata.error"]["code"]) == (400, "InvalidInput")


# --- auth, batch, faults, control ---------------------------------------------------------------


def test_request_without_authorization_is_403_authentication_failed(runs, sim):
    status, headers, body = _raw(sim, "GET", f"/{ACCOUNT}/Tables", auth=None)
    assert status == 403
    assert headers["x-ms-error-code"] == "AuthenticationFailed"
    assert body["odata.error"]["message"]["value"].startswith(
        "Server failed to authenticate the request."
    )
    status, _, _ = _raw(
        sim, "POST", f"/{ACCOUNT}/runs", {"PartitionKey": "p", "RowKey": "r"}, auth=None
    )
    assert status == 403
    assert _rows(sim) == {}


def test_shared_key_must_name_the_url_account(runs, sim):
    status, _, body = _raw(sim, "GET", f"/{ACCOUNT}/Tables", auth="SharedKey otheraccount:c2ln")
    assert (status, body["odata.error"]["code"]) == (403, "AuthenticationFailed")
    status, _, _ = _raw(sim, "GET", f"/{ACCOUNT}/Tables", auth=f"SharedKey {ACCOUNT}:c2ln")
    assert status == 200


def test_shared_key_clients_work(runs, sim):
    conn = (
        f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={AZURITE_KEY};"
        f"TableEndpoint={_endpoint(sim)}"
    )
    by_conn = TableClient.from_connection_string(
        conn, "runs", connection_verify=str(sim.sim.ca), retry_total=0
    )
    by_conn.create_entity({"PartitionKey": "p", "RowKey": "conn"})
    by_key = TableClient(
        endpoint=_endpoint(sim),
        table_name="runs",
        credential=AzureNamedKeyCredential(ACCOUNT, AZURITE_KEY),
        connection_verify=str(sim.sim.ca),
        retry_total=0,
    )
    by_key.create_entity({"PartitionKey": "p", "RowKey": "key"})
    assert [e["RowKey"] for e in by_key.list_entities()] == ["conn", "key"]
    assert list(_rows(sim)) == [("p", "conn"), ("p", "key")]


def test_batch_is_501_not_implemented(runs, sim):
    with pytest.raises(HttpResponseError) as err:
        runs.submit_transaction([("create", {"PartitionKey": "p", "RowKey": "r"})])
    assert err.value.status_code == 501
    assert _rows(sim) == {}


def test_fault_rules_apply_to_table_paths(runs, sim):
    sim.fault(method="POST", path=f"/{ACCOUNT}/runs", status=503, code="ServerBusy")
    with pytest.raises(HttpResponseError) as err:
        runs.create_entity({"PartitionKey": "p", "RowKey": "r"})
    assert (err.value.status_code, _code(err.value)) == (503, "ServerBusy")
    assert _rows(sim) == {}
    runs.create_entity({"PartitionKey": "p", "RowKey": "r"})  # the rule answered once
    assert list(_rows(sim)) == [("p", "r")]


def test_reset_clears_tables_and_requests_are_logged(runs, sim):
    runs.create_entity({"PartitionKey": "p", "RowKey": "r"})
    logged = [(r["method"], r["path"], r["status"]) for r in sim.requests()]
    assert ("POST", f"/{ACCOUNT}/runs", 201) in logged
    sim.call("POST", "/_sim/reset")
    assert sim.state()["tables"] == {}


def test_arm_paths_keep_going_to_arm(sim):
    # /subscriptions is a valid account-name shape, but it is ARM's root.
    status, _, body = _raw(sim, "GET", "/subscriptions")
    assert status == 400
    assert body["error"]["code"] == "MissingApiVersionParameter"
