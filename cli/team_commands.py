"""Team commands of ``onboard`` (issue 15): what each team owns, and the runs that made it.

    onboard teams [TEAM] [--json]           every team's records, or one team's parts in detail

Reads use the Onboarding.Reader role (docs/teams.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import quote

from cli.api_client import api_base, call
from cli.render import describe_problem
from triggers.auth import READER

COMMANDS = ("teams",)


def register(sub: Any) -> None:
    teams = sub.add_parser("teams", help="what each team owns (or one team in detail)")
    teams.add_argument("team", nargs="?")
    teams.add_argument("--json", action="store_true", help="the raw JSON answer")
    teams.add_argument("--api")


def run(args: argparse.Namespace) -> int:
    api = api_base(args.api)
    if args.command == "teams":
        return _teams(api, args)
    return 2


def _teams(api: str, args: argparse.Namespace) -> int:
    url = f"{api}/teams/{quote(args.team, safe='')}" if args.team else f"{api}/teams"
    reply = call("GET", url, role=READER)
    if reply.status != 200:
        print("\n".join(describe_problem(reply.body)), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(reply.body, indent=2))
        return 0
    if not args.team:
        print(f"{'team':<16} {'workspace':<20} {'status':<11} {'mode':<12} {'gateway':<24} "
              f"grants  runs")  # fmt: skip
        for item in reply.body["items"]:
            gateway = (item.get("gatewayId") or "").rsplit("/", 1)[-1]
            gateway += " (shared)" if item.get("sharedGateway") else ""
            print(f"{item['team']:<16} {item['workspace']:<20} {item['status']:<11} "
                  f"{item['mode']:<12} {gateway:<24} {item['grants']:<7} "
                  f"{', '.join(item['runs'])}")  # fmt: skip
        return 0
    for record in reply.body["workspaces"]:
        print("\n".join(describe_record(record)))
    return 0


def describe_record(record: dict[str, Any]) -> list[str]:
    """One team record as lines: each part, whether this product made it, and the run."""
    lines = [f"team {record['team']}  workspace {record['workspaceName']}  ({record['status']}, "
             f"mode {record['mode']})"]  # fmt: skip

    def part(label: str, rid: str | None, made: bool | None, run: str, extra: str = "") -> None:
        whose = "made" if made else "found"
        lines.append(f"  {label:<10} {rid or '-'}  [{whose} by {run}]{extra}")

    if record.get("workspace"):
        ws = record["workspace"]
        part("workspace", ws["record"]["workspaceId"], ws["record"]["created"], ws["run"])
    if record.get("gateway"):
        gw = record["gateway"]
        part("gateway", gw["record"]["gatewayId"], gw["record"]["created"], gw["run"],
             " shared" if gw["shared"] else "")  # fmt: skip
    if record.get("link"):
        link = record["link"]
        part("link", link["record"]["linkId"], link["record"]["created"], link["run"])
    if record.get("network"):
        net = record["network"]
        if net.get("nsg"):
            part("nsg", net["nsg"]["nsgId"], net["nsg"]["created"], net["run"])
        if net.get("subnet"):
            sub = net["subnet"]
            prior = ", ".join(sub["priorDelegations"]) or "none"
            nsg = sub.get("priorNsgId") or "none"
            part("subnet", sub["subnetId"], sub["changed"], net["run"],
                 f" prior delegation {prior}, prior NSG {nsg}")  # fmt: skip
    if record.get("dns"):
        dns = record["dns"]
        part("dns", dns["record"]["zoneId"], dns["record"]["zoneCreated"], dns["run"],
             f" A @ {dns.get('privateIp') or '?'}")  # fmt: skip
    for grant in record.get("grants", []):
        part("grant", f"{grant['role']} @ {grant['scope']} -> {grant['principalId']}",
             grant["record"]["created"], grant["run"])  # fmt: skip
    lines.append("  runs       " + ", ".join(f"{r['id']} ({r['kind']}, {r['outcome']})"
                                          for r in record.get("runs", [])))  # fmt: skip
    return lines
