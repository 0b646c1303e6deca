"""HTTP handlers for the Table Storage data plane, addressed path-style like Azurite.

Addressing: ``https://127.0.0.1:<port>/<account>/...``. A path belongs to Table Storage
when its first segment is a valid storage account name (3-24 lower-case letters and
digits) other than ``subscriptions``, ``providers`` and ``tenants`` (ARM's roots, which
:func:`is_table_path` leaves to ARM); ``/_sim/`` cannot be an account name. The SDK reads
the account from that first segment for any host that is not ``*.table.core.*``.

The pipeline differs from ARM's: no api-version (the SDK sends ``x-ms-version``), an
``Authorization`` header is required (any Bearer token, or SharedKey / SharedKeyLite naming
the URL's account; signatures are not checked; a SAS ``sig`` query parameter also passes),
and errors use the Tables JSON shape with an ``x-ms-error-code`` header. Fault rules apply
to these paths as to ARM's.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from simulator import errors
from simulator.backends.tables import (
    MAX_PAGE,
    TableEntity,
    decode_key,
    entity_json,
)
from simulator.clock import iso
from simulator.errors import ArmError
from simulator.router import Router
from simulator.wire import Request, Response

if TYPE_CHECKING:
    from simulator.core import Simulation

ARM_ROOTS = {"subscriptions", "providers", "tenants"}
DEFAULT_VERSION = "2019-02-02"
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_ENTITY = re.compile(
    r"^(?P<table>[^(]+)\(PartitionKey='(?P<pk>(?:[^']|'')*)',\s*RowKey='(?P<rk>(?:[^']|'')*)'\)$"
)
_COLLECTION = re.compile(r"^(?P<table>[^(]+)(?:\(\))?$")
_METADATA = re.compile(r"odata=(nometadata|minimalmetadata|fullmetadata)", re.IGNORECASE)
# Verbs a client may tunnel through POST with X-HTTP-Method (the SDK does so for MERGE
# when it takes the endpoint for Cosmos DB, e.g. https://localhost:<port>/...).
_TUNNELLED = {"MERGE", "PUT", "DELETE", "PATCH"}


def is_table_path(path: str) -> bool:
    first = path.lstrip("/").split("/", 1)[0]
    return bool(_ACCOUNT.match(first)) and first not in ARM_ROOTS


def handle(sim: Simulation, req: Request) -> Response:
    """The whole Table Storage pipeline: auth, faults, route, Tables-shaped errors."""
    request_id = str(uuid.uuid4())
    tunnelled = (req.header("x-http-method") or "").upper()
    if req.method == "POST" and tunnelled in _TUNNELLED:
        req.method = tunnelled
    try:
        _authenticate(req)
        fault = sim.faults.check(req.method, req.path)
        if fault is not None:
            raise fault
        found = sim.table_router.match(req.method, req.path)
        if found is None:
            raise errors.table_not_implemented(req.method, req.path)
        route, params = found
        req.params = params
        response = route.handler(sim, req)
    except ArmError as exc:
        response = _error(sim, exc, request_id)
    response.headers.setdefault("x-ms-request-id", request_id)
    response.headers.setdefault("x-ms-version", req.header("x-ms-version") or DEFAULT_VERSION)
    client_id = req.header("x-ms-client-request-id")
    if client_id:
        response.headers.setdefault("x-ms-client-request-id", client_id)
    return response


def _authenticate(req: Request) -> None:
    if any(k.lower() == "sig" for k in req.query):
        return  # a SAS: its signature is not checked, like any other credential here
    auth = (req.header("authorization") or "").strip()
    if not auth:
        raise errors.table_auth_failed("The request carries no Authorization header.")
    scheme, _, rest = auth.partition(" ")
    if scheme == "Bearer" and rest.strip():
        return
    if scheme in ("SharedKey", "SharedKeyLite"):
        name, _, signature = rest.strip().partition(":")
        account = req.path.lstrip("/").split("/", 1)[0]
        if name != account:
            raise errors.table_auth_failed(
                f"The Authorization header names account '{name}', the URL '{account}'."
            )
        if signature:
            return
    raise errors.table_auth_failed(
        "The Authorization header must be 'Bearer <token>' or 'SharedKey <account>:<sig>'."
    )


def _error(sim: Simulation, exc: ArmError, request_id: str) -> Response:
    # Azure appends the request id and time to every Tables error message.
    value = f"{exc.message}\nRequestId:{request_id}\nTime:{iso(sim.clock.now())}"
    body = {"odata.error": {"code": exc.code, "message": {"lang": "en-US", "value": value}}}
    headers = {
        **exc.headers,
        "x-ms-error-code": exc.code,
        "Content-Type": _content_type("minimal"),
    }
    return Response(exc.status, body, headers)


# --- request helpers -------------------------------------------------------------------------


def _content_type(metadata: str) -> str:
    return f"application/json;odata={metadata}metadata;streaming=true;charset=utf-8"


def _metadata(req: Request) -> str:
    """none / minimal / full from ``$format`` or ``Accept`` (minimal by default)."""
    for source in (req.arg("$format"), req.header("accept")):
        m = _METADATA.search(source or "")
        if m:
            level = m.group(1).lower().removesuffix("metadata")
            return "none" if level == "no" else level
    return "minimal"


def _json_response(req: Request, status: int, body: Any, headers: dict[str, str]) -> Response:
    headers["Content-Type"] = _content_type(_metadata(req))
    return Response(status, body, headers)


def _body(req: Request) -> dict[str, Any]:
    try:
        value = json.loads(req.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.table_invalid_input(f"The body is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise errors.table_invalid_input("The body must be a JSON object.")
    return value


def _top(req: Request) -> int:
    raw = req.arg("$top")
    if raw is None:
        return MAX_PAGE
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if not 1 <= top <= MAX_PAGE:
        raise errors.table_invalid_input(f"$top must be an integer from 1 to {MAX_PAGE}.")
    return top


def _select(req: Request) -> list[str] | None:
    raw = req.arg("$select")
    if raw is None or not raw.strip() or raw.strip() == "*":
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def encode_token(key: str) -> str:
    """An opaque continuation token in the service's ``1!<length>!<base64>`` form."""
    data = base64.urlsafe_b64encode(key.encode()).decode()
    return f"1!{len(data)}!{data}"


