"""HTTP API: ``POST /api/onboardings`` (start or find the run, or dry run) and ``GET`` a run."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared import names
from shared.request import RequestInvalid
from triggers.intake import decode, problem, run_view, saga_input
from triggers.settings import saga_policy

bp = df.Blueprint()
log = logging.getLogger("onboarding.http")


def _json(body: Any, status: int, headers: dict[str, str] | None = None,
          mimetype: str = "application/json") -> func.HttpResponse:  # fmt: skip
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype=mimetype, headers=headers
    )


@bp.route(route="onboardings", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def start_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    try:
        request = decode(req.get_body())
    except RequestInvalid as invalid:
        return _json(problem(invalid.errors), 400, mimetype="application/problem+json")
    instance_id = request.instance_id
    if (req.params.get("dryRun") or "").lower() == "true":
        from activities.preflight import run_preflight  # reads only; see docs
        from shared.preflight import PreflightInput

        result = run_preflight(
            PreflightInput(
                apim_service_id=request.apim_service_id,
                mode=request.gateway.network.mode,
                subnet_id=request.gateway.network.subnet_id,
                workspace_name=request.workspace.name,
                existing_gateway_id=request.gateway.existing_gateway_id,
                instance_id=instance_id,
            )
        )
        return _json(
            {"dryRun": True, "instanceId": instance_id, **result.model_dump(by_alias=True)}, 200
        )
    existing = await client.get_status(instance_id)
    status_url = f"{req.url.split('?')[0].rstrip('/')}/{instance_id}"
    if existing and existing.runtime_status is not None:
        body = {"id": instance_id, "existing": True, "statusUrl": status_url, **run_view(existing)}
        return _json(body, 200, {"Location": status_url})
    await client.start_new(names.SAGA, instance_id, saga_input(request, saga_policy()))
    log.info(
        "started %s", instance_id, extra={"instanceId": instance_id, "ticketId": request.ticket_id}
    )
    return _json({"id": instance_id, "statusUrl": status_url}, 202, {"Location": status_url})


@bp.route(route="onboardings/{instance_id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def get_onboarding(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    instance_id = req.route_params.get("instance_id", "")
    status = await client.get_status(instance_id)
    if not status or status.runtime_status is None:
        return _json({"title": "No such onboarding", "status": 404, "id": instance_id}, 404,
                     mimetype="application/problem+json")  # fmt: skip
    return _json(run_view(status), 200)
