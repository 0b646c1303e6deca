"""devhost's stand-in for App Service Authentication's sign-in pages (``/.auth/login/aad``).

In Azure the dashboard's *Sign in* link goes to Easy Auth, which signs the browser in with
Entra ID, keeps a session cookie and injects ``x-ms-client-principal`` into every request
(docs/security.md). devhost has no Entra ID, so the same link opened locally lands here: a
page that says so and lets the developer pick the app roles of a local user
(Onboarding.Reader, Requester, Operator). Choosing sets a cookie holding that principal; the
HTTP front injects it into requests that carry no principal of their own (as it injects
``--local-principal``, which wins when set), and ``/.auth/logout`` forgets it. The cookie is
only a local convenience: devhost takes any ``x-ms-client-principal`` a caller sends anyway
(it authenticates nobody), so it grants nothing a local caller could not already send.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from aiohttp import web

from devhost.local_auth import parse_roles, principal_header

COOKIE = "devhost_local_principal"
ROLES = ("Onboarding.Reader", "Onboarding.Requester", "Onboarding.Operator")
LOGIN = "/.auth/login/aad"
LOGOUT = "/.auth/logout"
LOCAL_NAME = "local-user@devhost.invalid"


def _back(target: str | None) -> str:
    """Where to return after sign-in: a same-origin path only (never another site)."""
    if not target:
        return "/api/dashboard"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/api/dashboard"
    return target


def _page(back: str) -> str:
    options = "".join(
        f'<label><input type="checkbox" name="role" value="{r}"'
        f"{' checked' if r == 'Onboarding.Operator' else ''}> {r}</label><br>"
        for r in ROLES
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Local sign-in (devhost)</title></head><body>"
        "<h1>Local sign-in (devhost)</h1>"
        "<p>This is the local stack: there is no Entra ID sign-in here. In Azure this link "
        "signs you in with App Service Authentication and your app roles come from Entra ID. "
        "Locally, choose the app roles of the local user; they are kept in a cookie until you "
        "sign out (<code>/.auth/logout</code>). <code>onboard serve --local-principal "
        "Onboarding.Operator</code> signs every request in without this page.</p>"
        f"<form method='post' action='{LOGIN}'>{options}"
        f"<input type='hidden' name='post_login_redirect_uri' value='{html.escape(back)}'>"
        "<button type='submit'>Sign in locally</button></form></body></html>"
    )


async def login_page(request: web.Request) -> web.Response:
    back = _back(request.query.get("post_login_redirect_uri"))
    return web.Response(text=_page(back), content_type="text/html",
                        headers={"Cache-Control": "no-store"})  # fmt: skip


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    back = _back(str(form.get("post_login_redirect_uri") or ""))
    chosen = [str(r) for r in form.getall("role", []) if str(r) in ROLES]
    try:
        roles = parse_roles(chosen)
    except ValueError:
        return web.Response(status=400, text="choose at least one app role")
    response = web.Response(status=303, headers={"Location": back})
    response.set_cookie(COOKIE, principal_header(roles, LOCAL_NAME), httponly=True,
                        samesite="Strict", path="/")  # fmt: skip
    return response


async def logout(request: web.Request) -> web.Response:
    back = _back(request.query.get("post_logout_redirect_uri"))
    response = web.Response(status=303, headers={"Location": back})
    response.del_cookie(COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(LOGIN, login_page)
    app.router.add_post(LOGIN, login)
    app.router.add_get(LOGOUT, logout)


def cookie_principal(request: web.Request) -> str | None:
    """The principal a local sign-in left in the browser's cookie, or None."""
    value = request.cookies.get(COOKIE)
    return value or None
