"""Entity declarations for the Service Bus simulator: queues, topics and subscriptions.

Two input shapes are accepted, both plain JSON-able dicts (or a JSON file):

* the simulator's own short form::

    {"queues": {"orders": {"lock_duration": 60, "max_delivery_count": 5,
                           "requires_duplicate_detection": true,
                           "duplicate_detection_window": 600}},
     "topics": {"events": {"subscriptions": {"audit": {}, "ticketing": {}}}}}

  (durations in seconds, or ISO 8601 strings such as ``"PT1M"``);

* the official Service Bus emulator's ``Config.json`` (``UserConfig.Namespaces[].Queues`` /
  ``Topics[].Subscriptions`` with ``Properties`` such as ``LockDuration``,
  ``MaxDeliveryCount``, ``RequiresDuplicateDetection``,
  ``DuplicateDetectionHistoryTimeWindow``), so a team's emulator config can be reused.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Service Bus defaults (Standard tier) where the declaration is silent.
DEFAULT_LOCK_DURATION = 60.0
DEFAULT_MAX_DELIVERY_COUNT = 10
DEFAULT_DUPLICATE_WINDOW = 600.0


@dataclass(frozen=True)
class ReceivableSettings:
    """Settings of something messages are received from: a queue or a subscription."""

    lock_duration: float = DEFAULT_LOCK_DURATION
    max_delivery_count: int = DEFAULT_MAX_DELIVERY_COUNT
    default_message_ttl: float | None = None
    dead_lettering_on_message_expiration: bool = False


@dataclass(frozen=True)
class QueueConfig(ReceivableSettings):
    requires_duplicate_detection: bool = False
    duplicate_detection_window: float = DEFAULT_DUPLICATE_WINDOW


@dataclass(frozen=True)
class SubscriptionConfig(ReceivableSettings):
    pass


@dataclass(frozen=True)
class TopicConfig:
    subscriptions: dict[str, SubscriptionConfig] = field(default_factory=dict)
    requires_duplicate_detection: bool = False
    duplicate_detection_window: float = DEFAULT_DUPLICATE_WINDOW
    default_message_ttl: float | None = None


@dataclass(frozen=True)
class EntityConfig:
    """Every entity the simulated namespace has."""

    queues: dict[str, QueueConfig] = field(default_factory=dict)
    topics: dict[str, TopicConfig] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queues": {name: asdict(q) for name, q in self.queues.items()},
            "topics": {name: asdict(t) for name, t in self.topics.items()},
        }


def default_entities() -> EntityConfig:
    """The entities this product uses (see DESIGN.md §1): requests in, status events out."""
    return EntityConfig(
        queues={
            "onboarding-requests": QueueConfig(
                lock_duration=60.0,
                max_delivery_count=5,
                requires_duplicate_detection=True,
                duplicate_detection_window=600.0,
            ),
            # Event Grid delivers the gateways' resource-group events here (push signal,
            # infra/modules/servicebus.bicep; simulator/eventgrid.py publishes them locally).
            "gateway-events": QueueConfig(lock_duration=60.0, max_delivery_count=10),
        },
        topics={
            "onboarding-events": TopicConfig(
                subscriptions={
                    "ticketing": SubscriptionConfig(),
                    "audit": SubscriptionConfig(),
                    "operators": SubscriptionConfig(),
                }
            )
        },
    )


_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> float:
    """Seconds from a number, an ISO 8601 duration (``PT1M``) or a .NET ``hh:mm:ss`` string."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        match = _ISO_DURATION.match(text.upper())
        if match and text.upper() not in ("P", "PT"):
            parts = {k: float(v) for k, v in match.groupdict().items() if v}
            return (
                parts.get("days", 0.0) * 86400
                + parts.get("hours", 0.0) * 3600
                + parts.get("minutes", 0.0) * 60
                + parts.get("seconds", 0.0)
            )
        pieces = text.split(":")
        if len(pieces) == 3:
            hours, minutes, seconds = pieces
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    raise ValueError(f"not a duration: {value!r}")


def load_entities(source: EntityConfig | dict[str, Any] | str | Path | None) -> EntityConfig:
    """Normalise any accepted declaration (None = the product defaults)."""
    if source is None:
        return default_entities()
    if isinstance(source, EntityConfig):
        return source
    if isinstance(source, str | Path):
        source = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(source, dict):
        raise ValueError("the entity config must be a JSON object")
    if "UserConfig" in source:
        return _from_emulator_config(source["UserConfig"])
    return _from_short_form(source)


