"""The Functions app: composes the blueprints (HTTP, Service Bus, orchestrators, activities)."""

from __future__ import annotations

import azure.durable_functions as df

from activities.functions import bp as activities
from orchestrators.compensation import bp as compensation
from orchestrators.drift_runs import bp as drift_runs
from orchestrators.gateway_waiter import bp as gateway_waiter
from orchestrators.saga import bp as saga
from orchestrators.step_runner import bp as step_runner
from orchestrators.team_runs import bp as team_runs
from shared import telemetry
from triggers.dashboard import bp as dashboard
from triggers.drift_api import bp as drift_api
from triggers.gateway_signal import bp as gateway_signal
from triggers.http_api import bp as http_api
from triggers.openapi_route import bp as openapi_route
from triggers.operator_api import bp as operator_api
from triggers.problems import bp as problems
from triggers.servicebus import bp as servicebus
from triggers.teams_api import bp as teams_api

# In Azure: logs and spans to Application Insights with the run's ids (no-op locally).
telemetry.configure()

app = df.DFApp()
blueprints: list[df.Blueprint] = [
    http_api, operator_api, dashboard, servicebus, saga, step_runner, gateway_waiter,
    compensation, activities, problems,
]  # fmt: skip
blueprints += (teams_api, team_runs, drift_api, drift_runs)  # issue 15: after onboarding
blueprints += (openapi_route,)  # issue 14: GET /api/openapi.json
blueprints += (gateway_signal,)  # issue 17: the optional gateway push signal
for blueprint in blueprints:
    app.register_functions(blueprint)
