"""The team inventory over HTTP (issue 15): ``GET /api/teams`` and ``GET /api/teams/{team}``.

Reads need Onboarding.Reader, Requester or Operator (docs/teams.md). Records live in the run
index's table (shared/team_store.py); without ``RUN_INDEX_ENDPOINT`` the routes answer 503.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.azure_clients import SettingsError
from shared.request import char_problem
from shared.run_index_store import IndexUnavailable
from shared.team_api_models import READ, TeamDetail, TeamList, TeamSummary
from shared.team_record import summary
from shared.team_store import TeamStore, team_store
from triggers.auth import Principal, authorize, problem_response

bp = df.Blueprint()
MAX_TEAM = 100  # the contract's bound on team


def _json(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


def store_or_problem() -> TeamStore | func.HttpResponse:
    try:
        return team_store()
    except (IndexUnavailable, SettingsError) as err:
        return problem_response(
            503, "The team records are unavailable",
            f"{err}. Team records live in the run index's table: set RUN_INDEX_ENDPOINT "
            "(docs/operators.md).",
        )  # fmt: skip


def team_problem(team: str) -> str | None:
    """Why ``team`` (from a route or query) cannot be a team name, or None."""
    if not team.strip() or len(team) > MAX_TEAM:
        return f"a team name holds 1-{MAX_TEAM} characters"
    return char_problem(team, name=False)


def _bad(field: str, message: str) -> func.HttpResponse:
    return problem_response(400, f"The parameter '{field}' is invalid", f"{field}: {message}",
                            errors=[{"field": field, "message": message}])  # fmt: skip


@bp.route(route="teams", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def list_teams(req: func.HttpRequest) -> func.HttpResponse:
    principal = authorize(req, *READ)
    if not isinstance(principal, Principal):
        return principal
    team = (req.params.get("team") or "").strip() or None
    if team is not None and (bad := team_problem(team)):
        return _bad("team", bad)
    status = (req.params.get("status") or "").strip() or None
    if status is not None and status not in ("active", "offboarding", "offboarded"):
        return _bad("status", "must be one of active, offboarding, offboarded")
    store = store_or_problem()
    if not isinstance(store, TeamStore):
        return store
    records = await asyncio.to_thread(store.list, team)
    items = [TeamSummary.model_validate(summary(r)) for r in records
             if status is None or r.status == status]  # fmt: skip
    return _json(TeamList(items=items).model_dump(by_alias=True, mode="json"))


@bp.route(route="teams/{team}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def get_team(req: func.HttpRequest) -> func.HttpResponse:
    principal = authorize(req, *READ)
    if not isinstance(principal, Principal):
        return principal
    team = req.route_params.get("team", "")
    if (bad := team_problem(team)) is not None:
        return _bad("team", bad)
    store = store_or_problem()
    if not isinstance(store, TeamStore):
        return store
    records = await asyncio.to_thread(store.list, team)
    if not records:
        return problem_response(404, "No such team", f"No onboarding has recorded team {team!r}.",
                                team=team)  # fmt: skip
    detail = TeamDetail(team=team, workspaces=records)
    return _json(detail.model_dump(by_alias=True, mode="json"))