def _receivable(raw: dict[str, Any], *, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _RECEIVABLE_KEYS:
            continue
        if key in ("lock_duration", "default_message_ttl"):
            out[key] = None if value is None else parse_duration(value)
        elif key == "max_delivery_count":
            out[key] = int(value)
            if out[key] < 1:
                raise ValueError(f"{where}: max_delivery_count must be at least 1")
        else:
            out[key] = bool(value)
    return out


def _dedup(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "requires_duplicate_detection" in raw:
        out["requires_duplicate_detection"] = bool(raw["requires_duplicate_detection"])
    if "duplicate_detection_window" in raw:
        out["duplicate_detection_window"] = parse_duration(raw["duplicate_detection_window"])
    return out


def _check_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    # Typos in an entity config would otherwise silently fall back to defaults.
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}")


_RECEIVABLE_KEYS = {
    "lock_duration",
    "max_delivery_count",
    "default_message_ttl",
    "dead_lettering_on_message_expiration",
}
_DEDUP_KEYS = {"requires_duplicate_detection", "duplicate_detection_window"}


def _from_short_form(raw: dict[str, Any]) -> EntityConfig:
    _check_keys(raw, {"queues", "topics"}, "entity config")
    queues: dict[str, QueueConfig] = {}
    for name, settings in (raw.get("queues") or {}).items():
        settings = settings or {}
        _check_keys(settings, _RECEIVABLE_KEYS | _DEDUP_KEYS, f"queue {name}")
        queues[name] = QueueConfig(
            **_receivable(settings, where=f"queue {name}"), **_dedup(settings)
        )
    topics: dict[str, TopicConfig] = {}
    for name, settings in (raw.get("topics") or {}).items():
        settings = settings or {}
        _check_keys(
            settings, _DEDUP_KEYS | {"subscriptions", "default_message_ttl"}, f"topic {name}"
        )
        subs = settings.get("subscriptions") or {}
        if isinstance(subs, list):
            subs = {sub: {} for sub in subs}
        subscriptions: dict[str, SubscriptionConfig] = {}
        for sub, sub_settings in subs.items():
            sub_settings = sub_settings or {}
            _check_keys(sub_settings, _RECEIVABLE_KEYS, f"subscription {name}/{sub}")
            subscriptions[sub] = SubscriptionConfig(
                **_receivable(sub_settings, where=f"subscription {name}/{sub}")
            )
        ttl = settings.get("default_message_ttl")
        topics[name] = TopicConfig(
            subscriptions=subscriptions,
            default_message_ttl=None if ttl is None else parse_duration(ttl),
            **_dedup(settings),
        )
    _check_unique(queues, topics)
    return EntityConfig(queues=queues, topics=topics)


# Emulator property name -> short-form key.
_EMULATOR_KEYS = {
    "LockDuration": "lock_duration",
    "MaxDeliveryCount": "max_delivery_count",
    "DefaultMessageTimeToLive": "default_message_ttl",
    "DeadLetteringOnMessageExpiration": "dead_lettering_on_message_expiration",
    "RequiresDuplicateDetection": "requires_duplicate_detection",
    "DuplicateDetectionHistoryTimeWindow": "duplicate_detection_window",
}


def _emulator_props(props: dict[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    if props.get("RequiresSession"):
        raise ValueError(f"{where}: sessions are not supported by the simulator")
    out = {_EMULATOR_KEYS[k]: v for k, v in props.items() if k in _EMULATOR_KEYS}
    return {k: v for k, v in out.items() if k in allowed}


def _from_emulator_config(user_config: dict[str, Any]) -> EntityConfig:
    short: dict[str, Any] = {"queues": {}, "topics": {}}
    for namespace in user_config.get("Namespaces", []):
        for queue in namespace.get("Queues", []):
            name = queue["Name"]
            short["queues"][name] = _emulator_props(
                queue.get("Properties") or {}, _RECEIVABLE_KEYS | _DEDUP_KEYS, f"queue {name}"
            )
        for topic in namespace.get("Topics", []):
            name = topic["Name"]
            entry = _emulator_props(
                topic.get("Properties") or {},
                _DEDUP_KEYS | {"default_message_ttl"},
                f"topic {name}",
            )
            entry["subscriptions"] = {
                sub["Name"]: _emulator_props(
                    sub.get("Properties") or {}, _RECEIVABLE_KEYS, f"subscription {sub['Name']}"
                )
                for sub in topic.get("Subscriptions", [])
            }
            short["topics"][name] = entry
    return _from_short_form(short)


def _check_unique(queues: dict[str, Any], topics: dict[str, Any]) -> None:
    # Entity names are case-insensitive in Service Bus and share one namespace.
    seen: set[str] = set()
    for name in [*queues, *topics]:
        if name.lower() in seen:
            raise ValueError(f"entity {name!r} is declared twice")
        if not name or "$" in name or name.startswith("/"):
            raise ValueError(f"invalid entity name {name!r}")
        seen.add(name.lower())
