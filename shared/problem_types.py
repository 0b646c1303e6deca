"""The kinds of problem the HTTP API answers (RFC 9457 problem details), one ``type`` each.

Every error answer of the API is ``application/problem+json`` whose ``type`` names one of the
kinds below, so a ticketing system can branch on ``type`` (never on ``title`` or ``detail``,
which are for people). The type URI is ``<base><slug>``: by default the app's own page
``/api/problems/<slug>`` (a relative reference, resolved against the request's URL as RFC 9457
§3.1.1 allows), which serves the page generated from this catalogue; an operator may point
``PROBLEM_TYPE_BASE`` at a published copy of docs/problems/ instead. docs/problems/<slug>.md is
generated from here (``make schema``; a test fails when they disagree).

Pure data: nothing here reads settings or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE = "/api/problems/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str  # the usual title; an answer may say more in its own title
    when: str  # when the API answers it
    fix: str  # what the caller does about it
    members: tuple[tuple[str, str], ...] = ()  # extension members: (name, what it holds)


PROBLEM_TYPES: tuple[ProblemType, ...] = (
    ProblemType(
        "invalid-request", 400, "The onboarding request is invalid",
        "The body of POST /api/onboardings breaks the request contract (docs/request-contract.md): "
        "it is not one UTF-8 JSON object, a field has the wrong type or value, a field is unknown, "
        "or a cross-field rule fails. Nothing was read or started.",
        "Fix every field named in `errors` and send the request again.",
        (("errors", "every bad field at once: `[{field, message}]`, `field` a JSON path such as "
                    "`gateway.network.subnetId`"),),
    ),
    ProblemType(
        "invalid-parameter", 400, "A parameter is invalid",
        "A query parameter (`dryRun`, a list filter, `olderThanDays`), a route parameter (a run "
        "id, an event name) or the JSON body of an operator action is not what the route takes.",
        "Change the parameter named in `errors` (the message lists what is accepted).",
        (("errors", "`[{field, message}]`: the parameter and why it is refused"),),
    ),
    ProblemType(
        "unauthenticated", 401, "Sign in required",
        "The call carries no App Service Authentication principal, or one that cannot be read.",
        "Call with an Entra ID access token for the API (App Service Authentication turns it into "
        "the principal the app reads); in a browser, sign in at /.auth/login/aad.",
    ),
    ProblemType(
        "missing-role", 403, "Forbidden: an app role is missing",
        "The caller is signed in but holds none of the app roles the route needs "
        "(Onboarding.Requester, Onboarding.Operator, Onboarding.Reader; docs/security.md).",
        "Ask the API's owners to assign a role named in `requiredRoles` on the enterprise "
        "application, then get a new token.",
        (("requiredRoles", "the app roles any one of which the route accepts"),),
    ),
    ProblemType(
        "outside-policy", 403, "The onboarding request is outside this deployment's policy",
        "A well-formed request breaks the deployment's guardrails: an APIM service, subnet, DNS "
        "resource group, shared gateway or role that is not allowed, too many gateway units, a "
        "workspace name outside the naming rule (docs/security.md#guardrails).",
        "Change the fields named in `violations`, or ask the platform team to change the "
        "POLICY_* settings.",
        (("violations", "`[{rule, field, message}]`, one per rule broken"),),
    ),
    ProblemType(
        "run-not-found", 404, "No such onboarding",
        "There is no run with the id in the URL (never started, or purged).",
        "Find the run by its ticket: GET /api/onboardings?ticket=<ticket> or `onboard show "
        "--ticket T`.",
        (("id", "the run id asked for"),),
    ),
    ProblemType(
        "route-not-found", 404, "No such route",
        "No route of the API has this path (with any method).",
        "Check the path against the API's OpenAPI document, GET /api/openapi.json.",
        (("path", "the path asked for"),),
    ),
    ProblemType(
        "method-not-allowed", 405, "Method not allowed",
        "The path is a route of the API, but not with this HTTP method. The `Allow` header "
        "lists the methods it takes.",
        "Use one of the methods in `allow` (see GET /api/openapi.json).",
        (("path", "the path asked for"), ("allow", "the methods the path takes")),
    ),
    ProblemType(
        "run-state-conflict", 409, "The run's state does not allow this",
        "An operator action does not fit the run's state now: terminate a finished run, approve "
        "a run that waits for no approval, retry a run that did not fail, compensate a run that "
        "did not end CompensationFailed, purge a run still going.",
        "Read the run (GET /api/onboardings/{id}); `detail` says which state the action needs.",
        (("id", "the run"), ("runtimeStatus", "Durable's status of the run, when known")),
    ),
    ProblemType(
        "ticket-already-onboarded", 409, "The ticket's onboarding already succeeded",
        "A changed request arrived for a ticket whose run succeeded. A succeeded onboarding is "
        "never replaced by a new attempt under the same ticket: its workspace, gateway and grants "
        "are in use.",
        "Open a new ticket for the change (a new ticketId starts a new onboarding), or, to "
        "remove the onboarding first, ask an operator (docs/operators.md). Resending the "
        "identical request answers the existing run.",
        (("id", "the ticket's succeeded run"), ("ticketId", "the ticket"),
         ("changed", "the request fields that differ from the run's request")),
    ),
    ProblemType(
        "dry-run-failed", 422, "The dry run found problems",
        "POST /api/onboardings?dryRun=true: the request is valid, but a run of it would fail "
        "(a preflight finding fails, e.g. the subnet is in another region or in use). Nothing "
        "was changed.",
        "Fix what the failed `findings` name and dry-run again; `plan` shows what a run would "
        "do once they pass.",
        (("findings", "every preflight check with `ok` and a detail"),
         ("plan", "the changes the run would make (see the dry run in "
                  "docs/request-contract.md)")),
    ),
    ProblemType(
        "request-too-large", 413, "The onboarding request is too large",
        "The body is over 64 KiB. Nothing was read or started.",
        "Shorten the request (descriptions, repeated access entries) and send it again.",
        (("errors", "`[{field: \"$\", message}]`"),),
    ),
    ProblemType(
        "settings-unusable", 500, "The app's settings are unusable",
        "An app setting the route needs cannot be read (for example a POLICY_* list that is not "
        "JSON). Nothing was started. The caller is not at fault.",
        "The platform team fixes the app setting named in `detail` (docs/deploy.md).",
    ),
    ProblemType(
        "not-implemented", 501, "Not implemented",
        "The request is valid, but this deployment cannot carry out its kind yet (for example a "
        "kind of request whose run is not part of this release). Nothing was started.",
        "Check the release notes of the deployment, or send the request to one that has it.",
    ),
    ProblemType(
        "server-error", 500, "The app could not answer",
        "Something failed inside the app; the caller is not at fault. Nothing is known to have "
        "been started.",
        "Try again later; if it persists, give the platform team the time of the call (the "
        "app's telemetry has the details).",
    ),
    ProblemType(
        "index-unavailable", 503, "The run index is unavailable",
        "Listing and counting runs read the run index in Table Storage, which is not configured "
        "or cannot be reached.",
        "Set RUN_INDEX_ENDPOINT (docs/operators.md); a single run stays readable at "
        "GET /api/onboardings/{id}.",
    ),
)  # fmt: skip

BY_SLUG = {p.slug: p for p in PROBLEM_TYPES}
# The kind an answer of a status has unless its caller names another.
DEFAULT_FOR_STATUS = {400: "invalid-parameter", 401: "unauthenticated", 403: "missing-role",
                      404: "run-not-found", 405: "method-not-allowed", 409: "run-state-conflict",
                      413: "request-too-large", 422: "dry-run-failed", 500: "settings-unusable",
                      501: "not-implemented", 503: "index-unavailable"}  # fmt: skip


def default_kind(status: int) -> str:
    """The kind an answer of ``status`` has unless its caller names one (never fails)."""
    return DEFAULT_FOR_STATUS.get(status) or ("invalid-parameter" if status < 500
                                              else "server-error")  # fmt: skip


def type_uri(slug: str, base: str = DEFAULT_BASE) -> str:
    """The ``type`` of a problem of kind ``slug``; KeyError for an undocumented kind."""
    problem = BY_SLUG[slug]
    return f"{base.rstrip('/')}/{problem.slug}"


def markdown(problem: ProblemType) -> str:
    """The page of one problem type (docs/problems/<slug>.md and GET /api/problems/<slug>)."""
    lines = [
        f"# {problem.title}",
        "",
        f"`type`: `{DEFAULT_BASE}{problem.slug}` (or `PROBLEM_TYPE_BASE` + `{problem.slug}`)  ",
        f"`status`: {problem.status}",
        "",
        "## When",
        "",
        problem.when,
        "",
        "## What to do",
        "",
        problem.fix,
        "",
        "## Members",
        "",
        "| member | holds |",
        "| --- | --- |",
        "| `type`, `title`, `status`, `detail` | RFC 9457; `detail` says what happened this time |",
    ]
    lines += [f"| `{name}` | {what} |" for name, what in problem.members]
    lines += ["", "Generated from shared/problem_types.py (`make schema`).", ""]
    return "\n".join(lines)


def index_markdown() -> str:
    """docs/problems/README.md: every kind with its status."""
    lines = ["# Problem types", "",
             "Every error answer of the HTTP API is `application/problem+json` (RFC 9457) with "
             "one of these `type`s. Branch on `type`; `title` and `detail` are for people.", "",
             "| type | status | title |", "| --- | --- | --- |"]  # fmt: skip
    lines += [f"| [{p.slug}]({p.slug}.md) | {p.status} | {p.title} |" for p in PROBLEM_TYPES]
    lines += ["", "Generated from shared/problem_types.py (`make schema`).", ""]
    return "\n".join(lines)
