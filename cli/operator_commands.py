"""Operator commands of ``onboard``: search runs, read a run's history, act on runs.

    onboard list [--ticket T --team T --workspace W --outcome O --status S --step S --requested-by U
                  --from ISO --to ISO --top N] [--all] [--json]
    onboard history ID                       the raw Durable history of a run and its children
    onboard terminate ID --reason R [--compensate]
    onboard retry ID                         a new run of the same request (<id>-r<N>)
    onboard compensate ID [--reason R]       undo a CompensationFailed run's leftovers again
    onboard approve ID [--reject] [--reason R]
    onboard supply ID --ip 10.x.x.x          the gateway's private IP (the private_ip event)

Reads use the Onboarding.Reader role, actions Onboarding.Operator (docs/operators.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import quote, urlencode

from cli.api_client import api_base, call
from cli.render import describe_problem, describe_run, now_line
from triggers.auth import OPERATOR, READER

COMMANDS = ("list", "history", "terminate", "retry", "compensate", "approve", "supply")
FILTERS = (("ticket", "ticket"), ("team", "team"), ("workspace", "workspace"),
           ("outcome", "outcome"), ("status", "status"), ("step", "step"),
           ("requested_by", "requestedBy"),
           ("from_", "from"), ("to", "to"))  # fmt: skip


def register(sub: Any) -> None:
    """Add the operator sub-commands to ``onboard``'s parser."""
    lst = sub.add_parser("list", help="search runs (newest first)")
    for flag in ("ticket", "team", "workspace", "step"):
        lst.add_argument(f"--{flag}")
    lst.add_argument("--outcome", help="Running, WaitingOnOperator, Compensating, Succeeded, "
                     "Compensated, CompensationFailed, Failed or Terminated")  # fmt: skip
    lst.add_argument("--status", help="Durable's runtime status (or an outcome)")
    lst.add_argument("--requested-by", dest="requested_by")
    lst.add_argument("--from", dest="from_", metavar="ISO", help="created at or after")
    lst.add_argument("--to", metavar="ISO", help="created at or before")
    lst.add_argument("--top", type=int, default=50, help="rows per page (1-200)")
    lst.add_argument("--all", action="store_true", help="follow every page")
    lst.add_argument("--json", action="store_true", help="the rows as JSON lines")
    lst.add_argument("--api")

    history = sub.add_parser("history", help="a run's raw Durable history (JSON)")
    history.add_argument("id")
    history.add_argument("--api")

    terminate = sub.add_parser("terminate", help="stop a run (with --compensate: undo it)")
    terminate.add_argument("id")
    terminate.add_argument("--reason", required=True)
    terminate.add_argument(
        "--compensate", action="store_true", help="undo what the run made (during an operator wait)"
    )
    terminate.add_argument("--api")

    retry = sub.add_parser("retry", help="start a new run of a failed run's request")
    retry.add_argument("id")
    retry.add_argument("--api")

    compensate = sub.add_parser(
        "compensate", help="undo a CompensationFailed run's leftovers again (<id>-c<N>)"
    )
    compensate.add_argument("id")
    compensate.add_argument("--reason", default="")
    compensate.add_argument("--api")

    approve = sub.add_parser("approve", help="answer a run's approval gate")
    approve.add_argument("id")
    approve.add_argument("--reject", action="store_true", help="refuse: the run compensates")
    approve.add_argument("--reason", default="")
    approve.add_argument("--api")

    supply = sub.add_parser("supply", help="give a waiting run the gateway's private IP")
    supply.add_argument("id")
    supply.add_argument("--ip", required=True)
    supply.add_argument("--api")


def run(args: argparse.Namespace) -> int:
    """Run one operator command; 0 on success, 1 when the API refused."""
    api = api_base(args.api)
    if args.command == "list":
        return _list(api, args)
    run_url = f"{api}/onboardings/{quote(args.id, safe='')}"
    if args.command == "history":
        return _print(call("GET", f"{run_url}/history", role=READER), raw=True)
    if args.command == "terminate":
        body = {"reason": args.reason, "compensate": args.compensate}
        return _print(call("POST", f"{run_url}/terminate", role=OPERATOR, body=body))
    if args.command == "retry":
        return _print(call("POST", f"{run_url}/retry", role=OPERATOR, body={}))
    if args.command == "compensate":
        body = {"reason": args.reason} if args.reason else {}
        return _print(call("POST", f"{run_url}/compensate", role=OPERATOR, body=body))
    if args.command == "approve":
        body = {"approved": not args.reject, "reason": args.reason}
        return _print(call("POST", f"{run_url}/approve", role=OPERATOR, body=body))
    if args.command == "supply":
        url = f"{run_url}/events/private_ip"
        return _print(call("POST", url, role=OPERATOR, body={"ip": args.ip}))
    return 2


def _print(reply: Any, raw: bool = False) -> int:
    if reply.status >= 400:
        print("\n".join(describe_problem(reply.body)), file=sys.stderr)
        return 1
    if raw:
        print(json.dumps(reply.body, indent=2))
    else:
        print(f"accepted: {reply.body.get('id')}")
        print("\n".join(describe_run(reply.body)))
    return 0


def _list(api: str, args: argparse.Namespace) -> int:
    query = {name: getattr(args, attr) for attr, name in FILTERS if getattr(args, attr)}
    query["top"] = str(args.top)
    token = None
    if not args.json:
        print(f"{'id':<32} {'ticket':<14} {'team':<12} {'outcome':<18} {'step':<10} "
              f"{'created':<25} now")  # fmt: skip
    while True:
        page = {**query, **({"continuationToken": token} if token else {})}
        reply = call("GET", f"{api}/onboardings?{urlencode(page)}", role=READER)
        if reply.status != 200:
            print("\n".join(describe_problem(reply.body)), file=sys.stderr)
            return 1
        for item in reply.body["items"]:
            if args.json:
                print(json.dumps(item))
            else:
                print(f"{item['id']:<32} {item.get('ticketId') or '':<14} "
                      f"{item.get('team') or '':<12} {item.get('outcome') or '':<18} "
                      f"{item.get('step') or '':<10} {item.get('createdAt') or '':<25} "
                      f"{now_line(item)}".rstrip())  # fmt: skip
        token = reply.body.get("continuationToken")
        if not token:
            return 0
        if not args.all:
            print(f"(more: --all, or continuationToken={token})", file=sys.stderr)
            return 0
