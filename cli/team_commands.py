"""Team commands of ``onboard`` (issue 15): what each team owns, and the runs that made it.

    onboard teams [TEAM] [--json]           every team's records, or one team's parts in detail
    onboard drift [--check [--team T]] [--json]   the latest drift findings (or check now)
    onboard repair TEAM --workspace W --service ID --ticket T [--reason R]

Reads use the Onboarding.Reader role, --check and repair Onboarding.Operator (docs/teams.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import quote

from cli.api_client import api_base, call
from cli.render import describe_problem
from triggers.auth import OPERATOR, READER

COMMANDS = ("teams", "drift", "repair")


def register(sub: Any) -> None:
    teams = sub.add_parser("teams", help="what each team owns (or one team in detail)")
    teams.add_argument("team", nargs="?")
    teams.add_argument("--json", action="store_true", help="the raw JSON answer")
    teams.add_argument("--api")
    drift = sub.add_parser("drift", help="drift between team records and Azure")
    drift.add_argument("--check", action="store_true", help="start a drift check now")
    drift.add_argument("--team", help="with --check: only this team")
    drift.add_argument("--json", action="store_true", help="the raw JSON answer")
    drift.add_argument("--api")
    repair = sub.add_parser("repair", help="re-apply a team's recorded state (approval)")
    repair.add_argument("team")
    repair.add_argument("--workspace", required=True)
    repair.add_argument("--service", required=True, help="the APIM service resource id")
    repair.add_argument("--ticket", required=True)
    repair.add_argument("--reason", default="")
    repair.add_argument("--api")


def run(args: argparse.Namespace) -> int:
    api = api_base(args.api)
    if args.command == "teams":
        return _teams(api, args)
    if args.command == "drift":
        return _drift(api, args)
    if args.command == "repair":
        body = {"ticketId": args.ticket, "workspace": args.workspace,
                "apimServiceId": args.service, "reason": args.reason}  # fmt: skip
        reply = call("POST", f"{api}/teams/{quote(args.team, safe='')}/repair", role=OPERATOR,
                     body=body)  # fmt: skip
        return _started(reply)
    return 2


def _started(reply: Any) -> int:
    if reply.status >= 400:
        print("\n".join(describe_problem(reply.body)), file=sys.stderr)
        return 1
    print(f"started: {reply.body.get('id')}  (onboard show {reply.body.get('id')})")
    return 0


def _drift(api: str, args: argparse.Namespace) -> int:
    if args.check:
        body = {"team": args.team} if args.team else {}
        return _started(call("POST", f"{api}/drift", role=OPERATOR, body=body))
    reply = call("GET", f"{api}/drift", role=READER)
    if reply.status != 200:
        print("\n".join(describe_problem(reply.body)), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(reply.body, indent=2))
        return 0
    print("\n".join(describe_drift(reply.body["items"])))
    return 0


def describe_drift(items: list[dict[str, Any]]) -> list[str]:
    """Each team's latest check, then one line per finding (repairable ones marked)."""
    lines: list[str] = []
    for item in items:
        count = len(item["findings"])
        lines.append(f"{item['team']}/{item['workspace']}: {count or 'no'} finding(s) "
                     f"(checked {item['checkedAt']} by {item['run']})")  # fmt: skip
        for f in item["findings"]:
            fix = "repairable" if f["repairable"] else "report only"
            lines.append(f"  {f['kind']:<22} {f['resourceId']}  expected {f.get('expected')}, "
                         f"found {f.get('actual')}  [{fix}]")  # fmt: skip
    return lines or ["no drift check has run yet"]


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
