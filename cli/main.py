"""The ``onboard`` command: run the product locally and talk to a running app.

    onboard serve [--clock real|virtual]   simulator + devhost, prints READY {json}
                                           (its "dashboard" is the operators' page)
    onboard demo                           three sample onboardings, watched live (make demo)
    onboard submit FILE [--dry-run]        start (or find) the run for a request
    onboard submit FILE --via servicebus   put the request on queue onboarding-requests
    onboard events [--follow] [--max N]    status events from topic onboarding-events, peeked
                                           from subscription operators (--consume removes them)
    onboard show ID|TICKET | --ticket T    a run's outcome and steps (by run id or by ticket)
    onboard list|history|terminate|retry|compensate|approve|supply   (cli/operator_commands.py)
    onboard teams [TEAM]                   what each team owns (cli/team_commands.py)

``--api`` (or ``ONBOARD_API``) names the app's base URL; default http://127.0.0.1:7071/api
(``https://<app>.azurewebsites.net`` without ``/api`` means the same). Output piped into
``head`` or ``less`` that stops reading ends the command quietly.
Over Service Bus (docs/servicebus.md), ``--connection-string`` (or ``ServiceBusConnection``)
or ``--namespace`` (DefaultAzureCredential) names the namespace.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from cli.api_client import CliError, api_base, call
from cli.dry_run_render import describe_dry_run
from cli.operator_commands import COMMANDS as OPERATOR_COMMANDS
from cli.operator_commands import register as register_operator_commands
from cli.operator_commands import run as run_operator_command
from cli.render import describe_problem, describe_run, progress_line
from cli.servicebus_io import OPERATORS_SUBSCRIPTION
from cli.team_commands import COMMANDS as TEAM_COMMANDS
from cli.team_commands import register as register_team_commands
from cli.team_commands import run as run_team_command
from shared.request import instance_id_for
from triggers.auth import READER, REQUESTER
from triggers.intake import RUN_ID

TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onboard", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the simulator and devhost until Ctrl-C")
    serve.add_argument("--clock", choices=["real", "virtual"], default="virtual",
                       help="virtual: timers skip ahead when nothing else runs")  # fmt: skip
    serve.add_argument("--port", type=int, default=7071, help="the app's HTTP port (0: any)")
    serve.add_argument("--state-dir", type=Path, default=Path(".state"))
    serve.add_argument("--fresh", action="store_true", help="forget runs of earlier starts")
    serve.add_argument("--azure", action="store_true",
                       help="no simulator: reach real Azure with DefaultAzureCredential and the "
                            "app settings in the environment (implies --clock real)")  # fmt: skip
    serve.add_argument("--build-minutes", type=float,
                       help="simulated gateway build time (default 180)")  # fmt: skip
    serve.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                       help="an extra app setting, e.g. POLICY_REQUIRE_APPROVAL=true")  # fmt: skip
    serve.add_argument("--local-principal", metavar="ROLE[,ROLE...]",
                       help="sign every request that has no x-ms-client-principal in as a local "
                            "user with these app roles (a stand-in for Easy Auth's session, for "
                            "the dashboard; off by default)")  # fmt: skip

    sub.add_parser("demo", help="three sample onboardings on the virtual clock")

    submit = sub.add_parser("submit", help="submit a request file (JSON)")
    submit.add_argument("file", type=Path)
    submit.add_argument("--dry-run", action="store_true",
                        help="change nothing: the findings and the plan (non-zero when a "
                        "finding fails)")  # fmt: skip
    submit.add_argument("--json", action="store_true", help="with --dry-run: the raw answer")
    submit.add_argument("--wait", action="store_true", help="follow the run until it ends")
    submit.add_argument("--api")
    submit.add_argument(
        "--via",
        choices=["http", "servicebus"],
        default="http",
        help="servicebus: send to queue onboarding-requests (MessageId = ticket)",
    )
    submit.add_argument(
        "--message-id",
        help="with --via servicebus: another MessageId than the ticket, for a "
        "corrected resend inside the duplicate-detection window",
    )
    _servicebus_options(submit)

    events = sub.add_parser("events", help="status events from topic onboarding-events")
    events.add_argument(
        "--subscription",
        default=OPERATORS_SUBSCRIPTION,
        help="default: operators, the operators' own subscription (never read the ticketing "
        "system's with --consume: that would take its events)",
    )
    events.add_argument(
        "--consume",
        action="store_true",
        help="receive and remove each event printed (default: peek; the events stay)",
    )
    events.add_argument("--follow", action="store_true", help="keep waiting for new events")
    events.add_argument("--max", type=int, metavar="N", help="stop after N events")
    events.add_argument(
        "--wait",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="without --follow: stop after this long with no event (3)",
    )
    events.add_argument("--json", action="store_true", help="print each event's raw body")
    _servicebus_options(events)

    show = sub.add_parser("show", help="a run's outcome and steps")
    show.add_argument("id", nargs="?", help="the run id (onboard-...) or a ticket id")
    show.add_argument("--ticket", help="the ticket instead: its run (the same mapping as the app)")
    show.add_argument("--json", action="store_true", help="the raw JSON view")
    show.add_argument("--api")
    register_operator_commands(sub)
    register_team_commands(sub)
    return parser


def _servicebus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--connection-string",
        metavar="CS",
        help="Service Bus connection string (default: $ServiceBusConnection)",
    )
    parser.add_argument(
        "--namespace",
        metavar="FQDN",
        help="<name>.servicebus.windows.net, signed in with DefaultAzureCredential",
    )


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader (head, less) stopped reading: nothing is wrong. Point stdout at devnull so
        # the interpreter's final flush does not raise again, and end as a closed pipe does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        if args.command == "demo":
            from cli.demo import run_demo

            return run_demo()
        if args.command == "submit":
            return submit(args)
        if args.command == "show":
            return show(args)
        if args.command == "events":
            return events(args)
        if args.command in OPERATOR_COMMANDS:
            return run_operator_command(args)
        if args.command in TEAM_COMMANDS:
            return run_team_command(args)
    except CliError as err:
        print(f"onboard: {err}", file=sys.stderr)
        return 2
    return 2


def serve(args: argparse.Namespace) -> int:
    from cli.stack import LocalStack, StackOptions

    settings = {}
    for item in args.setting:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"--setting wants NAME=VALUE (got '{item}')")
        settings[name] = value
    options = StackOptions(state_dir=args.state_dir.resolve(), port=args.port,
                           clock="real" if args.azure else args.clock, simulator=not args.azure,
                           fresh=args.fresh, gateway_build_minutes=args.build_minutes,
                           settings=settings, local_principal=args.local_principal)  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stack = LocalStack(options)
    try:
        stack.start()
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {args.port} is in use (another `onboard serve` or `func start`?); "
                "stop it or pass --port 0 for any free port"
            ) from None
        raise
    try:
        info = stack.ready_info()
        print("READY " + json.dumps(info), flush=True)
        # How a browser is signed in locally (README "Dashboard"); stderr keeps READY first.
        print(sign_in_note(str(info.get("dashboard")), args.local_principal), file=sys.stderr,
              flush=True)  # fmt: skip
        while not stop.wait(0.5):
            pass
    finally:
        stack.stop()
    return 0


def sign_in_note(dashboard: str, local_principal: str | None) -> str:
    """What ``onboard serve`` says about signing in to the dashboard locally."""
    if local_principal:
        return (
            f"dashboard {dashboard}: every request without a principal of its own is signed in "
            f"as a local user with the app roles {local_principal} (--local-principal)"
        )
    return (
        f"dashboard {dashboard}: there is no Entra ID locally; the page's Sign in link opens "
        "devhost's local sign-in (/.auth/login/aad), where you choose the local user's app "
        "roles (kept in a cookie until /.auth/logout), or restart with --local-principal "
        "Onboarding.Operator to sign every browser request in; onboard commands sign "
        "themselves in"
    )


def submit(args: argparse.Namespace) -> int:
    try:
        body = args.file.read_bytes()
    except OSError as err:
        raise CliError(f"cannot read {args.file}: {err.strerror}") from None
    if args.via == "servicebus":
        return _submit_servicebus(args, body)
    if args.message_id or args.connection_string or args.namespace:
        raise CliError("--message-id, --connection-string and --namespace are for --via servicebus")
    api = api_base(args.api)
    url = f"{api}/onboardings" + ("?dryRun=true" if args.dry_run else "")
    reply = call("POST", url, role=REQUESTER, body=body)
    if (
        args.dry_run
        and reply.status in (200, 422)
        and isinstance(reply.body, dict)
        and reply.body.get("dryRun")
    ):
        # The plan either way; 422 (a finding fails) exits non-zero (cli/dry_run_render.py).
        readable = not args.json and "findings" in reply.body  # a team request's is JSON
        text = ("\n".join(describe_dry_run(reply.body)) if readable
                else json.dumps(reply.body, indent=2))  # fmt: skip
        print(text, file=sys.stdout if reply.status == 200 else sys.stderr)
        return 0 if reply.status == 200 else 1
    if reply.status >= 400:
        print("\n".join(describe_problem(reply.body)), file=sys.stderr)
        return 1
    run_id = reply.body["id"]
    verb = "existing run" if reply.body.get("existing") else "started run"
    print(f"{verb} {run_id}")
    if args.wait:
        return _follow(api, run_id)
    return 0


def _submit_servicebus(args: argparse.Namespace, body: bytes) -> int:
    from cli import servicebus_io

    if args.dry_run or args.wait or args.api:
        raise CliError(
            "--dry-run, --wait and --api are for --via http; follow a Service Bus "
            "request with `onboard events --follow`"
        )
    where = servicebus_io.target(args.connection_string, args.namespace)
    sent = servicebus_io.send_request(body, where, message_id=args.message_id)
    print("\n".join(servicebus_io.describe_sent(sent)))
    return 0


def events(args: argparse.Namespace) -> int:
    from cli import servicebus_io

    if args.max is not None and args.max < 1:
        raise CliError("--max wants a number of events, 1 or more")
    where = servicebus_io.target(args.connection_string, args.namespace)
    try:
        servicebus_io.receive_events(
            where,
            subscription=args.subscription,
            follow=args.follow,
            max_events=args.max,
            raw=args.json,
            wait=args.wait,
            consume=args.consume,
            out=sys.stdout,  # the stdout of now (a default argument is bound at import)
        )
    except KeyboardInterrupt:
        # With --consume the events printed so far were completed; the one being printed
        # comes back later. Peeked events were never taken.
        return 130
    return 0


def _follow(api: str, run_id: str) -> int:
    last = ""
    while True:
        reply = call("GET", f"{api}/onboardings/{run_id}", role=READER)
        if reply.status != 200:
            print("\n".join(describe_problem(reply.body)), file=sys.stderr)
            return 1
        run = reply.body
        line = progress_line(run_id, run)
        if line != last:
            print(line, flush=True)
            last = line
        if run.get("runtimeStatus") in TERMINAL:
            print("\n".join(describe_run(run)))
            return 0 if run.get("outcome") == "Succeeded" else 1
        time.sleep(1.0)


def show(args: argparse.Namespace) -> int:
    if (args.id is None) == (args.ticket is None):
        raise CliError("give a run id or a ticket id (or --ticket T): one of them")
    api = api_base(args.api)
    reply = _find_run(api, args.id, args.ticket)
    if reply.status != 200:
        print("\n".join(describe_problem(reply.body)), file=sys.stderr)
        return 1
    print(json.dumps(reply.body, indent=2) if args.json else "\n".join(describe_run(reply.body)))
    return 0


def _run_reply(api: str, run_id: str) -> Any:
    return call("GET", f"{api}/onboardings/{quote(run_id, safe='')}", role=READER)


def _find_run(api: str, given: str | None, ticket: str | None) -> Any:
    """The run named by ``given`` (a run id, else a ticket id) or by ``ticket``.

    A ticket's run is its newest in the run index (a resubmission's ``-r2`` included), else
    the run id the app derives from the ticket (docs/request-contract.md#run-ids).
    """
    if given is not None and RUN_ID.fullmatch(given):
        reply = _run_reply(api, given)
        if reply.status != 404:
            return reply
    ticket = ticket if ticket is not None else str(given)
    query = urlencode({"ticket": ticket, "top": 1})
    listed = call("GET", f"{api}/onboardings?{query}", role=READER)
    found = listed.body if listed.status == 200 and isinstance(listed.body, dict) else {}
    items = found.get("items") or []
    if items:
        return _run_reply(api, str(items[0]["id"]))
    reply = _run_reply(api, instance_id_for(ticket))
    if reply.status == 404 and isinstance(reply.body, dict):
        reply.body["detail"] = f"There is no run with id or ticket '{ticket}'."
    return reply


if __name__ == "__main__":
    sys.exit(main())
