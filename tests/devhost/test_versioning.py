"""devhost/versioning.py: DurableTask.Core's version comparison and the host.json settings."""

from __future__ import annotations

import pytest

from devhost.versioning import (
    MISMATCH_PREFIX,
    FailureStrategy,
    MatchStrategy,
    VersioningSettings,
    compare_versions,
    parse_dotnet_version,
)


@pytest.mark.parametrize(
    ("source", "other", "expected"),
    [
        # Blank versions are equal and older than any defined one (IsNullOrWhiteSpace).
        ("", "", 0),
        (None, "", 0),
        (" \t", None, 0),
        ("", "1.0", -1),
        ("1.0", "", 1),
        ("\u00a0", "a", -1),  # no-break space is .NET whitespace too
        # Both System.Version: component-wise, a missing component is -1.
        ("1.0", "1.0", 0),
        ("1.2", "1.10", -1),
        ("1.10", "1.9", 1),
        ("1.0", "1.0.0", -1),
        ("1.0.0", "1.0.0.0", -1),
        ("1.2.3.4", "1.2.3.5", -1),
        (" 1 . 2 ", "1.2", 0),  # int.TryParse allows whitespace around a component
        ("+1.2", "1.2", 0),
        ("1.-0", "1.0", 0),  # "-0" parses to 0, which is >= 0
        # Not System.Version on one side: case-insensitive ordinal text.
        ("2", "1", 1),
        ("10", "9", -1),  # single numbers do not parse: "10" sorts before "9", as on Azure
        ("9", "10.0", 1),  # "10.0" parses, "9" does not: text again
        ("v1", "V1", 0),
        ("a", "B", -1),
        ("1.0", "v1", -1),
        ("-1.2", "1.2", -1),  # a negative component does not parse
        ("2147483648.0", "1.0", 1),  # beyond int32: text
        ("1.0.0.0.0", "1.0", 1),  # five components: text
        ("2025-01-01", "2025-02-01", -1),
    ],
)
def test_compare_versions_table(source: str | None, other: str | None, expected: int) -> None:
    assert compare_versions(source, other) == expected
    assert compare_versions(other, source) == -expected


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1", None),
        ("1.2", (1, 2)),
        ("1.2.3", (1, 2, 3)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("1.2.3.4.5", None),
        ("1.", None),
        ("1..2", None),
        ("1.a", None),
        ("1.\u0662", None),  # an Arabic-Indic digit: .NET's invariant parse takes ASCII only
        ("2147483647.0", (2147483647, 0)),
        ("1.2147483648", None),
    ],
)
def test_parse_dotnet_version(text: str, parsed: tuple[int, ...] | None) -> None:
    assert parse_dotnet_version(text) == parsed


def test_settings_defaults_and_host_json_values() -> None:
    assert VersioningSettings.from_host_json({}) == VersioningSettings(
        "", MatchStrategy.CURRENT_OR_OLDER, FailureStrategy.REJECT
    )
    durable = {"defaultVersion": "2.0", "versionMatchStrategy": "strict"}
    durable["versionFailureStrategy"] = "FAIL"
    settings = VersioningSettings.from_host_json({"extensions": {"durableTask": durable}})
    assert settings == VersioningSettings("2.0", MatchStrategy.STRICT, FailureStrategy.FAIL)
    numeric = {"defaultVersion": 3, "versionMatchStrategy": 0, "versionFailureStrategy": "1"}
    settings = VersioningSettings.from_host_json({"extensions": {"durableTask": numeric}})
    assert settings == VersioningSettings("3", MatchStrategy.NONE, FailureStrategy.FAIL)


def test_invalid_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="Newest"):
        VersioningSettings.from_host_json(
            {"extensions": {"durableTask": {"versionMatchStrategy": "Newest"}}}
        )


def test_version_for_new_instances() -> None:
    settings = VersioningSettings("2.0")
    assert settings.version_for_new(None) == "2.0"
    assert settings.version_for_new("") == "2.0"
    assert settings.version_for_new("1.5") == "1.5"


def test_current_or_older_refuses_only_newer_versions() -> None:
    settings = VersioningSettings("2.0")
    assert settings.mismatch("") is None
    assert settings.mismatch("1.9") is None
    assert settings.mismatch("2.0") is None
    message = settings.mismatch("2.0.1")
    assert message == (
        f"{MISMATCH_PREFIX}: the instance's version '2.0.1' is newer than the host's "
        "defaultVersion '2.0' (versionMatchStrategy CurrentOrOlder)"
    )


def test_strict_is_exact_string_equality() -> None:
    settings = VersioningSettings("2.0", MatchStrategy.STRICT)
    assert settings.mismatch("2.0") is None
    assert settings.mismatch("1.0") is not None
    assert settings.mismatch("2.0.0") is not None  # equal as System.Version, not as text
    assert settings.mismatch("") is not None


def test_no_match_strategy_runs_everything() -> None:
    assert VersioningSettings("1.0", MatchStrategy.NONE).mismatch("9.0") is None


def test_without_default_version_any_defined_version_is_newer() -> None:
    message = VersioningSettings().mismatch("1.0")
    assert message is not None
    assert "defaultVersion '' (unversioned)" in message


def test_bare_integer_default_version_is_warned_about() -> None:
    assert VersioningSettings("2").warnings()
    assert not VersioningSettings("2.0").warnings()
    assert not VersioningSettings("2", MatchStrategy.STRICT).warnings()
