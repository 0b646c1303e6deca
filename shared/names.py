"""Names of the orchestrators and external events: one place, no scattered literals.

Activity names live in the activity table (shared/activity_table.py), one row per activity.
"""

from __future__ import annotations

# Orchestrators
SAGA = "onboarding_saga"
GATEWAY_WAITER = "gateway_waiter"
RUN_STEP = "run_step"  # one activity with classified retries, as a sub-orchestration
# Runs a finished CompensationFailed run's leftover undo entries again (operator action)
RETRY_COMPENSATION = "retry_compensation"
# After onboarding (issue 15): the other kinds of request, and the drift repair
CHANGE_ACCESS = "change_access"
OFFBOARD = "offboard_team"
DRIFT_CHECK = "drift_check"
REPAIR_TEAM = "repair_team"

# External events an operator (or the approval system) raises
EVENT_APPROVAL = "approval"
EVENT_PRIVATE_IP = "private_ip"
EVENT_STALLED_DECISION = "stalled_decision"
# A step that could not succeed, held for an operator (POLICY_FAILED_STEP_HOLD_HOURS):
# {"action": "retry"} re-runs the failed step once its cause is fixed, anything else compensates.
EVENT_FAILED_DECISION = "failed_decision"
EVENT_OPERATOR_WAITS = (
    EVENT_APPROVAL,
    EVENT_PRIVATE_IP,
    EVENT_STALLED_DECISION,
    EVENT_FAILED_DECISION,
)
# Raised by the operator API (terminate with compensation) while the run waits on an operator
EVENT_CANCEL = "cancel"
