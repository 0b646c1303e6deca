"""The simulator's request and response values, independent of the HTTP server used."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from simulator import errors


@dataclass
class Request:
    """One HTTP request as the handlers see it: path without query, lower-cased headers."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # filled by the router

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def arg(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively like ARM does."""
        lname = name.lower()
        for k, v in self.query.items():
            if k.lower() == lname:
                return v
        return None

    def json(self) -> Any:
        if not self.body.strip():
            raise errors.invalid_json("the request body is empty; a JSON object is required")
        try:
            value = json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise errors.invalid_json(str(exc)) from exc
        if not isinstance(value, dict):
            raise errors.invalid_json("the request body must be a JSON object")
        return value

    def json_or_empty(self) -> dict[str, Any]:
        return self.json() if self.body.strip() else {}


@dataclass
class Response:
    """A handler's answer; ``body`` is JSON-serialisable or None for an empty body."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()
