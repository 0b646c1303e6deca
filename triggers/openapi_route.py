"""``GET /api/openapi.json``: the API's OpenAPI 3.1 document (shared/openapi.py), anonymous.

The document holds no data, only the contract, so it needs no role (like the dashboard's
static files); it is built once per worker from the models the handlers use.
"""

from __future__ import annotations

import json
from functools import cache

import azure.durable_functions as df
import azure.functions as func

from shared.openapi import document

bp = df.Blueprint()


@cache
def _text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(_text(), status_code=200, mimetype="application/json",
                             headers={"Cache-Control": "no-cache"})  # fmt: skip
