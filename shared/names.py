"""Names of the orchestrators, activities and external events: one place, no scattered literals."""

from __future__ import annotations

# Orchestrators
SAGA = "onboarding_saga"
GATEWAY_WAITER = "gateway_waiter"
RUN_STEP = "run_step"  # one activity with classified retries, as a sub-orchestration

# Activities (one per forward step or undo; see activities/)
PREFLIGHT = "preflight"
ENSURE_NSG = "ensure_nsg"
UNDO_NSG = "undo_nsg"
CONFIGURE_SUBNET = "configure_subnet"
RESTORE_SUBNET = "restore_subnet"
CREATE_WORKSPACE = "create_workspace"
DELETE_WORKSPACE = "delete_workspace"
BEGIN_GATEWAY = "begin_gateway"
GET_GATEWAY_STATE = "get_gateway_state"
DELETE_GATEWAY = "delete_gateway"
LINK_WORKSPACE = "link_workspace"
UNLINK_WORKSPACE = "unlink_workspace"
ENSURE_PRIVATE_DNS = "ensure_private_dns"
UNDO_PRIVATE_DNS = "undo_private_dns"
ASSIGN_ROLE = "assign_role"
REMOVE_ROLE = "remove_role"
PUBLISH_EVENT = "publish_event"

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
