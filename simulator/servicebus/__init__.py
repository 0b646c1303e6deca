"""A local Azure Service Bus namespace speaking AMQP 1.0, for the real azure-servicebus SDK.

Layers, as in moto: :mod:`.amqp` (wire, thin), :mod:`.backend` (entity state),
:mod:`.errors` (the error catalogue), :mod:`.config` (entity declarations), :mod:`.codec`
(message bytes). :class:`ServiceBusSimulator` starts and stops one namespace.
"""

from simulator.servicebus.backend import ServiceBusBackend
from simulator.servicebus.config import (
    EntityConfig,
    QueueConfig,
    SubscriptionConfig,
    TopicConfig,
    default_entities,
    load_entities,
)
from simulator.servicebus.runner import ServiceBusSimulator

__all__ = [
    "EntityConfig",
    "QueueConfig",
    "ServiceBusBackend",
    "ServiceBusSimulator",
    "SubscriptionConfig",
    "TopicConfig",
    "default_entities",
    "load_entities",
]