def decode_token(token: str, name: str) -> str:
    parts = token.split("!", 2)
    try:
        if len(parts) != 3 or parts[0] != "1" or int(parts[1]) != len(parts[2]):
            raise ValueError(token)
        return base64.urlsafe_b64decode(parts[2].encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise errors.table_invalid_input(f"The continuation token {name} is not valid.") from exc


def _account_url(sim: Simulation, req: Request) -> str:
    return sim.url("/" + req.params["account"])


def _entity_url(sim: Simulation, req: Request, table: str, entity: TableEntity) -> str:
    pk = entity.partition_key.replace("'", "''")
    rk = entity.row_key.replace("'", "''")
    return f"{_account_url(sim, req)}/{table}(PartitionKey='{pk}',RowKey='{rk}')"


def _table_name(sim: Simulation, req: Request, raw: str) -> str:
    """The table as created (case kept); raises TableNotFound."""
    return sim.tables.table(req.params["account"], raw).name


# --- tables --------------------------------------------------------------------------------


def _table_json(sim: Simulation, req: Request, name: str, metadata: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if metadata == "full":
        url = f"{_account_url(sim, req)}/Tables('{name}')"
        out.update({"odata.type": f"{req.params['account']}.Tables", "odata.id": url})
        out["odata.editLink"] = f"Tables('{name}')"
    out["TableName"] = name
    return out


def query_tables(sim: Simulation, req: Request) -> Response:
    metadata = _metadata(req)
    next_name = req.arg("NextTableName")
    tables, following = sim.tables.query_tables(
        req.params["account"],
        req.arg("$filter"),
        _top(req),
        decode_token(next_name, "NextTableName") if next_name else None,
    )
    body: dict[str, Any] = {}
    if metadata != "none":
        body["odata.metadata"] = f"{_account_url(sim, req)}/$metadata#Tables"
    body["value"] = [_table_json(sim, req, t.name, metadata) for t in tables]
    headers = {}
    if following is not None:
        headers["x-ms-continuation-NextTableName"] = encode_token(following)
    return _json_response(req, 200, body, headers)


def get_table(sim: Simulation, req: Request) -> Response:
    name = _table_name(sim, req, req.params["table"])
    metadata = _metadata(req)
    body = _table_json(sim, req, name, metadata)
    if metadata != "none":
        body = {"odata.metadata": f"{_account_url(sim, req)}/$metadata#Tables/@Element", **body}
    return _json_response(req, 200, body, {})


def create_table(sim: Simulation, req: Request) -> Response:
    table = sim.tables.create_table(req.params["account"], _body(req).get("TableName"))
    url = f"{_account_url(sim, req)}/Tables('{table.name}')"
    headers = {"Location": url, "DataServiceId": url}
    if _prefers_no_content(req):
        headers["Preference-Applied"] = "return-no-content"
        return Response(204, None, headers)
    metadata = _metadata(req)
    body = _table_json(sim, req, table.name, metadata)
    if metadata != "none":
        body = {"odata.metadata": f"{_account_url(sim, req)}/$metadata#Tables/@Element", **body}
    return _json_response(req, 201, body, headers)


def delete_table(sim: Simulation, req: Request) -> Response:
    sim.tables.delete_table(req.params["account"], req.params["table"])
    return Response(204)


def batch(sim: Simulation, req: Request) -> Response:
    raise errors.table_batch_not_implemented()


# --- entities --------------------------------------------------------------------------------


def _prefers_no_content(req: Request) -> bool:
    return "return-no-content" in (req.header("prefer") or "").lower()


def _entity_body(
    sim: Simulation, req: Request, table: str, entity: TableEntity, select: list[str] | None
) -> dict[str, Any]:
    metadata = _metadata(req)
    body: dict[str, Any] = {}
    if metadata != "none":
        body["odata.metadata"] = f"{_account_url(sim, req)}/$metadata#{table}/@Element"
    if metadata == "full":
        url = _entity_url(sim, req, table, entity)
        body.update({"odata.type": f"{req.params['account']}.{table}", "odata.id": url})
        body["odata.editLink"] = url.removeprefix(_account_url(sim, req) + "/")
    body.update(entity_json(entity, metadata, select))
    return body


def _entity_address(req: Request) -> tuple[str, str, str]:
    m = _ENTITY.match(req.params["resource"])
    if m is None:
        raise errors.table_invalid_input(
            "The entity address must be <table>(PartitionKey='<pk>',RowKey='<rk>')."
        )
    return m.group("table"), decode_key(m.group("pk")), decode_key(m.group("rk"))


def insert_entity(sim: Simulation, req: Request) -> Response:
    m = _COLLECTION.match(req.params["resource"])
    if m is None:
        raise errors.table_not_implemented(req.method, req.path)
    table = _table_name(sim, req, m.group("table"))
    entity = sim.tables.insert(req.params["account"], table, _body(req))
    url = _entity_url(sim, req, table, entity)
    headers = {"ETag": entity.etag, "Location": url, "DataServiceId": url}
    if _prefers_no_content(req):
        headers["Preference-Applied"] = "return-no-content"
        return Response(204, None, headers)
    if "return-content" in (req.header("prefer") or "").lower():
        headers["Preference-Applied"] = "return-content"
    return _json_response(req, 201, _entity_body(sim, req, table, entity, None), headers)


def read_entities(sim: Simulation, req: Request) -> Response:
    if req.arg("comp") is not None:
        raise errors.table_not_implemented(req.method, req.path)
    if _ENTITY.match(req.params["resource"]):
        return get_entity(sim, req)
    m = _COLLECTION.match(req.params["resource"])
    if m is None:
        raise errors.table_not_implemented(req.method, req.path)
    return query_entities(sim, req, m.group("table"))


def get_entity(sim: Simulation, req: Request) -> Response:
    raw_table, pk, rk = _entity_address(req)
    table = _table_name(sim, req, raw_table)
    entity = sim.tables.get_entity(req.params["account"], table, pk, rk)
    body = _entity_body(sim, req, table, entity, _select(req))
    return _json_response(req, 200, body, {"ETag": entity.etag})


def query_entities(sim: Simulation, req: Request, raw_table: str) -> Response:
    table = _table_name(sim, req, raw_table)
    next_pk, next_rk = req.arg("NextPartitionKey"), req.arg("NextRowKey")
    start = None
    if next_pk is not None:
        start = (
            decode_token(next_pk, "NextPartitionKey"),
            decode_token(next_rk, "NextRowKey") if next_rk else "",
        )
    page = sim.tables.query(req.params["account"], table, req.arg("$filter"), _top(req), start)
    metadata = _metadata(req)
    select = _select(req)
    body: dict[str, Any] = {}
    if metadata != "none":
        body["odata.metadata"] = f"{_account_url(sim, req)}/$metadata#{table}"
    body["value"] = [
        {k: v for k, v in _entity_body(sim, req, table, e, select).items() if k != "odata.metadata"}
        for e in page.entities
    ]
    headers = {}
    if page.next_keys is not None:
        headers["x-ms-continuation-NextPartitionKey"] = encode_token(page.next_keys[0])
        headers["x-ms-continuation-NextRowKey"] = encode_token(page.next_keys[1])
    return _json_response(req, 200, body, headers)


def _write(sim: Simulation, req: Request, merge: bool) -> Response:
    raw_table, pk, rk = _entity_address(req)
    table = _table_name(sim, req, raw_table)
    if req.header("if-none-match") is not None:
        # Table Storage refuses If-None-Match on writes ("Table Storage error codes").
        raise errors.table_invalid_input(
            "If-None-Match HTTP header cannot be specified for PUT or MERGE operations."
        )
    entity = sim.tables.write(
        req.params["account"], table, pk, rk, _body(req), req.header("if-match"), merge
    )
    return Response(204, None, {"ETag": entity.etag})


def replace_entity(sim: Simulation, req: Request) -> Response:
    return _write(sim, req, merge=False)


def merge_entity(sim: Simulation, req: Request) -> Response:
    return _write(sim, req, merge=True)


def delete_entity(sim: Simulation, req: Request) -> Response:
    raw_table, pk, rk = _entity_address(req)
    table = _table_name(sim, req, raw_table)
    sim.tables.delete_entity(req.params["account"], table, pk, rk, req.header("if-match"))
    return Response(204)


def register(router: Router) -> None:
    """Table Storage routes; the ``Tables`` resource and ``$batch`` before ``{resource}``."""
    router.add("GET", "/{account}/Tables", query_tables)
    router.add("POST", "/{account}/Tables", create_table)
    router.add("GET", "/{account}/Tables('{table}')", get_table)
    router.add("DELETE", "/{account}/Tables('{table}')", delete_table)
    router.add("POST", "/{account}/$batch", batch)
    router.add("POST", "/{account}/{resource}", insert_entity)
    router.add("GET", "/{account}/{resource}", read_entities)
    router.add("PUT", "/{account}/{resource}", replace_entity)
    router.add("PATCH", "/{account}/{resource}", merge_entity)
    router.add("MERGE", "/{account}/{resource}", merge_entity)
    router.add("DELETE", "/{account}/{resource}", delete_entity)
