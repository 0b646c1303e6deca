"""Orchestration versioning as the Durable extension (3.1+) applies it: settings and comparison.

host.json ``extensions.durableTask`` may carry ``defaultVersion``, ``versionMatchStrategy``
(``None`` / ``Strict`` / ``CurrentOrOlder``, default ``CurrentOrOlder``) and
``versionFailureStrategy`` (``Reject`` / ``Fail``, default ``Reject``); the extension's
``DurableTaskOptions`` has those defaults and hands them to DurableTask.Core's
``VersioningSettings`` unchanged (``Version = DefaultVersion``, null when unset).

DurableTask.Core's ``TaskOrchestrationDispatcher`` checks every orchestration work item before
it runs the orchestrator:

* ``Strict``: refused unless ``settings.Version != runtimeState.Version`` is false, i.e. a plain
  ordinal string equality (not :func:`compare_versions`: ``"1.0"`` and ``"1.0.0"`` differ);
* ``CurrentOrOlder``: refused when ``CompareVersions(instance, settings.Version) > 0``;
* refused + ``Reject``: the work item is abandoned (the instance keeps its state, history and
  queued messages); refused + ``Fail``: the orchestration completes as Failed with
  ``FailureDetails("VersionMismatch", "Orchestration version did not comply with Worker
  Versioning")``.

Nothing here touches the store; :mod:`devhost.engine` applies the verdict.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any

log = logging.getLogger("devhost.versioning")

# DurableTask.Core's text for a refused work item under ``Fail`` (its FailureDetails message);
# devhost appends both versions so the status says which ones clashed.
MISMATCH_PREFIX = "Orchestration version did not comply with Worker Versioning"
MISMATCH_ERROR_TYPE = "VersionMismatch"

_INT32_MAX = 2**31 - 1
# .NET ``char.IsWhiteSpace`` outside the Unicode separator categories.
_DOTNET_EXTRA_WHITESPACE = "\t\n\v\f\r\x85\xa0"
# ``NumberStyles.Integer`` allows only these around a component (AllowLeading/TrailingWhite).
_NUMBER_WHITESPACE = "\t\n\v\f\r "


class MatchStrategy(Enum):
    """``versionMatchStrategy``: which instance versions this host runs."""

    NONE = "None"
    STRICT = "Strict"
    CURRENT_OR_OLDER = "CurrentOrOlder"


class FailureStrategy(Enum):
    """``versionFailureStrategy``: what happens to an instance the host does not run."""

    REJECT = "Reject"
    FAIL = "Fail"


# .NET's configuration binder parses enums case-insensitively, by name or by number.
_MATCH_NUMBERS = {
    "0": MatchStrategy.NONE,
    "1": MatchStrategy.STRICT,
    "2": MatchStrategy.CURRENT_OR_OLDER,
}
_FAILURE_NUMBERS = {"0": FailureStrategy.REJECT, "1": FailureStrategy.FAIL}


def is_blank(version: str | None) -> bool:
    """.NET ``string.IsNullOrWhiteSpace``: None, empty or only whitespace means unversioned."""
    if version is None:
        return True
    return all(
        c in _DOTNET_EXTRA_WHITESPACE or unicodedata.category(c) in ("Zs", "Zl", "Zp")
        for c in version
    )


def parse_dotnet_version(text: str) -> tuple[int, ...] | None:
    """``System.Version.TryParse``: 2 to 4 dot-separated int32 components >= 0, else None.

    Each component is read like ``int.TryParse(s, NumberStyles.Integer, Invariant)``: optional
    ASCII whitespace around it and one leading ``+``/``-`` (so ``"-0"`` is 0). A single number
    such as ``"2"`` has no dot and does **not** parse (documented .NET behaviour), so it falls
    through to the string comparison in :func:`compare_versions`.
    """
    parts = text.split(".")
    if not 2 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        value = _parse_int32(part)
        if value is None or value < 0:
            return None
        values.append(value)
    return tuple(values)


def _parse_int32(text: str) -> int | None:
    body = text.strip(_NUMBER_WHITESPACE)
    sign = 1
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    # isdecimal() would accept other scripts' digits; .NET's invariant parse takes ASCII only.
    if not body or not all("0" <= c <= "9" for c in body):
        return None
    value = sign * int(body)
    return value if -_INT32_MAX - 1 <= value <= _INT32_MAX else None


def _version_key(parsed: tuple[int, ...]) -> tuple[int, ...]:
    # System.Version leaves missing Build/Revision at -1, so "1.0" < "1.0.0" < "1.0.0.0".
    return parsed + (-1,) * (4 - len(parsed))


def _ordinal_ignore_case(text: str) -> bytes:
    # OrdinalIgnoreCase upper-cases char by char (simple mapping, so "ß" stays "ß") and then
    # compares UTF-16 code units; big-endian UTF-16 bytes sort exactly like code units.
    folded = "".join(c.upper() if len(c.upper()) == 1 else c for c in text)
    return folded.encode("utf-16-be", "surrogatepass")


def compare_versions(source: str | None, other: str | None) -> int:
    """DurableTask.Core ``VersioningSettings.CompareVersions``: -1, 0 or 1.

    Blank (None / whitespace) versions are equal and older than any defined version; two
    ``System.Version`` strings compare component-wise; anything else compares as
    case-insensitive ordinal text. That last rule is why ``"10"`` sorts *before* ``"9"`` (and
    ``"2.0"`` before ``"v1"``): the real host does exactly this, so devhost does too.
    """
    source_blank, other_blank = is_blank(source), is_blank(other)
    if source_blank or other_blank:
        return int(other_blank) - int(source_blank)
    return _compare_defined(str(source), str(other))


def _compare_defined(source: str, other: str) -> int:
    left, right = parse_dotnet_version(source), parse_dotnet_version(other)
    if left is not None and right is not None:
        a, b = _version_key(left), _version_key(right)
        return (a > b) - (a < b)
    x, y = _ordinal_ignore_case(source), _ordinal_ignore_case(other)
    return (x > y) - (x < y)


@dataclass(frozen=True)
class VersioningSettings:
    """The host's versioning configuration (one per start: host.json is read at start)."""

    default_version: str = ""
    match_strategy: MatchStrategy = MatchStrategy.CURRENT_OR_OLDER
    failure_strategy: FailureStrategy = FailureStrategy.REJECT

    @classmethod
    def from_host_json(cls, host_json: dict[str, Any]) -> VersioningSettings:
        """Read ``extensions.durableTask``; ValueError for a value the real host would refuse."""
        durable = host_json.get("extensions", {}).get("durableTask", {}) or {}
        return cls(
            default_version=_version_setting(durable.get("defaultVersion")),
            match_strategy=_enum_setting(
                durable.get("versionMatchStrategy"),
                MatchStrategy,
                _MATCH_NUMBERS,
                MatchStrategy.CURRENT_OR_OLDER,
            ),
            failure_strategy=_enum_setting(
                durable.get("versionFailureStrategy"),
                FailureStrategy,
                _FAILURE_NUMBERS,
                FailureStrategy.REJECT,
            ),
        )

    def version_for_new(self, requested: str | None) -> str:
        """Version of a new instance: the requested one, else ``defaultVersion``.

        A blank request counts as none: sub-orchestration versions reach the extension appended
        to the function name (azure-functions-durable-extension PR #3213), where an empty one
        cannot be told from a missing one, and client starts follow the same rule.
        """
        return self.default_version if is_blank(requested) else str(requested)

    def mismatch(self, instance_version: str | None) -> str | None:
        """None when this host runs an instance of that version, else the reason it does not."""
        version = instance_version or ""
        if self.match_strategy is MatchStrategy.STRICT:
            if version == self.default_version:
                return None
            relation = "is not"
        elif self.match_strategy is MatchStrategy.CURRENT_OR_OLDER:
            if compare_versions(version, self.default_version) <= 0:
                return None
            relation = "is newer than"
        else:
            return None
        return (
            f"{MISMATCH_PREFIX}: the instance's version {_shown(version)} {relation} the host's "
            f"defaultVersion {_shown(self.default_version)} "
            f"(versionMatchStrategy {self.match_strategy.value})"
        )

    def warnings(self) -> list[str]:
        """Configuration that works but behaves unlike what it looks like (logged at start)."""
        default = self.default_version
        ordered = self.match_strategy is MatchStrategy.CURRENT_OR_OLDER
        if ordered and default.strip().isdigit():
            return [
                f"defaultVersion '{default}' is not a System.Version (those need a dot), so the "
                "host compares versions as text and '10' sorts before '9'; write "
                f"'{default.strip()}.0' for numeric ordering"
            ]
        return []


def _shown(version: str) -> str:
    return f"'{version}'" if version else "'' (unversioned)"


def _version_setting(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"host.json defaultVersion must be a string, not {value!r}")
    if isinstance(value, float):
        # json.loads has already turned 1.10 into 1.1; the real host would keep "1.10".
        log.warning("host.json defaultVersion %r is a JSON number; write it as a string", value)
    return str(value)


def _enum_setting(value: Any, kind: type[Enum], numbers: dict[str, Any], default: Any) -> Any:
    if value is None:
        return default
    text = str(value).strip()
    for member in kind:
        if member.value.lower() == text.lower():
            return member
    if text in numbers:
        return numbers[text]
    names = ", ".join(str(m.value) for m in kind)
    raise ValueError(f"host.json durableTask setting {value!r} is not one of {names}")
