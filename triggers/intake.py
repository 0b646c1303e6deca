"""What both entry points share: parse a payload, derive the run, shape answers (pure)."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import Any

from shared.guardrails import Violation
from shared.request import (
    FieldError,
    OnboardingRequest,
    RequestInvalid,
    char_problem,
    parse_request,
)
from shared.saga_models import Requester, SagaInput, SagaPolicy
from shared.team_requests import AnyRequest, parse_any
from triggers.problems import problem_body
from triggers.run_views import view_of

MAX_BODY_BYTES = 64 * 1024
TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}
# What a run id in a route can be: a ticket's run (shared/request.py instance_id_for: a-z 0-9 -
# _), a retry of one (<id>-r<N>) or a sub-orchestration (<id>:<n>), with room to spare. The SDK
# writes the id into its management URL unencoded, so "?", "#", "/", "." or ".." would address
# something else (the instance list, another path): such an id is refused before any call.
RUN_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")
RUN_ID_RULE = "1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"


def run_id_problem(instance_id: str) -> str | None:
    """Why ``instance_id`` (from a route) cannot be a run's id, or None."""
    return None if RUN_ID.fullmatch(instance_id) else f"a run id holds {RUN_ID_RULE}"


# The usual spellings of a boolean query parameter (compared case-insensitively, trimmed).
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "off"})


class FlagInvalid(ValueError):
    """A boolean query parameter holds something that is not a recognised boolean."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.error = FieldError(field=name, message=message)


def query_flag(params: Mapping[str, str], name: str) -> bool:
    """The boolean query parameter ``name`` (its name in any case); False when absent.

    True and false have their usual spellings (TRUE_WORDS, FALSE_WORDS). Anything else, an empty
    value, or two spellings of the name that disagree raise FlagInvalid: a flag that decides
    whether a request writes (``dryRun``) is never guessed to be false. The message names the
    accepted values and never echoes the one sent.
    """
    values = [v for k, v in params.items() if k.lower() == name.lower()]
    seen = set()
    for value in values:
        word = value.strip().lower()
        if word in TRUE_WORDS:
            seen.add(True)
        elif word in FALSE_WORDS:
            seen.add(False)
        else:
            raise FlagInvalid(
                name,
                f"must be a boolean: one of {', '.join(sorted(TRUE_WORDS))} (true) or "
                f"{', '.join(sorted(FALSE_WORDS))} (false)",
            )
    if len(seen) > 1:
        raise FlagInvalid(name, "is given more than once with different values")
    return seen == {True}


class RequestTooLarge(RequestInvalid):
    """The body is over MAX_BODY_BYTES (HTTP answers 413; Service Bus rejects it as invalid)."""


class BodyUnreadable(RequestInvalid):
    """The body is not one UTF-8 JSON document; ``category`` says how (``empty``, ``notUtf8``,
    ``notJson``), the names the Service Bus trigger's rejected events use."""

    def __init__(self, category: str, message: str) -> None:
        super().__init__([FieldError(field="$", message=message)])
        self.category = category


def decode(body: bytes) -> OnboardingRequest:
    """The onboarding request in ``body`` (see :func:`load_body`)."""
    return parse_request(load_body(body))


def decode_any(body: bytes) -> AnyRequest:
    """The request of any kind in ``body`` (issue 15: ``kind`` onboard, changeAccess,
    offboard; shared/team_requests.py)."""
    return parse_any(load_body(body))


def load_body(body: bytes) -> Any:
    """The JSON document in ``body``; RequestInvalid names every problem (never raw exception
    text).

    The body must be one JSON document (RFC 8259) in UTF-8 without a byte order mark: Python's
    ``json.loads(bytes)`` would also read UTF-16 and UTF-32, and ``NaN``/``Infinity``, and let
    the last of two equal keys win silently; none of that is accepted here.
    """
    if len(body) > MAX_BODY_BYTES:
        raise RequestTooLarge(
            [FieldError(field="$", message=f"the request is larger than {MAX_BODY_BYTES} bytes")]
        )
    text = _utf8_text(body)
    repeated: dict[int, list[str]] = {}
    try:
        payload = json.loads(
            text,
            parse_constant=_no_constant,
            object_pairs_hook=lambda pairs: _object(pairs, repeated),
        )
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad JSON but also an integer literal over Python's digit limit and
        # NaN/Infinity; RecursionError is JSON nested deeper than the parser's stack.
        message = (
            "nested too deeply"
            if isinstance(exc, RecursionError)
            else f"not valid JSON (line {getattr(exc, 'lineno', 1)})"
        )
        raise BodyUnreadable("notJson", message) from None
    if repeated:
        raise RequestInvalid(_repeated_keys(payload, repeated))
    return payload


