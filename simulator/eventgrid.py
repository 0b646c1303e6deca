"""Event Grid's resource-group system topic, as far as the app listens to it.

In Azure, an Event Grid system topic of type ``Microsoft.Resources.ResourceGroups`` publishes
an event for every ARM write in its resource group ("Azure resource group as an Event Grid
source", learn.microsoft.com/azure/event-grid/event-schema-resource-groups): event types
``Microsoft.Resources.ResourceWriteSuccess`` / ``ResourceWriteFailure``, subject = the resource
id, ``data`` with ``resourceUri``, ``operationName``, ``status``, ``correlationId``,
``resourceProvider``, ``subscriptionId``, ``tenantId``. An event subscription with a Service Bus
queue destination delivers each event as one message whose body is the event's JSON (Event
Grid schema) and whose application properties carry ``aeg-event-type`` and friends.

Here: subscriptions are configured through ``/_sim/eventgrid`` or the seed's ``eventGrid``
field (the local stack does it when the app's push signal is on); the APIM backend reports a
gateway PUT when it is accepted and when its build ends, and the switch
``resourceWriteEventAt`` decides which of those publishes (``completed``: at the end, Success
or Failure as the build ended, the documented meaning "raised when a resource create or update
operation succeeds"; ``accepted``: one Success when the PUT is accepted, none at the end;
``never``: nothing, a subscription that lost its events). Whether ARM raises the event for an
asynchronous PUT at acceptance or at completion is not documented: simulator/README.md,
"Differences from real Azure".
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proton import Message

from simulator import errors
from simulator.clock import iso

if TYPE_CHECKING:
    from simulator.core import Simulation

WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
WRITE_FAILURE = "Microsoft.Resources.ResourceWriteFailure"
EVENT_TYPES = (WRITE_SUCCESS, WRITE_FAILURE)


@dataclass
class EventSubscription:
    """One event subscription on a resource group's system topic, delivering to a queue."""

    name: str
    resource_group_id: str  # the system topic's source
    queue: str
    included_event_types: tuple[str, ...] = EVENT_TYPES
    subject_begins_with: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "resourceGroupId": self.resource_group_id,
            "queue": self.queue,
            "includedEventTypes": list(self.included_event_types),
            "subjectBeginsWith": self.subject_begins_with,
        }

    def matches(self, resource_id: str, event_type: str) -> bool:
        rid = resource_id.lower()
        return (
            rid.startswith(self.resource_group_id.lower().rstrip("/") + "/providers/")
            and event_type in self.included_event_types
            and rid.startswith(self.subject_begins_with.lower())
        )


