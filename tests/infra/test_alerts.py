"""Diagnostic settings, alerts and the runs workbook (infra/modules/diagnostics.bicep, alerts.bicep).

Every app resource sends logs and metrics to the Log Analytics workspace; each alert the issue
names exists and notifies the action group; every query reads milestones and dimensions the
code really logs (a renamed milestone would otherwise silence an alert without a trace).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from shared.activity_table import ACTIVITIES
from tests.infra import bicep_model as bm

DIAG = "Microsoft.Insights/diagnosticSettings"
WORKBOOK = bm.INFRA / "workbooks" / "onboarding-runs.json"
MILESTONE_CALL = re.compile(
    r'milestone\(\s*self\.ctx,\s*self\.ticket_id,\s*"([^"]+)"((?:[^()]|\([^()]*\))*)\)'
)


def _milestones() -> dict[str, set[str]]:
    """Milestone messages the orchestrators log, with the fields each one carries."""
    found: dict[str, set[str]] = {}
    for path in (bm.ROOT / "orchestrators").glob("*.py"):
        for message, rest in MILESTONE_CALL.findall(path.read_text(encoding="utf-8")):
            fields = set(re.findall(r"(\w+)=", rest)) | {"ticketId", "instanceId"}
            found.setdefault(message, set()).update(fields)
    assert found, "no milestone() calls found in orchestrators/"
    return found


def _quoted(query: str) -> set[str]:
    return set(re.findall(r'"([^"{}]*)"', query))


def _dimensions(query: str) -> set[str]:
    return set(re.findall(r"customDimensions\.(\w+)", query))


def _check_query(query: str, where: str) -> None:
    milestones = _milestones()
    fields = set().union(*milestones.values())
    messages = {m for m in _quoted(query) if " " in m and m.islower()}
    assert messages <= set(milestones), f"{where}: unknown milestones {messages - set(milestones)}"
    assert _dimensions(query) <= fields, (
        f"{where}: unknown dimensions {_dimensions(query) - fields}"
    )


# ------------------------------------------------------------------ diagnostic settings


def _diagnostics() -> dict[str, dict[str, Any]]:
    parsed = bm.module("diagnostics.bicep")
    return {name: bm.body(decl) for name, decl in bm.resources_of_type(parsed, DIAG).items()}


def _scope_type(scope: str) -> str:
    return str(bm.module("diagnostics.bicep")["resources"][scope]["type"])


def test_every_app_resource_sends_logs_and_metrics_to_log_analytics() -> None:
    settings = _diagnostics()
    scopes = {_scope_type(body["scope"]) for body in settings.values()}
    assert scopes == {
        "Microsoft.Web/sites",
        "Microsoft.ServiceBus/namespaces",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Storage/storageAccounts/blobServices",
        "Microsoft.Storage/storageAccounts/queueServices",
        "Microsoft.Storage/storageAccounts/tableServices",
        "Microsoft.DurableTask/schedulers",
    }
    for name, body in settings.items():
        assert body["properties"]["workspaceId"] == "logAnalyticsWorkspaceId", name
        assert body["properties"].get("metrics"), f"{name} sends no metrics"
    main = bm.body(bm.main()["modules"]["diagnostics"])["params"]
    assert json.dumps(main["logAnalyticsWorkspaceId"]).count("logAnalyticsId") == 1


def test_app_and_service_bus_send_all_logs_and_storage_audits_writes() -> None:
    parsed = bm.module("diagnostics.bicep")
    settings = _diagnostics()
    for name in ("appDiagnostics", "serviceBusDiagnostics"):
        assert bm.variable(parsed, settings[name]["properties"]["logs"]) == [
            {"categoryGroup": "allLogs", "enabled": True}
        ]
    for name in ("blobDiagnostics", "queueDiagnostics", "tableDiagnostics"):
        logs = bm.variable(parsed, settings[name]["properties"]["logs"])
        assert {entry["category"] for entry in logs} == {"StorageWrite", "StorageDelete"}


def test_scheduler_diagnostics_follow_the_backend_and_can_be_turned_off() -> None:
    decl = bm.module("diagnostics.bicep")["resources"]["schedulerDiagnosticSetting"]
    condition = json.dumps(bm.condition_of(decl))
    assert "schedulerName" in condition and "schedulerDiagnostics" in condition
    main = bm.body(bm.main()["modules"]["diagnostics"])["params"]
    assert "useScheduler" in json.dumps(main["schedulerName"])


# ------------------------------------------------------------------ alerts


def _alerts() -> dict[str, Any]:
    return bm.module("alerts.bicep")


def test_one_action_group_mails_the_alert_address() -> None:
    parsed = _alerts()
    (group,) = bm.resources_of_type(parsed, "Microsoft.Insights/actionGroups").values()
    receivers = bm.body(group)["properties"]["emailReceivers"]
    assert [r["emailAddress"] for r in receivers] == ["alertEmail"]
    assert all(r["useCommonAlertSchema"] for r in receivers)
    main = bm.main()
    assert bm.body(main["modules"]["alerts"])["params"]["alertEmail"] == "alertEmail"
    mapped = json.loads((bm.INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert mapped["parameters"]["alertEmail"]["value"] == "${ALERT_EMAIL}"


def test_dead_lettered_messages_alert_on_every_entity_of_the_namespace() -> None:
    rule = bm.body(_alerts()["resources"]["deadLetters"])["properties"]
    (criterion,) = rule["criteria"]["allOf"]
    assert criterion["metricName"] == "DeadletteredMessages"
    assert criterion["operator"] == "GreaterThan" and criterion["threshold"] == 0
    assert criterion["dimensions"] == [
        {"name": "EntityName", "operator": "Include", "values": ["*"]}
    ]
    assert rule["actions"] == [{"actionGroupId": {"operator": {"type": "property_accessor", "operands": {"operand_1": "actionGroup", "operand_2": "id"}}}}]  # fmt: skip


def _log_alerts() -> dict[str, dict[str, Any]]:
    parsed = _alerts()
    return {a["key"]: a for a in bm.variable(parsed, "logAlerts")}


def _query(alert: dict[str, Any]) -> str:
    """The KQL an alert runs, with the module's replace() calls applied to their defaults."""
    parsed = _alerts()
    return _render(alert["query"], parsed)