def _utf8_text(body: bytes) -> str:
    if not body.strip():
        raise BodyUnreadable("empty", "the request is empty")
    if body.startswith(codecs.BOM_UTF8):
        raise BodyUnreadable(
            "notUtf8", "the request starts with a byte order mark; send UTF-8 JSON without one"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyUnreadable(
            "notUtf8",
            f"the request is not UTF-8 text (invalid byte at offset {exc.start}); send UTF-8 JSON",
        ) from None
    if "\x00" in text:
        # Valid UTF-8, but JSON text never holds a raw NUL: UTF-16/32 without a byte order mark.
        raise BodyUnreadable(
            "notUtf8", "the request holds NUL bytes (UTF-16 or UTF-32 text?); send UTF-8 JSON"
        )
    return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _object(pairs: list[tuple[str, Any]], repeated: dict[int, list[str]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            repeated.setdefault(id(obj), []).append(key)
        obj[key] = value
    return obj


def _repeated_keys(payload: Any, repeated: dict[int, list[str]]) -> list[FieldError]:
    """One error per key given twice in an object, at its path (in a CloudEvents envelope, a
    problem inside ``data`` is named by its path in the request, as parse_request does)."""
    errors: list[FieldError] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key in dict.fromkeys(repeated.get(id(node), [])):
                field = _join(path, _safe_key(key))
                errors.append(FieldError(field=field, message="is given more than once"))
            for key, value in node.items():
                inside_data = not path and key == "data" and "specversion" in node
                walk(value, "" if inside_data else _join(path, _safe_key(key)))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]")

    walk(payload, "")
    return errors


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _safe_key(key: str) -> str:
    # A key is the sender's text: never hand a control character back inside a field path.
    return key if char_problem(key, name=False) is None else ascii(key)[1:-1]


def saga_input(
    request: OnboardingRequest, policy: SagaPolicy, requested_by: Requester | None = None
) -> dict[str, Any]:
    return SagaInput(
        request=request.model_dump(by_alias=True, mode="json"),
        policy=policy,
        requested_by=requested_by,
    ).model_dump(by_alias=True, mode="json")


def problem(
    errors: list[FieldError],
    status: int = 400,
    title: str = "The onboarding request is invalid",
    detail: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    """RFC 9457 problem details with one entry per bad field (``invalid-request``, or
    ``request-too-large`` for 413, ``invalid-parameter`` for a query parameter)."""
    kind = {413: "request-too-large"}.get(status, "invalid-request" if parameter is None
                                          else "invalid-parameter")  # fmt: skip
    return problem_body(
        kind,
        status,
        title if parameter is None else f"The parameter '{parameter}' is invalid",
        detail or f"{len(errors)} field(s) need fixing; see 'errors'.",
        errors=[e.model_dump() for e in errors],
    )


def policy_problem(violations: list[Violation]) -> dict[str, Any]:
    """The 403 problem details for a well-formed request outside this deployment's policy."""
    return problem_body(
        "outside-policy", 403, None,
        f"{len(violations)} policy rule(s) refuse this request; see 'violations'. "
        "Change the named fields, or ask the platform team to change the policy settings.",
        violations=[v.model_dump() for v in violations],
    )  # fmt: skip


def run_view(status: Any) -> dict[str, Any]:
    """The public form of a run's Durable status in the status model's words (outcome first;
    shared/status_model.py); triggers/run_views.py adds the parallel calls' live retries."""
    return view_of(status)
