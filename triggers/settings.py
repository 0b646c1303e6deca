"""Policy settings that shape runs (approval gate, deadlines), read from app settings."""

from __future__ import annotations

import os
from collections.abc import Mapping

from shared.saga_models import SagaPolicy


def saga_policy(env: Mapping[str, str] | None = None) -> SagaPolicy:
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    if env.get("POLICY_REQUIRE_APPROVAL", "").lower() in {"1", "true", "yes"}:
        values["require_approval"] = True
    for setting, field in (
        ("POLICY_APPROVAL_TIMEOUT_HOURS", "approval_timeout_hours"),
        ("POLICY_BUILD_DEADLINE_HOURS", "build_deadline_hours"),
        ("POLICY_PRIVATE_IP_TIMEOUT_HOURS", "private_ip_timeout_hours"),
        ("POLICY_REMINDER_HOURS", "reminder_hours"),
    ):
        if env.get(setting):
            values[field] = float(env[setting])
    return SagaPolicy(**values)  # type: ignore[arg-type]
