"""Orchestrator logging: structured with ticket and instance ids, silent while replaying."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from shared.run_log import milestone


def test_a_milestone_carries_the_ticket_and_instance(caplog):
    caplog.set_level(logging.INFO, "onboarding.orchestrator")
    milestone(SimpleNamespace(is_replaying=False, instance_id="onboard-chg1"), "CHG1", "step done")
    (record,) = caplog.records
    assert (record.ticketId, record.instanceId) == ("CHG1", "onboard-chg1")


def test_nothing_is_logged_while_replaying(caplog):
    caplog.set_level(logging.INFO, "onboarding.orchestrator")
    milestone(SimpleNamespace(is_replaying=True, instance_id="onboard-chg1"), "CHG1", "step done")
    assert caplog.records == []
