"""azd predown hook: remove the app identity's grants outside the app resource group.

`azd down` deletes the app resource group (identity, storage, Service Bus, the Function App and
the data-plane grants on them). The control-plane grants main.bicep made in the target resource
groups and subscriptions (rbac-network, rbac-apim, rbac-gateways, rbac-dns, rbac-delegation,
rbac-providers) live elsewhere and would stay behind, pointing at a deleted principal. This hook
runs first, while the identity still exists:

1. every role assignment whose principal is this environment's identity (AZURE_PRINCIPAL_ID),
   in every subscription the environment targets;
2. every custom role named "APIM onboarding ..." whose assignable scopes are all target groups
   or subscriptions of this environment. A role that another environment targeting the same
   group still uses keeps its assignments, so Azure refuses to delete it: it is kept and said so;
3. on the API's app registration (shared by environments), this environment's sign-in
   federated credential (subject = AZURE_AUTH_IDENTITY_PRINCIPAL_ID) and its redirect URI
   (postprovision.py added both). Without rights on the registration this step only warns:
   what it leaves is inert once the identity and the app are deleted.

Exit code 1 when an assignment could not be deleted (azd down stops; nothing is orphaned).
Standard library and the az CLI only (signed in as the deployer).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

import targets
from azcli import Az, AzFailed, run_az

CUSTOM_ROLE_PREFIX = "APIM onboarding"

__all__ = ["AzFailed", "remove_grants", "run_az"]


def remove_grants(env: Mapping[str, str], az: Az, say: Callable[[str], None] = print) -> int:
    principal = (env.get("AZURE_PRINCIPAL_ID") or "").strip()
    if not principal:
        say("predown: AZURE_PRINCIPAL_ID is not set (nothing was provisioned); nothing to remove")
        return 0
    scope = targets.from_env(env)
    failed = 0
    for sub in sorted(scope.subscriptions):
        query = f"[?principalId=='{principal}'].id"
        ids = (
            az(["role", "assignment", "list", "--all", "--subscription", sub, "--query", query])
            or []
        )
        for assignment in ids:
            try:
                az(["role", "assignment", "delete", "--ids", assignment])
                say(f"predown: deleted role assignment {assignment}")
            except AzFailed as exc:
                failed += 1
                say(f"predown: could NOT delete role assignment {assignment}: {exc}")
    role_scopes = scope.role_scopes()
    for sub in sorted(scope.subscriptions):
        roles = (
            az(["role", "definition", "list", "--custom-role-only", "true", "--subscription", sub])
            or []
        )
        for role in roles:
            name = str(role.get("roleName", ""))
            assignable = [str(s).lower().rstrip("/") for s in role.get("assignableScopes", [])]
            if not name.startswith(CUSTOM_ROLE_PREFIX) or not assignable:
                continue
            if not set(assignable) <= role_scopes:
                continue
            try:
                az(
                    [
                        "role",
                        "definition",
                        "delete",
                        "--name",
                        role["name"],
                        "--scope",
                        role["assignableScopes"][0],
                    ]
                )
                say(f"predown: deleted custom role '{name}'")
            except AzFailed as exc:
                say(f"predown: kept custom role '{name}' (still in use elsewhere): {exc}")
    if failed:
        say(f"predown: {failed} role assignment(s) remain; fix the cause and run azd down again")
        return 1
    tidy_registration(env, az, say)
    return 0


def tidy_registration(env: Mapping[str, str], az: Az, say: Callable[[str], None]) -> None:
    client = (env.get("ENTRA_API_CLIENT_ID") or "").strip()
    subject = (env.get("AZURE_AUTH_IDENTITY_PRINCIPAL_ID") or "").strip()
    app_uri = (env.get("AZURE_FUNCTION_APP_URI") or "").strip().rstrip("/")
    if not client:
        return
    try:
        for cred in az(["ad", "app", "federated-credential", "list", "--id", client]) or []:
            if subject and cred.get("subject") == subject:
                az(["ad", "app", "federated-credential", "delete", "--id", client,
                    "--federated-credential-id", cred.get("id") or cred["name"]])  # fmt: skip
                say(f"predown: deleted federated credential {cred.get('name')}")
        if app_uri:
            app = az(["ad", "app", "show", "--id", client])
            redirects = list((app.get("web") or {}).get("redirectUris") or [])
            kept = [u for u in redirects if not u.startswith(f"{app_uri}/")]
            if kept != redirects:
                uris = ["--web-redirect-uris", *kept] if kept else ["--set", "web.redirectUris=[]"]
                az(["ad", "app", "update", "--id", client, *uris])
                say(f"predown: removed redirect URIs of {app_uri}")
    except AzFailed as exc:
        say(f"predown: WARNING could not tidy app registration {client}: {exc}")


def main() -> int:
    try:
        return remove_grants(os.environ, run_az)
    except (targets.EnvInvalid, AzFailed) as exc:
        print(f"predown: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
