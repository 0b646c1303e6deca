"""Problem details (RFC 9457) for every answer the app's routes do not otherwise give.

* ``GET /api/problems`` and ``GET /api/problems/{slug}``: the page of each problem type
  (shared/problem_types.py), so every ``type`` URI the API answers resolves to what it means
  (anonymous: it holds no data). ``PROBLEM_TYPE_BASE`` may point the types elsewhere (a
  published copy of docs/problems/).
* ``{*path}``, any method: a path no route has answers 404 ``route-not-found``, a route's path
  with another method 405 ``method-not-allowed`` with ``Allow`` (shared/api_routes.py), both
  as problem details. Without it the Functions host answers an empty 404.

Route order in Azure: the host does not order routes the way ASP.NET does (more literal
segments first); it registers them in the alphabetical order of the function names and takes
the first that matches (Azure/azure-functions-host#9876, Azure/azure-webjobs-sdk-extensions
pull request #842, still open). The catch-all is therefore named ``zz_no_such_route`` so that
it is the last route under either ordering; a route whose method does not match is skipped, so
the catch-all also receives a known path with another method.
"""

from __future__ import annotations

import json
import os
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.api_routes import CATCH_ALL_PATH, allowed_methods
from shared.problem_types import BY_SLUG, DEFAULT_BASE, index_markdown, markdown, type_uri

bp = df.Blueprint()
BASE_SETTING = "PROBLEM_TYPE_BASE"


def problem_base() -> str:
    return os.environ.get(BASE_SETTING, "").strip() or DEFAULT_BASE


def problem_body(kind: str, status: int, title: str | None, detail: str,
                 **extra: Any) -> dict[str, Any]:  # fmt: skip
    """An RFC 9457 body of the documented kind ``kind`` (KeyError for an undocumented one)."""
    return {"type": type_uri(kind, problem_base()), "title": title or BY_SLUG[kind].title,
            "status": status, "detail": detail, **extra}  # fmt: skip


def problem(kind: str, status: int, detail: str, title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> func.HttpResponse:  # fmt: skip
    return func.HttpResponse(
        json.dumps(problem_body(kind, status, title, detail, **extra)),
        status_code=status,
        mimetype="application/problem+json",
        headers=headers,
    )


def _markdown(text: str) -> func.HttpResponse:
    return func.HttpResponse(
        text, status_code=200, headers={"Content-Type": "text/markdown; charset=utf-8",
                                        "X-Content-Type-Options": "nosniff"},
    )  # fmt: skip


@bp.route(route="problems", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def problem_type_index(req: func.HttpRequest) -> func.HttpResponse:
    return _markdown(index_markdown())


@bp.route(route="problems/{slug}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def problem_type_page(req: func.HttpRequest) -> func.HttpResponse:
    slug = req.route_params.get("slug", "").removesuffix(".md")
    found = BY_SLUG.get(slug)
    if found is None:
        return problem(
            "route-not-found", 404, "There is no problem type of that name; GET /api/problems "
            "lists them.",
        )  # fmt: skip
    return _markdown(markdown(found))


@bp.route(route=CATCH_ALL_PATH, auth_level=func.AuthLevel.ANONYMOUS)
def zz_no_such_route(req: func.HttpRequest) -> func.HttpResponse:
    path = req.route_params.get("path", "") or ""
    # The path is the caller's text: no control or invisible character goes back in the answer.
    shown = "".join(c if c.isprintable() else "?" for c in "/api/" + path[:300])
    allow = allowed_methods(path)
    if allow:
        return problem(
            "method-not-allowed", 405,
            f"{shown} takes {', '.join(allow)}, not {req.method}.",
            headers={"Allow": ", ".join(allow)}, path=shown, allow=allow,
        )  # fmt: skip
    return problem("route-not-found", 404, f"No route of this API is {shown}; "
                   "GET /api/openapi.json lists them.", path=shown)  # fmt: skip
