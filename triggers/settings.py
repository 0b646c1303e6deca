"""Policy settings that shape runs (approval gate, deadlines) and guardrails, from app settings."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from pydantic import ValidationError

from shared import gateway_signal
from shared.guardrails import MAX_GATEWAY_UNITS, Guardrails
from shared.request import ROLES_BY_SCOPE
from shared.saga_models import SagaPolicy


class SettingInvalid(ValueError):
    """An app setting cannot be used; the message names the setting and what it must hold."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"app setting {setting}: {reason}")
        self.setting = setting


def saga_policy(env: Mapping[str, str] | None = None) -> SagaPolicy:
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    if env.get("POLICY_REQUIRE_APPROVAL", "").lower() in {"1", "true", "yes"}:
        values["require_approval"] = True
    for setting, field in (
        ("POLICY_APPROVAL_TIMEOUT_HOURS", "approval_timeout_hours"),
        ("POLICY_BUILD_DEADLINE_HOURS", "build_deadline_hours"),
        ("POLICY_PRIVATE_IP_TIMEOUT_HOURS", "private_ip_timeout_hours"),
        ("POLICY_STALLED_TIMEOUT_HOURS", "stalled_timeout_hours"),
        ("POLICY_REMINDER_HOURS", "reminder_hours"),
        ("POLICY_FAILED_STEP_HOLD_HOURS", "failed_step_hold_hours"),
        ("POLICY_GATEWAY_UNIT_MONTHLY_PRICE", "gateway_unit_monthly_price"),
    ):
        if env.get(setting):
            values[field] = float(env[setting])
    if gateway_signal.enabled(env.get(gateway_signal.SETTING)):
        values["gateway_push_signal"] = True
    if env.get("POLICY_PRICE_CURRENCY"):
        values["price_currency"] = env["POLICY_PRICE_CURRENCY"].strip().upper()[:3]
    return SagaPolicy(**values)  # type: ignore[arg-type]


_ID_LISTS = (
    ("POLICY_ALLOWED_APIM_SERVICES", "allowed_apim_services"),
    ("POLICY_ALLOWED_SUBNETS", "allowed_subnets"),
    ("POLICY_ALLOWED_DNS_RESOURCE_GROUPS", "allowed_dns_resource_groups"),
    ("POLICY_ALLOWED_SHARED_GATEWAYS", "allowed_shared_gateways"),
)
_ROLE_LISTS = (
    ("POLICY_ALLOWED_ROLES_SERVICE", "allowed_roles_service", "service"),
    ("POLICY_ALLOWED_ROLES_WORKSPACE", "allowed_roles_workspace", "workspace"),
    ("POLICY_ALLOWED_ROLES_GATEWAY", "allowed_roles_gateway", "gateway"),
)


def guardrails(env: Mapping[str, str] | None = None) -> Guardrails:
    """The intake guardrails; an absent or blank setting keeps its default (shared/guardrails.py).

    Raises SettingInvalid naming the first unusable setting: a deployment with a policy it
    cannot read must refuse work rather than run unrestricted.
    """
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for setting, field in _ID_LISTS:
        if _present(env, setting):
            values[field] = tuple(_string_list(env, setting))
    for setting, field, scope in _ROLE_LISTS:
        if _present(env, setting):
            roles = _string_list(env, setting)
            unknown = [r for r in roles if r not in ROLES_BY_SCOPE[scope]]
            if unknown:
                raise SettingInvalid(
                    setting,
                    f"unknown {scope}-scope role(s) {', '.join(map(repr, unknown))}; "
                    f"use names from: {', '.join(ROLES_BY_SCOPE[scope])}",
                )
            values[field] = tuple(roles)
    if _present(env, "POLICY_MAX_GATEWAY_UNITS"):
        raw = env["POLICY_MAX_GATEWAY_UNITS"].strip()
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_GATEWAY_UNITS:
            raise SettingInvalid(
                "POLICY_MAX_GATEWAY_UNITS", f"must be a whole number from 1 to {MAX_GATEWAY_UNITS}"
            )
        values["max_gateway_units"] = int(raw)
    if _present(env, "POLICY_WORKSPACE_NAME_PATTERN"):
        values["workspace_name_pattern"] = env["POLICY_WORKSPACE_NAME_PATTERN"].strip()
    try:
        return Guardrails.model_validate(values)
    except ValidationError as exc:
        # Only the pattern can still fail here; name its setting, not pydantic's field path.
        reason = str(exc.errors()[0].get("msg", "invalid")).removeprefix("Value error, ")
        raise SettingInvalid("POLICY_WORKSPACE_NAME_PATTERN", reason) from None


def _present(env: Mapping[str, str], setting: str) -> bool:
    return bool(env.get(setting, "").strip())


def _string_list(env: Mapping[str, str], setting: str) -> list[str]:
    try:
        value = json.loads(env[setting])
    except ValueError:
        raise SettingInvalid(
            setting, 'must be a JSON array of strings, e.g. ["<resource id>"]; not valid JSON'
        ) from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SettingInvalid(setting, "must be a JSON array of non-empty strings")
    return [v.strip() for v in value]