@dataclass
class EventGrid:
    """The configured subscriptions and what they delivered (GET /_sim/eventgrid)."""

    sim: Simulation
    subscriptions: list[EventSubscription] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.subscriptions.clear()
        self.delivered.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "subscriptions": [s.to_json() for s in self.subscriptions],
            "delivered": list(self.delivered),
        }

    def configure(self, body: Any) -> None:
        """``{"subscriptions": [...]}`` replaces the subscriptions (``[]`` removes them)."""
        if not isinstance(body, dict) or not isinstance(body.get("subscriptions"), list):
            raise errors.bad_request(
                "InvalidEventGrid", 'Send {"subscriptions": [{"resourceGroupId", "queue"}]}.'
            )
        staged = [self._subscription(raw) for raw in body["subscriptions"]]
        self.subscriptions[:] = staged

    @staticmethod
    def _subscription(raw: Any) -> EventSubscription:
        if not isinstance(raw, dict):
            raise errors.bad_request("InvalidEventGrid", f"Not a subscription: {raw!r}.")
        group, queue = raw.get("resourceGroupId"), raw.get("queue")
        if not isinstance(group, str) or not group.lower().startswith("/subscriptions/"):
            raise errors.bad_request("InvalidEventGrid", "'resourceGroupId' must be a group id.")
        if not isinstance(queue, str) or not queue:
            raise errors.bad_request("InvalidEventGrid", "'queue' must name a queue.")
        types = raw.get("includedEventTypes") or list(EVENT_TYPES)
        if not isinstance(types, list) or any(t not in EVENT_TYPES for t in types):
            raise errors.bad_request(
                "InvalidEventGrid", f"'includedEventTypes' may hold {', '.join(EVENT_TYPES)}."
            )
        return EventSubscription(
            name=str(raw.get("name") or "gateway-builds"),
            resource_group_id=group,
            queue=queue,
            included_event_types=tuple(types),
            subject_begins_with=str(raw.get("subjectBeginsWith") or ""),
        )

    # --- what the backends report ----------------------------------------------------------

    def write_accepted(self, resource_id: str, operation_name: str) -> None:
        """An asynchronous PUT was accepted (201/202)."""
        if self.sim.timings.resource_write_event_at == "accepted":
            self._publish(resource_id, operation_name, WRITE_SUCCESS, "Succeeded")

    def write_completed(self, resource_id: str, operation_name: str, succeeded: bool) -> None:
        """The asynchronous PUT's operation ended."""
        if self.sim.timings.resource_write_event_at == "completed":
            kind = WRITE_SUCCESS if succeeded else WRITE_FAILURE
            self._publish(resource_id, operation_name, kind, "Succeeded" if succeeded else "Failed")

    # --- delivery ----------------------------------------------------------------------------

    def pending(self) -> int:
        """Messages still in the subscribed queues (delivered to nobody, or not settled yet)."""
        backend = getattr(self.sim.servicebus, "backend", None)
        if backend is None:
            return 0
        count = 0
        for queue in {s.queue.lower() for s in self.subscriptions}:
            store = backend.stores.get(queue)
            count += len(store.messages) if store is not None else 0
        return count

    def _publish(self, resource_id: str, operation_name: str, event_type: str, status: str) -> None:
        wanted = [s for s in self.subscriptions if s.matches(resource_id, event_type)]
        if not wanted:
            return
        event = self._event(resource_id, operation_name, event_type, status)
        for subscription in wanted:
            self.delivered.append({"subscription": subscription.name, "event": event})
            self._send(subscription, event)

    def _event(self, resource_id: str, operation_name: str, event_type: str, status: str
               ) -> dict[str, Any]:  # fmt: skip
        parts = resource_id.split("/")
        subscription_id, group = parts[2], parts[4]
        return {
            "id": str(uuid.uuid4()),
            "topic": f"/subscriptions/{subscription_id}/resourceGroups/{group}",
            "subject": resource_id,
            "eventType": event_type,
            "eventTime": iso(self.sim.clock.now()),
            "data": {
                "correlationId": str(uuid.uuid4()),
                "resourceProvider": operation_name.split("/", 1)[0],
                "resourceUri": resource_id,
                "operationName": operation_name,
                "status": status,
                "subscriptionId": subscription_id,
                "tenantId": self.sim.authorization.tenant_id,
            },
            "dataVersion": "2",
            "metadataVersion": "1",
        }

    def _send(self, subscription: EventSubscription, event: dict[str, Any]) -> None:
        backend = getattr(self.sim.servicebus, "backend", None)
        if backend is None:  # no Service Bus beside ARM: Event Grid would retry, then drop
            return
        message = Message(
            body=json.dumps(event).encode(),
            id=event["id"],
            inferred=True,  # bytes as a Data section, as Service Bus holds Event Grid's JSON
            properties={
                "aeg-subscription-name": subscription.name.upper(),
                "aeg-delivery-count": 0,
                "aeg-data-version": event["dataVersion"],
                "aeg-metadata-version": event["metadataVersion"],
                "aeg-event-type": "Notification",
            },
        )
        backend.send(subscription.queue, [bytes(message.encode())])
        if self.sim.servicebus is not None and self.sim.servicebus.running:
            self.sim.servicebus.tick()  # offer it to a waiting receiver now
