"""The OpenAPI 3.1 document of the HTTP API, generated from the code's own models (pure).

Every route of shared/api_routes.py (the table a test holds equal to what function_app
registers) with its parameters, its body (the pydantic model the handler validates with) and
every answer it gives (the models it answers with; every error is problem details of a
documented type, docs/problems/). JSON Schema 2020-12 is OpenAPI 3.1's own dialect, so the
models' schemas go in unchanged. The app serves it at ``GET /api/openapi.json``; docs/openapi.json
is the committed copy (``make schema``; a test fails when it is stale), and
tests/e2e/test_openapi_contract.py drives the running app from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared import api_models as am
from shared.api_routes import ROUTES, Route
from shared.problem_types import BY_SLUG
from shared.request import OnboardingRequest, json_schema
from shared.status_model import OUTCOMES
from shared.team_api_models import (
    DriftCheckBody,
    DriftList,
    RepairBody,
    Started,
    TeamDetail,
    TeamList,
)

VERSION = "1.0.0"
JSON = "application/json"
PROBLEM = "application/problem+json"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Op:
    """What one route takes and answers, beyond the route table."""

    body: type[BaseModel] | None = None
    body_required: bool = True
    any_body: bool = False  # a JSON value of the caller's choice (an operator event)
    ok: dict[int, type[BaseModel] | list[type[BaseModel]] | str] = field(default_factory=dict)
    problems: tuple[int, ...] = ()
    query: tuple[tuple[str, dict[str, Any], str], ...] = ()
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)


_SUB = "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups"
# The request of docs/request-contract.md, on the local simulator's seeded resources.
EXAMPLE_REQUEST: dict[str, Any] = {
    "ticketId": "CHG0012345", "team": "payments", "requestedBy": "alice@contoso.example",
    "apimServiceId": f"{_SUB}/rg-apim/providers/Microsoft.ApiManagement/service/apim-contoso",
    "workspace": {"name": "ws-payments", "displayName": "Payments",
                  "description": "Payments APIs"},
    "gateway": {"name": "gw-payments", "capacity": 1, "network": {
        "mode": "integration", "subnetId": f"{_SUB}/rg-network/providers/Microsoft.Network/"
                                           "virtualNetworks/vnet-apim/subnets/snet-gw-a"}},
    "access": [{"principalId": "a11ce000-0000-4000-8000-000000000001",
                "principalType": "User", "scope": "workspace",
                "role": "API Management Workspace Contributor"}],
}  # fmt: skip
EXAMPLE_RUN = "onboard-chg0012345"  # the run of EXAMPLE_REQUEST
_ID = {"type": "string", "minLength": 1, "maxLength": 128, "examples": [EXAMPLE_RUN],
       "description": "the run id (onboard-...; from the start answer or the list)"}  # fmt: skip
_RUN = {"id": _ID}
_TEXT = {"type": "string", "maxLength": 256}
_LIST_QUERY = (
    ("ticket", _TEXT, "exact ticket id"),
    ("team", _TEXT, "exact team"),
    ("workspace", _TEXT, "exact workspace name"),
    ("status", {"type": "string", "enum": [*OUTCOMES, "Pending", "Completed", "Canceled",
                                             "Suspended", "ContinuedAsNew"]},
     "an outcome, or Durable's runtime status"),
    ("outcome", {"type": "string", "enum": list(OUTCOMES)}, "the run's outcome"),
    ("step", _TEXT, "the current step"),
    ("requestedBy", _TEXT, "who asked"),
    ("from", {"type": "string"}, "created at or after (ISO date or time)"),
    ("to", {"type": "string"}, "created at or before (a bare date includes the day)"),
    ("top", {"type": "integer", "minimum": 1, "maximum": 200}, "page size"),
    ("continuationToken", {"type": "string"}, "the previous page's continuationToken"),
)  # fmt: skip
_BOOL_WORDS = ["true", "false", "1", "0", "yes", "no", "y", "n", "on", "off"]

# fmt: off
OPS: dict[str, Op] = {
    "start_onboarding": Op(
        body=OnboardingRequest,
        ok={202: am.StartAccepted, 200: [am.RunAnswer, am.DryRunAnswer, am.TeamDryRunAnswer]},
        problems=(400, 403, 404, 409, 413, 422, 500, 501, 503),
        query=(("dryRun", {"type": "string", "enum": _BOOL_WORDS},
                "true: change nothing, answer the plan (docs/request-contract.md#dry-run)"),),
    ),
    "list_onboardings": Op(ok={200: am.RunList}, problems=(400, 503), query=_LIST_QUERY),
    "count_onboardings": Op(ok={200: am.RunCounts}, problems=(503,)),
    "get_onboarding": Op(ok={200: am.RunAnswer}, problems=(400, 404), path_params=_RUN),
    "onboarding_timeline": Op(ok={200: am.Timeline}, problems=(400, 404), path_params=_RUN),
    "onboarding_history": Op(ok={200: am.History}, problems=(400, 404), path_params=_RUN),
    "terminate_onboarding": Op(body=am.TerminateBody, ok={202: am.RunAnswer},
                               problems=(400, 404, 409), path_params=_RUN),
    "approve_onboarding": Op(body=am.ApproveBody, ok={202: am.RunAnswer},
                             problems=(400, 404, 409), path_params=_RUN),
    "raise_operator_event": Op(
        any_body=True, ok={202: am.RunAnswer}, problems=(400, 404, 409),
        path_params={**_RUN, "name": {"type": "string", "enum": [
            "approval", "private_ip", "stalled_decision", "failed_decision"]}},
    ),
    "retry_onboarding": Op(body=am.ReasonBody, body_required=False, ok={202: am.RunAnswer},
                           problems=(400, 404, 409), path_params=_RUN),
    "compensate_onboarding": Op(body=am.ReasonBody, body_required=False,
                                ok={202: am.RunAnswer}, problems=(400, 404, 409),
                                path_params=_RUN),
    "purge_onboarding": Op(body=am.ReasonBody, body_required=False, ok={202: am.RunAnswer},
                           problems=(400, 404, 409), path_params=_RUN),
    "purge_old_onboardings": Op(
        ok={202: am.PurgedRuns}, problems=(400, 503),
        query=(("olderThanDays", {"type": "string", "pattern": "^[0-9]{1,5}$"},
                "purge finished runs created more than this many days ago (required)"),),
    ),
    "list_teams": Op(ok={200: TeamList}, problems=(503,)),
    "get_team": Op(ok={200: TeamDetail}, problems=(400, 404, 503),
                   path_params={"team": {"type": "string", "minLength": 1, "maxLength": 100}}),
    "list_drift": Op(ok={200: DriftList}, problems=(503,)),
    "check_drift": Op(body=DriftCheckBody, body_required=False, ok={202: Started},
                      problems=(400,)),
    "repair_team_route": Op(body=RepairBody, ok={202: Started, 200: Started},
                            problems=(400, 404, 500, 503),
                            path_params={"team": {"type": "string", "minLength": 1,
                                                  "maxLength": 100}}),
    "dashboard_page": Op(ok={200: "text/html", 308: ""}),
    "dashboard_asset": Op(ok={200: "text/javascript|text/css"}, problems=(404,),
                          path_params={"file": {"type": "string", "enum": ["app.js", "app.css"]}}),
    "openapi_document": Op(ok={200: JSON}),
    "problem_type_index": Op(ok={200: "text/markdown"}),
    "problem_type_page": Op(ok={200: "text/markdown"}, problems=(404,),
                            path_params={"slug": {"type": "string", "enum": sorted(BY_SLUG)}}),
}
# fmt: on

_STATUS_TEXT = {200: "OK", 202: "Accepted", 308: "Permanent redirect (to the page without /)",
                400: "Bad request", 401: "Sign in required", 403: "Forbidden", 404: "Not found",
                409: "Conflict", 413: "Too large", 422: "Unprocessable (a dry run's findings)",
                500: "The app failed or its settings are unusable", 501: "Not implemented",
                503: "Unavailable"}  # fmt: skip


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [am.ProblemDetails]
    for op in OPS.values():
        if op.body is not None:
            found.append(op.body)
        for answer in op.ok.values():
            for model in answer if isinstance(answer, list) else [answer]:
                if isinstance(model, type):
                    found.append(model)
    return list(dict.fromkeys(found))


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": REF.format(model=model.__name__)}


def _problem_types(status: int) -> list[str]:
    return [p.slug for p in BY_SLUG.values() if p.status == status]


def _responses(route: Route, op: Op) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, answer in sorted(op.ok.items()):
        desc = _STATUS_TEXT.get(status, "")
        if isinstance(answer, str):  # media types, "|" between them; "" for no body
            content = {t: {"schema": {"type": "object"} if t == JSON else {"type": "string"}}
                       for t in answer.split("|") if t}  # fmt: skip
            out[str(status)] = {"description": desc} | ({"content": content} if content else {})
            continue
        models = answer if isinstance(answer, list) else [answer]
        schema = _ref(models[0]) if len(models) == 1 else {"anyOf": [_ref(m) for m in models]}
        out[str(status)] = {"description": desc, "content": {JSON: {"schema": schema}}}
    statuses = set(op.problems) | ({401, 403} if route.roles else set())
    for status in sorted(statuses):
        kinds = _problem_types(status)
        out[str(status)] = {
            "description": f"{_STATUS_TEXT.get(status, '')}: problem details of type "
            + ", ".join(f"`{k}`" for k in kinds),
            "content": {PROBLEM: {"schema": _ref(am.ProblemDetails)}},
        }
    return out


def _operation(route: Route, op: Op) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": schema}
        for name, schema in op.path_params.items()
    ]
    params += [
        {"name": name, "in": "query", "required": name == "olderThanDays", "schema": schema,
         "description": desc}
        for name, schema, desc in op.query
    ]  # fmt: skip
    operation: dict[str, Any] = {
        "operationId": route.function,
        "summary": route.summary,
        "tags": [route.path.split("/")[0]],
        "responses": _responses(route, op),
    }
    if params:
        operation["parameters"] = params
    if route.roles:
        operation["security"] = [{"appServiceAuthentication": []}]
        operation["x-app-roles"] = list(route.roles)
        operation["description"] = f"Needs the app role {' or '.join(route.roles)}."
    else:
        operation["security"] = []
    if op.body is not None:
        media: dict[str, Any] = {"schema": _ref(op.body)}
        if op.body is OnboardingRequest:
            # The contract: an onboarding, a change of access or an offboarding (by ``kind``).
            media = {"schema": {"$ref": REF.format(model="Request")}, "example": EXAMPLE_REQUEST}
        operation["requestBody"] = {"required": op.body_required, "content": {JSON: media}}
    elif op.any_body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": {}}}}
    return operation


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (deterministic: the same code gives the same bytes)."""
    missing = {r.function for r in ROUTES} - set(OPS)
    assert not missing, f"routes without an OpenAPI description: {sorted(missing)}"
    _, defs = models_json_schema(
        [(m, "validation" if m is OnboardingRequest or m.__name__.endswith("Body")
          else "serialization") for m in _models()],
        by_alias=True, ref_template=REF,
    )  # fmt: skip
    schemas = dict(defs.get("$defs", {}))
    contract = json.loads(json.dumps(json_schema()).replace('"#/$defs/', '"#/components/schemas/'))
    for name, schema in contract.pop("$defs", {}).items():
        schemas.setdefault(name, schema)
    contract.pop("$schema", None)
    schemas["Request"] = contract
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(
            route, OPS[route.function]
        )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "APIM workspace onboarding",
            "version": VERSION,
            "description": "Onboard an API team into an Azure API Management workspace, watch "
            "and act on the runs. Errors are RFC 9457 problem details whose `type` is documented "
            "at /api/problems (docs/problems/). Generated from the app's models "
            "(shared/openapi.py); the request contract is docs/request-contract.md.",
        },
        "servers": [{"url": "/", "description": "the app's origin; routes are under /api"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "appServiceAuthentication": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An Entra ID access token for the API; App Service "
                    "Authentication checks it and hands the app the caller's principal and app "
                    "roles (docs/security.md).",
                }
            },
        },
    }
