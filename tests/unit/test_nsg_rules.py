"""The NSG rule decision: which rules each network mode needs, and which ones are missing."""

from __future__ import annotations

from shared.nsg_rules import missing_rules, required_rules


def test_mode_none_needs_no_rules():
    assert required_rules("none", "10.0.1.0/24") == []


def test_integration_needs_only_outbound_storage():
    rules = required_rules("integration", "10.0.1.0/24")
    assert [(r.direction, r.destination, r.ports) for r in rules] == [
        ("Outbound", "Storage", ("443",))
    ]


def test_injection_needs_inbound_lb_and_vnet_and_outbound_storage_and_keyvault():
    rules = required_rules("injection", "10.0.1.0/24")
    assert {(r.direction, r.source, r.destination, r.ports) for r in rules} == {
        ("Inbound", "AzureLoadBalancer", "10.0.1.0/24", ("80",)),
        ("Inbound", "VirtualNetwork", "10.0.1.0/24", ("80", "443")),
        ("Outbound", "VirtualNetwork", "Storage", ("443",)),
        ("Outbound", "VirtualNetwork", "AzureKeyVault", ("443",)),
    }


def test_priorities_are_unique_per_direction():
    rules = required_rules("injection", "10.0.1.0/24")
    slots = [(r.direction, r.priority) for r in rules]
    assert len(slots) == len(set(slots))


def test_wire_form_uses_plural_ports_only_for_several():
    lb, vnet = required_rules("injection", "10.0.1.0/24")[:2]
    assert lb.to_arm()["properties"]["destinationPortRange"] == "80"
    assert vnet.to_arm()["properties"]["destinationPortRanges"] == ["80", "443"]


def test_present_rules_are_not_missing_and_changed_ones_are():
    wanted = required_rules("injection", "10.0.1.0/24")
    present = [r.to_arm() for r in wanted]
    assert missing_rules(wanted, present) == []
    present[0]["properties"]["priority"] = 300
    assert [r.name for r in missing_rules(wanted, present)] == [wanted[0].name]


TWO = ["10.0.1.0/25", "10.0.2.0/25"]


def test_inbound_rules_cover_every_prefix_of_the_subnet():
    lb, vnet = required_rules("injection", TWO)[:2]
    for rule in (lb, vnet):
        props = rule.to_arm()["properties"]
        assert props["destinationAddressPrefixes"] == TWO
        assert "destinationAddressPrefix" not in props


def test_one_prefix_in_a_list_is_the_singular_form():
    lb = required_rules("injection", ["10.0.1.0/24"])[0]
    assert lb.to_arm()["properties"]["destinationAddressPrefix"] == "10.0.1.0/24"


def test_a_rule_covering_only_some_prefixes_is_missing_and_order_does_not_matter():
    wanted = required_rules("injection", TWO)
    present = [r.to_arm() for r in wanted]
    present[0]["properties"]["destinationAddressPrefixes"] = list(reversed(TWO))
    # NRP answers the unused form as an empty list/string (REC-network test_network_nsg).
    present[0]["properties"]["destinationAddressPrefix"] = ""
    assert missing_rules(wanted, present) == []
    present[1]["properties"]["destinationAddressPrefixes"] = TWO[:1]
    assert [r.name for r in missing_rules(wanted, present)] == [wanted[1].name]
    single = [r.to_arm() for r in required_rules("injection", TWO[0])]
    assert {r.name for r in missing_rules(wanted, single)} == {wanted[0].name, wanted[1].name}