def _render(expr: Any, parsed: dict[str, Any]) -> str:
    if isinstance(expr, str) and expr in (parsed.get("variables") or {}):
        return _render(bm.variable(parsed, expr), parsed)
    if isinstance(expr, str) and expr in parsed["parameters"]:
        return str(bm.param_default(parsed, expr))
    if isinstance(expr, dict) and "function" in expr:
        fn = expr["function"]
        args = fn["parameters"]
        if fn["type"] == "replace":
            return _render(args["original_string"], parsed).replace(
                _render(args["old_string"], parsed), _render(args["new_string"], parsed)
            )
        if fn["type"] == "string":
            return _render(args["value_to_convert"], parsed)
    if isinstance(expr, str) and "${join(activityFunctions" in expr:
        names = bm.variable(parsed, "activityFunctions")
        return "(" + ", ".join(f'"{n}"' for n in names) + ")"
    if isinstance(expr, str):
        return expr
    raise AssertionError(f"cannot render {expr!r}")


def test_the_issue_alerts_exist_and_notify_the_action_group() -> None:
    alerts = _log_alerts()
    assert set(alerts) == {"run-waiting-on-operator", "run-failed", "run-compensation-failed",
                           "function-failures"}  # fmt: skip
    assert alerts["run-compensation-failed"]["severity"] == 1
    rule = bm.body(_alerts()["resources"]["logAlertRules"])["properties"]
    assert rule["actions"]["actionGroups"] == [{"operator": {"type": "property_accessor", "operands": {"operand_1": "actionGroup", "operand_2": "id"}}}]  # fmt: skip
    assert rule["scopes"] == [{"operator": {"type": "property_accessor", "operands": {"operand_1": "applicationInsights", "operand_2": "id"}}}]  # fmt: skip


@pytest.mark.parametrize(
    "key", ["run-waiting-on-operator", "run-failed", "run-compensation-failed", "function-failures"]
)
def test_alert_queries_read_what_the_code_logs(key: str) -> None:
    alert = _log_alerts()[key]
    query = _query(alert)
    _check_query(query, key)
    for dim in alert["dimensions"]:
        assert re.search(rf"\b{dim}\b", query), f"{key}: splits by {dim}, which the query lacks"


def test_failed_run_alerts_cover_every_unsuccessful_outcome() -> None:
    outcomes = _quoted(_query(_log_alerts()["run-failed"])) | _quoted(
        _query(_log_alerts()["run-compensation-failed"])
    )
    assert {"Failed", "Compensated", "CompensationFailed"} <= outcomes


def test_the_waiting_alert_uses_the_threshold_parameter() -> None:
    query = _query(_log_alerts()["run-waiting-on-operator"])
    assert "ago(24h)" in query
    alert = _log_alerts()["run-waiting-on-operator"]
    assert alert["window"] == "P2D", "a wait re-logs at every reminder; 48 h must cover one"


def test_function_failures_leave_out_exactly_the_activities() -> None:
    names = bm.variable(_alerts(), "activityFunctions")
    assert set(names) == {a.name for a in ACTIVITIES.values()}
    assert "!in" in _query(_log_alerts()["function-failures"])


# ------------------------------------------------------------------ workbook


def test_the_workbook_shows_runs_by_outcome_step_and_duration() -> None:
    data = json.loads(WORKBOOK.read_text(encoding="utf-8"))
    assert data["version"] == "Notebook/1.0"
    queries = {i["name"]: i["content"]["query"] for i in data["items"] if i["type"] == 3}
    assert {"outcomes", "failed-steps", "run-durations", "step-durations", "waiting",
            "ticket"} <= set(queries)  # fmt: skip
    for name, query in queries.items():
        _check_query(query, f"workbook {name}")
    workbook = bm.body(_alerts()["resources"]["workbook"])
    load = workbook["properties"]["serializedData"]["function"]
    assert load["type"] == "load_text_content"
    assert (bm.MODULES / load["parameters"]["file_path"]).resolve() == WORKBOOK
