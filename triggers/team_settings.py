"""Policy settings of the runs after onboarding (issue 15): approval per kind, who may offboard.

* ``POLICY_CHANGE_ACCESS_REQUIRE_APPROVAL`` (default false): a change of access waits for an
  approver;
* ``POLICY_OFFBOARD_REQUIRE_APPROVAL`` (default true): an offboarding waits for an approver;
* ``POLICY_OFFBOARD_ROLES`` (default ``["Onboarding.Operator"]``): the app roles that may
  offboard over HTTP; with ``Onboarding.Requester`` in it, Service Bus senders may too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from shared.saga_models import SagaPolicy
from triggers.auth import ALL_ROLES, OPERATOR
from triggers.settings import SettingInvalid, saga_policy

APPROVAL_SETTINGS = {
    "changeAccess": ("POLICY_CHANGE_ACCESS_REQUIRE_APPROVAL", False),
    "offboard": ("POLICY_OFFBOARD_REQUIRE_APPROVAL", True),
}
OFFBOARD_ROLES = "POLICY_OFFBOARD_ROLES"
OFFBOARD_HOLD_HOURS = 72.0
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def team_policy(kind: str, env: Mapping[str, str] | None = None) -> SagaPolicy:
    """The run policy of a ``kind`` run: the onboarding's, with the kind's own approval."""
    env = os.environ if env is None else env
    setting, default = APPROVAL_SETTINGS[kind]
    raw = env.get(setting, "").strip().lower()
    if raw and raw not in _TRUE | _FALSE:
        raise SettingInvalid(setting, "must be true or false")
    required = default if not raw else raw in _TRUE
    policy = saga_policy(env).model_copy(update={"require_approval": required})
    if kind == "offboard" and policy.failed_step_hold_hours <= 0:
        # An offboarding puts nothing back: a removal that cannot succeed always waits for an
        # operator (retry, or give up and clean up by hand) instead of ending at once.
        policy = policy.model_copy(update={"failed_step_hold_hours": OFFBOARD_HOLD_HOURS})
    return policy


def offboard_roles(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The app roles that may offboard a team (default: Operator only)."""
    env = os.environ if env is None else env
    raw = env.get(OFFBOARD_ROLES, "").strip()
    if not raw:
        return (OPERATOR,)
    try:
        roles = json.loads(raw)
    except ValueError:
        raise SettingInvalid(OFFBOARD_ROLES, "must be a JSON array of app role names") from None
    if not isinstance(roles, list) or not roles or not all(r in ALL_ROLES for r in roles):
        raise SettingInvalid(OFFBOARD_ROLES, f"must be a non-empty JSON array of {ALL_ROLES}")
    return tuple(roles)
