"""The operators' dashboard: one static page (plus its script and stylesheet) served by the app.

``GET /api/dashboard`` answers ``index.html``; ``GET /api/dashboard/app.js`` and ``app.css`` its
assets, read from the package folder ``triggers/dashboard_assets`` (no CDN, no build step). The
files carry no data: the page fetches everything from the operator API on the same origin, whose
routes check the caller's app roles. That is why infra excludes exactly these paths from App
Service Authentication (infra/modules/function-app.bicep ``dashboardPaths``) and why this
blueprint does not call ``authorize``: a browser without a session loads the page, its first API
call gets the 401 problem, and the page offers the platform's sign-in (``/.auth/login/aad``).

Every answer carries a Content-Security-Policy allowing only same-origin scripts, styles and
fetches (no inline script), plus ``nosniff`` and ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import azure.durable_functions as df
import azure.functions as func

from triggers.problems import problem_body

bp = df.Blueprint()

ASSETS = Path(__file__).resolve().parent / "dashboard_assets"
# The only files served, by name (never a path from the request): name -> content type.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _read(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


def asset_response(name: str) -> func.HttpResponse:
    """The named asset with its content type and the security headers; 404 for any other name."""
    content_type = FILES.get(name)
    if content_type is None:
        body = problem_body("route-not-found", 404, None, "The dashboard has no such file.")
        return func.HttpResponse(json.dumps(body), status_code=404, headers={
            **SECURITY_HEADERS, "Content-Type": "application/problem+json"})  # fmt: skip
    return func.HttpResponse(
        _read(name), status_code=200, headers={**SECURITY_HEADERS, "Content-Type": content_type}
    )


@bp.route(route="dashboard", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def dashboard_page(req: func.HttpRequest) -> func.HttpResponse:
    # The page links its assets relative to /api/dashboard; with a trailing slash they would
    # resolve one level too deep, so send the browser to the canonical address.
    path = urlsplit(req.url).path
    if path.endswith("/"):
        return func.HttpResponse(
            status_code=308, headers={**SECURITY_HEADERS, "Location": path.rstrip("/")}
        )
    return asset_response("index.html")


@bp.route(route="dashboard/{file}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def dashboard_asset(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("file", "")
    if name == "index.html":
        return asset_response("missing")  # the page lives at /api/dashboard only
    return asset_response(name)
