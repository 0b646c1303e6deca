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
   group still uses keeps its assignments, so Azure refuses to delete it: it is kept and said so.

Exit code 1 when an assignment could not be deleted (azd down stops; nothing is orphaned).
Standard library and the az CLI only (signed in as the deployer).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

import targets

CUSTOM_ROLE_PREFIX = "APIM onboarding"

Az = Callable[[list[str]], Any]


class AzFailed(RuntimeError):
    """An az command failed; the message holds its stderr."""


def run_az(args: list[str]) -> Any:
    exe = shutil.which("az")
    if exe is None:
        raise AzFailed("the Azure CLI (az) is not on PATH")
    proc = subprocess.run(
        [exe, *args, "--output", "json"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise AzFailed(proc.stderr.strip() or f"az {' '.join(args[:3])} failed")
    return json.loads(proc.stdout) if proc.stdout.strip() else None


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
    return 0


def main() -> int:
    try:
        return remove_grants(os.environ, run_az)
    except (targets.EnvInvalid, AzFailed) as exc:
        print(f"predown: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
