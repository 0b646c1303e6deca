"""Every app setting the app and its Functions host read: name, type, default, who reads it and
whether the deployment writes it. The one list; nothing here reads the environment.

``tests/infra/test_settings_registry.py`` checks it three ways: every setting-like name in the
deployed code is listed here; ``infra/`` writes exactly the settings marked ``always`` (and, with
the Durable Task Scheduler, ``scheduler``), never a ``local`` or ``optional`` one; and the
settings table in docs/deploy.md is :func:`markdown_table` (``make settings-doc`` rewrites it).

``deploy``:
- ``always``: ``main.bicep`` writes it in every deployment (from ``parameter`` where one is named);
- ``scheduler``: written only with ``durableBackend = DurableTaskScheduler``;
- ``optional``: not written; the app default holds unless an operator adds the app setting;
- ``local``: for the local simulator and devhost only; never set in Azure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Deploy = Literal["always", "scheduler", "optional", "local"]
Reader = Literal["app", "host", "app+host"]


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: str  # what holds when the setting is absent ("" = nothing: off / unrestricted)
    description: str
    reader: Reader = "app"
    deploy: Deploy = "always"
    parameter: str | None = None  # main.bicep parameter that feeds it
    deployed_default: str | None = None  # the parameter's default, where it differs from default


_HOURS = "number (hours)"
_LIST = "JSON array of strings"

SETTINGS: tuple[Setting, ...] = (
    # ---------------------------------------------------------------- guardrails (intake)
    Setting("POLICY_ALLOWED_APIM_SERVICES", _LIST, "unrestricted",
            "APIM service resource ids a request may target (docs/security.md#guardrails).",
            parameter="apimServices"),
    Setting("POLICY_ALLOWED_SUBNETS", _LIST, "unrestricted",
            "Subnet resource ids a gateway may use: each allowed VNet x its subnetNames.",
            parameter="allowedVnets"),
    Setting("POLICY_ALLOWED_DNS_RESOURCE_GROUPS", _LIST, "unrestricted",
            "Resource group ids where injection-mode private DNS zones may be created.",
            parameter="dnsResourceGroups"),
    Setting("POLICY_ALLOWED_SHARED_GATEWAYS", _LIST, "none",
            "Shared gateway ids a request may join besides those in its APIM service's "
            "resource group (docs/security.md#guardrails).", deploy="optional"),
    Setting("POLICY_ALLOWED_ROLES_SERVICE", _LIST, "both service-scope roles",
            "Role names the app may grant at APIM service scope.",
            parameter="allowedRolesService"),
    Setting("POLICY_ALLOWED_ROLES_WORKSPACE", _LIST, "all four workspace-scope roles",
            "Role names the app may grant at workspace scope.",
            parameter="allowedRolesWorkspace"),
    Setting("POLICY_ALLOWED_ROLES_GATEWAY", _LIST, '["Reader"]',
            "Role names the app may grant at gateway scope (a grant lands on a resource group).",
            parameter="allowedRolesGateway"),
    Setting("POLICY_MAX_GATEWAY_UNITS", "integer 1-10", "10",
            "Most units a new gateway may ask for.",
            parameter="maxGatewayUnits", deployed_default="2"),
    Setting("POLICY_WORKSPACE_NAME_PATTERN", "regular expression",
            "lower-case letters, digits, hyphens",
            "Pattern a workspace name must fully match; blank keeps the default.",
            parameter="workspaceNamePattern", deployed_default=""),
    # ---------------------------------------------------------------- run shaping
    Setting("POLICY_REQUIRE_APPROVAL", "true / false", "false",
            "Every run waits for an approver after preflight, before its first write.",
            parameter="requireApproval", deployed_default="true"),
    Setting("POLICY_APPROVAL_TIMEOUT_HOURS", _HOURS, "72",
            "How long a run waits for approval before it ends without changing anything.",
            parameter="approvalTimeoutHours"),
    Setting("POLICY_REMINDER_HOURS", _HOURS, "24",
            "Interval of reminder notifications while a run waits for an operator.",
            parameter="reminderHours"),
    Setting("POLICY_BUILD_DEADLINE_HOURS", _HOURS, "6",
            "Gateway build deadline; past it the run goes to Stalled and asks an operator.",
            parameter="buildDeadlineHours"),
    Setting("POLICY_STALLED_TIMEOUT_HOURS", _HOURS, "72",
            "How long a Stalled run waits for an operator's keep-waiting / abort answer.",
            parameter="stalledTimeoutHours"),
    Setting("POLICY_PRIVATE_IP_TIMEOUT_HOURS", _HOURS, "72",
            "How long an injection run waits for an operator to supply the gateway's private IP.",
            parameter="privateIpTimeoutHours"),
    Setting("POLICY_FAILED_STEP_HOLD_HOURS", _HOURS, "0",
            "How long a step that cannot succeed is held for an operator to fix and retry "
            "before the run compensates. 0 compensates at once, deleting a gateway that took "
            "hours to build; the deployment default holds it for a working day.",
            parameter="failedStepHoldHours", deployed_default="24"),
    Setting("POLICY_GATEWAY_UNIT_MONTHLY_PRICE", "number", "",
            "Monthly price of one workspace gateway unit, shown to the approver as a new "
            "gateway's cost; blank shows no cost (prices differ by region and agreement).",
            parameter="gatewayUnitMonthlyPrice"),
    Setting("POLICY_PRICE_CURRENCY", "ISO 4217 code", "USD",
            "Currency of that price.", parameter="priceCurrency"),
    Setting("POLICY_GATEWAY_PUSH_SIGNAL", "true / false", "false",
            "Runs started with it on also wake when Event Grid reports their gateway's write "
            "(queue gateway-events), then confirm with one GET; polling stays the fallback "
            "(docs/operations.md#gateway-push-signal). The parameter also deploys the Event "
            "Grid subscription.", parameter="gatewayPushSignal"),
    # ---------------------------------------------------------------- after onboarding (issue 15)
    Setting("POLICY_CHANGE_ACCESS_REQUIRE_APPROVAL", "true / false", "false",
            "A change of a team's access waits for an approver before its first write "
            "(docs/teams.md).", deploy="optional"),
    Setting("POLICY_OFFBOARD_REQUIRE_APPROVAL", "true / false", "true",
            "An offboarding waits for an approver before its first removal (docs/teams.md).",
            deploy="optional"),
    Setting("POLICY_OFFBOARD_ROLES", _LIST, '["Onboarding.Operator"]',
            "App roles that may offboard a team over HTTP; with Onboarding.Requester in it, "
            "Service Bus senders may too (docs/teams.md).", deploy="optional"),
    Setting("POLICY_DRIFT_CHECK_HOURS", _HOURS, "24",
            "How often the scheduled drift check compares every team's record with ARM (the "
            "timer looks hourly); 0 turns the scheduled check off (docs/teams.md).",
            deploy="optional"),
    Setting("POLICY_REPAIR_REQUIRE_APPROVAL", "true / false", "true",
            "A repair of a team's drift waits for an approver before it re-applies anything "
            "(docs/teams.md).", deploy="optional"),
    # ---------------------------------------------------------------- identity and connections
    Setting("AZURE_CLIENT_ID", "GUID", "",
            "Client id of the app's user-assigned identity (DefaultAzureCredential, Service Bus "
            "and run index clients).", reader="app+host"),
    Setting("AzureWebJobsStorage__accountName", "string", "",
            "Host storage account (identity-based connection).", reader="host"),
    Setting("AzureWebJobsStorage__credential", "managedidentity", "",
            "Host storage uses the managed identity.", reader="host"),
    Setting("AzureWebJobsStorage__clientId", "GUID", "",
            "Which identity the host uses for storage.", reader="host"),
    Setting("RUN_INDEX_ENDPOINT", "https URL", "",
            "Table service of the operators' search index; blank turns the index off.",),
    Setting("RUN_INDEX_TABLE", "string", "onboardingruns",
            "Table name of that index.", deploy="optional"),
    Setting("ServiceBusConnection__fullyQualifiedNamespace", "host name", "",
            "Service Bus namespace of the trigger and of the status events.",
            reader="app+host"),
    Setting("ServiceBusConnection__credential", "managedidentity", "",
            "The Service Bus trigger uses the managed identity.", reader="host"),
    Setting("ServiceBusConnection__clientId", "GUID", "",
            "Which identity the trigger uses.", reader="host"),
    Setting("ServiceBusConnection", "connection string", "",
            "A Service Bus connection string (the local broker); in Azure the identity-based "
            "settings above replace it.", reader="app+host", deploy="local"),
    Setting("EVENTS_TOPIC", "string", "onboarding-events",
            "Topic the status events are published to."),
    Setting("PROBLEM_TYPE_BASE", "URL prefix", "/api/problems/",
            "Where the `type` URIs of problem details point (docs/problems/): by default the "
            "app's own pages; e.g. a published copy of docs/problems/.", deploy="optional"),
    Setting("EVENT_SCHEMA_BASE", "URI prefix", "urn:apim-workspace-onboarding:events:",
            "The `dataschema` of each status event (docs/events/<kind>.schema.json): e.g. where "
            "docs/events/ is published.", deploy="optional"),
    Setting("APPLICATIONINSIGHTS_CONNECTION_STRING", "connection string", "",
            "Application Insights ingestion endpoint (local auth is disabled; not a secret); "
            "absent = the app exports no telemetry of its own (local runs).",
            reader="app+host"),
    Setting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "string", "",
            "`ClientId=<identity>;Authorization=AAD`: telemetry is sent with the identity's token.",
            reader="app+host"),
    Setting("PYTHON_ENABLE_OPENTELEMETRY", "true / false", "false",
            "The Python worker joins the host's OpenTelemetry trace context (host.json "
            "telemetryMode OpenTelemetry); the app exports its logs and spans itself.",
            reader="host"),
    # ---------------------------------------------------------------- Durable backend
    # host.json values overridden by app settings (AzureFunctionsJobHost__<path>): the one
    # durableBackend parameter of main.bicep selects the provider without editing host.json.
    Setting("AzureFunctionsJobHost__extensions__durableTask__hubName", "string",
            "onboarding",
            "Task hub name, for either backend (main.bicep taskHubName).",
            reader="host", parameter="taskHubName"),
    Setting("AzureFunctionsJobHost__extensions__durableTask__storageProvider__type",
            "azureManaged", "Azure Storage",
            "Selects the Durable Task Scheduler provider instead of Azure Storage.",
            reader="host", deploy="scheduler"),
    Setting("AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName",
            "setting name", "AzureWebJobsStorage",
            "The setting that holds the scheduler connection "
            "(`DURABLE_TASK_SCHEDULER_CONNECTION_STRING`).", reader="host", deploy="scheduler"),
    Setting("OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID", "GUID", "",
            "Client id of the sign-in identity: App Service authentication's client assertion "
            "(federated credential) instead of a client secret.", reader="host"),
    Setting("DURABLE_TASK_SCHEDULER_CONNECTION_STRING", "connection string", "",
            "`Endpoint=<scheduler>;Authentication=ManagedIdentity;ClientID=<identity>`: no secret.",
            reader="host", deploy="scheduler"),
    # ---------------------------------------------------------------- ARM client
    Setting("ARM_RETRY_TOTAL", "integer", "3",
            "azure-core retries per ARM call; kept short, the saga retries on durable timers.",
            deploy="optional"),
    Setting("ARM_POLLING_INTERVAL", "number (seconds)", "5",
            "LRO polling interval of the short operations awaited inside an activity.",
            deploy="optional"),
    Setting("ARM_ENDPOINT", "https URL", "https://management.azure.com",
            "ARM endpoint; the local simulator's URL in development.", deploy="local"),
    Setting("ARM_CA_BUNDLE", "file path", "",
            "CA bundle that signs the local simulator's certificate.", deploy="local"),
    Setting("ARM_CREDENTIAL", "default / static", "default",
            "`static` = a fixed token for the simulator (refused for the public endpoint).",
            deploy="local"),
    Setting("ARM_STATIC_PRINCIPAL_ID", "GUID", "",
            "With `ARM_CREDENTIAL=static`: the object id the token names, so the simulator "
            "authorizes the app as that identity (the local stack: what infra/ grants it).",
            deploy="local"),
    Setting("AUTH_MODE", "easyauth / disabled", "easyauth",
            "`disabled` treats every caller as holding every app role: local demos only.",
            deploy="local"),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def deployed(*, scheduler: bool) -> set[str]:
    """The settings ``infra/`` must write for one Durable backend."""
    kinds = {"always", "scheduler"} if scheduler else {"always"}
    return {s.name for s in SETTINGS if s.deploy in kinds}


_DEPLOY_TEXT = {
    "always": "written",
    "scheduler": "written with the Durable Task Scheduler",
    "optional": "not written (add it to change the default)",
    "local": "never in Azure (local only)",
}


def markdown_table() -> str:
    """The settings table of docs/deploy.md (between its settings-table markers)."""
    rows = [
        "| setting | type | default when absent | deployment | read by | what it does |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        deploy = _DEPLOY_TEXT[s.deploy]
        if s.parameter:
            deploy += f" from `{s.parameter}`"
            if s.deployed_default is not None:
                shown = f"`{s.deployed_default}`" if s.deployed_default else "blank"
                deploy += f" (default {shown})"
        plain = " " in s.default or s.default in ("", "unrestricted")
        default = s.default if plain else f"`{s.default}`"
        rows.append(
            f"| `{s.name}` | {s.type} | {default or '(none)'} | {deploy} | {s.reader} "
            f"| {s.description} |"
        )
    return "\n".join(rows) + "\n"
