"""The gateway push signal's infrastructure (issue 17, item 2), read from the Bicep with pycep.

Off by default; on, each gateway resource group gets an Event Grid system topic on the group
whose subscription delivers only the gateways' write events, with the topic's own identity, to
the queue gateway-events, and only after that identity may send there (rbac-app.bicep). The
queue and the app's right to receive from it exist either way (the trigger always listens).
"""

from __future__ import annotations

from shared.gateway_signal import QUEUE
from simulator.servicebus.config import default_entities
from tests.infra import bicep_model as bm


def test_the_push_signal_is_off_unless_the_parameter_says_so() -> None:
    main = bm.main()
    assert bm.param_default(main, "gatewayPushSignal") is False
    assert bm.variable(main, "pushGroupKeys") == {
        "operator": {"type": "conditional", "operands": {
            "condition": "gatewayPushSignal", "true_value": "gatewayGroupKeys", "false_value": []}}
    }  # fmt: skip
    for name in ("gatewayEventTopics", "gatewayEventSubscriptions"):
        assert bm.loop_of(main["modules"][name])["detail"]["array_name"] == "pushGroupKeys"


def test_the_subscription_waits_for_the_sender_role() -> None:
    main = bm.main()
    subscriptions = bm.body(main["modules"]["gatewayEventSubscriptions"])
    assert subscriptions["params"]["subscribe"] is True
    assert subscriptions["dependsOn"] == ["rbacApp"]
    assert "subscribe" not in bm.body(main["modules"]["gatewayEventTopics"])["params"]
    senders = bm.body(main["modules"]["rbacApp"])["params"]["gatewayEventSenderIds"]
    assert "pushGroupKeys" in str(senders) and "gatewayEventTopics" in str(senders)


def test_the_topic_is_the_resource_groups_and_delivers_with_its_own_identity() -> None:
    parsed = bm.module("gateway-events.bicep")
    topic = bm.body(parsed["resources"]["topic"])
    assert topic["properties"]["topicType"] == "Microsoft.Resources.ResourceGroups"
    assert topic["identity"] == {"type": "SystemAssigned"}
    assert topic["location"] == "global"
    sub = parsed["resources"]["subscription"]
    assert bm.condition_of(sub) == "subscribe"
    props = bm.body(sub)["properties"]
    delivery = props["deliveryWithResourceIdentity"]
    assert delivery["identity"] == {"type": "SystemAssigned"}
    assert delivery["destination"]["endpointType"] == "ServiceBusQueue"
    assert "destination" not in props  # no key-based delivery


def test_only_gateway_writes_are_delivered() -> None:
    props = bm.body(bm.module("gateway-events.bicep")["resources"]["subscription"])["properties"]
    flt = props["filter"]
    assert flt["includedEventTypes"] == [
        "Microsoft.Resources.ResourceWriteSuccess",
        "Microsoft.Resources.ResourceWriteFailure",
    ]
    assert flt["subjectBeginsWith"].endswith("/providers/Microsoft.ApiManagement/gateways/")
    (only,) = flt["advancedFilters"]
    assert only == {"operatorType": "StringIn", "key": "data.operationName",
                    "values": ["Microsoft.ApiManagement/gateways/write"]}  # fmt: skip


def test_the_queue_exists_and_the_app_may_receive_from_it() -> None:
    sb = bm.module("servicebus.bicep")
    queue = bm.body(sb["resources"]["gatewayEventsQueue"])
    assert queue["name"] == "gatewayEventsQueueName"
    assert bm.param_default(sb, "gatewayEventsQueueName") == QUEUE  # the app's trigger
    assert QUEUE in default_entities().queues  # and the local simulator's
    rbac = bm.module("rbac-app.bicep")
    receiver = bm.body(rbac["resources"]["gatewayEventsReceiver"])
    assert receiver["scope"] == "gatewayEventsQueue"
    assert receiver["properties"]["principalId"] == "principalId"
