"""Every HTTP route of the app: method, path template, function, roles (pure data).

The OpenAPI document (shared/openapi.py) describes exactly these, and the catch-all route
(triggers/problems.py) tells 405 from 404 with them. tests/unit/test_api_routes.py checks that
this table equals the routes function_app registers, so neither can drift from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "/api"  # host.json's default routePrefix

READ = ("Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator")
START = ("Onboarding.Requester", "Onboarding.Operator")
ACT = ("Onboarding.Operator",)


@dataclass(frozen=True)
class Route:
    function: str  # the Functions function name
    method: str
    path: str  # the template below the prefix, as in the function's route
    summary: str
    roles: tuple[str, ...] = ()  # any one of them; () is anonymous

    @property
    def openapi_path(self) -> str:
        return f"{PREFIX}/{self.path}".replace("{instance_id}", "{id}")

    def matches(self, path: str) -> bool:
        """True when ``path`` (below the prefix, no query) is this route's path."""
        return _pattern(self.path).fullmatch(path.strip("/")) is not None


ROUTES: tuple[Route, ...] = (
    Route("start_onboarding", "POST", "onboardings",
          "Start the ticket's onboarding, find its run, or dry-run it", START),
    Route("list_onboardings", "GET", "onboardings", "Search runs (the run index)", READ),
    Route("count_onboardings", "GET", "onboardings/counts", "Runs per status", READ),
    Route("get_onboarding", "GET", "onboardings/{instance_id}", "A run's view", READ),
    Route("onboarding_timeline", "GET", "onboardings/{instance_id}/timeline",
          "A run's steps on a time axis", READ),
    Route("onboarding_history", "GET", "onboardings/{instance_id}/history",
          "A run's Durable history and its sub-orchestrations'", READ),
    Route("terminate_onboarding", "POST", "onboardings/{instance_id}/terminate",
          "Terminate a run (optionally undoing what it made)", ACT),
    Route("approve_onboarding", "POST", "onboardings/{instance_id}/approve",
          "Approve or reject a run waiting for approval", ACT),
    Route("raise_operator_event", "POST", "onboardings/{instance_id}/events/{name}",
          "Answer the operator wait a run is in", ACT),
    Route("retry_onboarding", "POST", "onboardings/{instance_id}/retry",
          "Retry a failed run (in place when held, else as a new run)", ACT),
    Route("compensate_onboarding", "POST", "onboardings/{instance_id}/compensate",
          "Retry the undo of a CompensationFailed run", ACT),
    Route("purge_onboarding", "POST", "onboardings/{instance_id}/purge",
          "Delete a finished run's history and index row", ACT),
    Route("purge_old_onboardings", "POST", "onboardings/purge",
          "Purge finished runs older than a number of days", ACT),
    Route("list_teams", "GET", "teams", "The team records (what each team owns)", READ),
    Route("get_team", "GET", "teams/{team}", "One team's record", READ),
    Route("list_drift", "GET", "drift", "Every team's latest drift findings", READ),
    Route("check_drift", "POST", "drift", "Check every team (or one) for drift now", ACT),
    Route("repair_team_route", "POST", "teams/{team}/repair",
          "Re-apply a team's recorded state (approval by default)", ACT),
    Route("dashboard_page", "GET", "dashboard", "The operators' dashboard page"),
    Route("dashboard_asset", "GET", "dashboard/{file}", "The dashboard's script and stylesheet"),
    Route("openapi_document", "GET", "openapi.json", "This OpenAPI document"),
    Route("problem_type_index", "GET", "problems", "The problem types the API answers"),
    Route("problem_type_page", "GET", "problems/{slug}", "The page of one problem type"),
)  # fmt: skip

# The catch-all that answers every other path with problem details (triggers/problems.py).
CATCH_ALL_FUNCTION = "zz_no_such_route"
CATCH_ALL_PATH = "{*path}"


def _pattern(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{*"):
            parts.append(".*")
        elif segment.startswith("{"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/".join(parts), re.IGNORECASE)  # the host matches case-insensitively


def allowed_methods(path: str) -> list[str]:
    """The methods the routes of ``path`` (below the prefix) take; [] for no route."""
    return sorted({r.method for r in ROUTES if r.matches(path)})
