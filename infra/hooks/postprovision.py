"""azd postprovision hook: finish the API's app registration for the deployed app.

Idempotent; runs after every `azd provision`, signed in with `az` as someone who owns the app
registration (docs/deploy.md 3.1). It makes browser sign-in work without secrets:

1. identifier URI ``api://<client id>`` (the audience App Service authentication accepts);
2. web redirect URI ``<app>/.auth/login/aad/callback`` (the authorization code flow of App
   Service authentication); the implicit grant (ID and access tokens from the authorize
   endpoint) stays off: sign-in never uses the implicit flow;
3. the app roles of ``infra/app-roles.json`` (fixed ids; roles the registration already has
   beside them are kept);
4. a federated identity credential that lets the sign-in identity (a user-assigned managed
   identity assigned to the Function App only) act as the client credential: issuer
   ``https://login.microsoftonline.com/<tenant>/v2.0``, subject = that identity's principal id,
   audience ``api://AzureADTokenExchange``
   (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).

Then it prints the dashboard URL. Standard library and the az CLI only.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from azcli import Az, AzFailed, run_az

APP_ROLES = Path(__file__).resolve().parents[1] / "app-roles.json"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # Entra's audience for federated credentials


def credential_name(env: Mapping[str, str]) -> str:
    return f"easyauth-{env.get('AZURE_ENV_NAME') or 'onboarding'}"[:120]


def callback_uri(env: Mapping[str, str]) -> str:
    return env["AZURE_FUNCTION_APP_URI"].rstrip("/") + "/.auth/login/aad/callback"


def merged_roles(
    existing: list[dict[str, Any]], ours: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    by_id = {role["id"]: role for role in existing}
    by_id.update({role["id"]: role for role in ours})
    return list(by_id.values())


def finish_registration(env: Mapping[str, str], az: Az, say: Callable[[str], None] = print) -> int:
    client = env["ENTRA_API_CLIENT_ID"]
    tenant = env["AZURE_TENANT_ID"]
    subject = env["AZURE_AUTH_IDENTITY_PRINCIPAL_ID"]
    app = az(["ad", "app", "show", "--id", client])
    web = app.get("web") or {}
    redirects = list(web.get("redirectUris") or [])
    callback = callback_uri(env)
    if callback not in redirects:
        redirects.append(callback)
    identifier = f"api://{client}"
    identifiers = list(app.get("identifierUris") or [])
    if identifier not in identifiers:
        identifiers.append(identifier)
    az(["ad", "app", "update", "--id", client,
        "--identifier-uris", *identifiers,
        "--web-redirect-uris", *redirects,
        "--enable-id-token-issuance", "false",
        "--enable-access-token-issuance", "false"])  # fmt: skip
    say(f"postprovision: redirect URI {callback}; implicit grant off; identifier {identifier}")
    ours = json.loads(APP_ROLES.read_text(encoding="utf-8"))
    roles = merged_roles(list(app.get("appRoles") or []), ours)
    az(["ad", "app", "update", "--id", client, "--app-roles", json.dumps(roles)])
    say(f"postprovision: app roles {', '.join(r['value'] for r in ours)}")
    issuer = f"https://login.microsoftonline.com/{tenant}/v2.0"
    credentials = az(["ad", "app", "federated-credential", "list", "--id", client]) or []
    if any(c.get("issuer") == issuer and c.get("subject") == subject for c in credentials):
        say("postprovision: the sign-in identity's federated credential is in place")
    else:
        body = {
            "name": credential_name(env),
            "issuer": issuer,
            "subject": subject,
            "audiences": [EXCHANGE_AUDIENCE],
            "description": "App Service authentication of the onboarding app: the sign-in "
            "managed identity is the client credential (no secret).",
        }
        az(["ad", "app", "federated-credential", "create", "--id", client,
            "--parameters", json.dumps(body)])  # fmt: skip
        say(f"postprovision: federated credential {body['name']} (subject {subject})")
    say(f"postprovision: dashboard {env.get('AZURE_DASHBOARD_URL', '')}")
    return 0


def main() -> int:
    needed = ("ENTRA_API_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FUNCTION_APP_URI",
              "AZURE_AUTH_IDENTITY_PRINCIPAL_ID")  # fmt: skip
    missing = [n for n in needed if not os.environ.get(n)]
    if missing:
        print(f"postprovision: missing azd values {', '.join(missing)}", file=sys.stderr)
        return 1
    try:
        return finish_registration(os.environ, run_az)
    except AzFailed as exc:
        print(
            f"postprovision: {exc}\npostprovision: sign in with `az login` as an owner of the app "
            "registration and run `azd hooks run postprovision`",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
