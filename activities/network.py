"""Microsoft.Network activities: the gateway subnet's NSG and delegation, each with its undo.

Every forward step is idempotent (running it twice changes nothing the second time) and
records what was there before; every undo restores that record and treats "already gone" as
done. Subnet and NSG writes take seconds, so they are awaited here (DESIGN.md §3), bounded by
the client's short retry and polling settings.

The subnet is written whole, as ARM returned it (the raw JSON, not the SDK's model, which drops
what it does not know): PUT replaces the subnet, so every property the step does not own
(``ipAllocations``, ``sharingScope``, ``serviceGateway``, ones a later api-version adds ...) is
sent back as read, only delegations and the NSG change, and ``If-Match`` carries the ETag read;
NRP answers 412 when someone wrote the subnet in between, and the step reads it again.

Activities run at least once: a result can be lost and the step called again. What a run made
is marked so a retry still recognises it: the NSG it creates carries the run's instance tag,
the rules it adds to an existing NSG carry the run's mark in their description, and the
subnet's state before the run comes from preflight (``ConfigureSubnetInput.prior_*``), not
from whatever the subnet looks like when the (retried) step reads it.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Callable
from typing import Any, cast

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpResponse
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import NetworkSecurityGroup, SecurityRule

from activities.arm_action import arm_action, undo_action
from activities.lro import status_only
from shared.apim_models import INSTANCE_TAG, OWNER_MARK
from shared.arm_ids import SUBNET, ArmId
from shared.azure_clients import ClientFactory, clients
from shared.network_models import ConfigureSubnetInput, EnsureNsgInput, NsgRecord, SubnetRecord
from shared.nsg_rules import missing_rules, required_rules
from shared.step_errors import StepError


def ensure_nsg(inp: EnsureNsgInput, factory: ClientFactory | None = None) -> NsgRecord:
    """Create the NSG with the mode's rules, or add the rules an existing one lacks.

    An NSG tagged with this run's instance (``inp.tags``) is this run's: a retry after a lost
    result reports it created, so its undo deletes it. Rules this run adds to an NSG that was
    there before carry the run's mark, so a retry still lists them for the undo.
    """
    ref = ArmId.parse(inp.subnet_id, SUBNET)
    net = (factory or clients()).network(ref.subscription)
    nsg_id = str(ref.nsg(inp.nsg_name))
    instance = inp.tags.get(INSTANCE_TAG)
    mark = OWNER_MARK.format(instance=instance) if instance else None
    # What this call has made so far: the NSG once its create was sent, or the rules it added to
    # one that was there. A failure half-way carries it as the undo record (StepError.partial).
    made: list[NsgRecord] = []

    def partial() -> NsgRecord | None:
        return made[-1] if made else None

    with arm_action(f"ensure NSG {inp.nsg_name}", partial):
        location, prefixes = inp.location, inp.prefixes
        if location is None or prefixes is None:  # not handed over by preflight: read them
            subnet = net.subnets.get(ref.resource_group, ref.parent.name, ref.name)
            location = net.virtual_networks.get(ref.resource_group, ref.parent.name).location
            # Every prefix of the subnet (portal-made subnets may carry only the plural list).
            found = [*(subnet.address_prefixes or []), subnet.address_prefix]
            prefixes = [str(p) for p in dict.fromkeys(found) if p]
        wanted = required_rules(inp.mode, list(prefixes) or [""])
        try:
            existing = net.network_security_groups.get(ref.resource_group, inp.nsg_name)
        except ResourceNotFoundError:
            made.append(
                NsgRecord(nsg_id=nsg_id, created=True, added_rules=[r.name for r in wanted])
            )
            body = {
                "location": location,
                "tags": inp.tags,
                "properties": {"securityRules": [_marked(r.to_arm(), mark) for r in wanted]},
            }
            net.network_security_groups.begin_create_or_update(
                ref.resource_group, inp.nsg_name, NetworkSecurityGroup(body),
                polling=status_only(net.network_security_groups),  # its body is not needed
            ).result()  # fmt: skip
            return NsgRecord(nsg_id=nsg_id, created=True, added_rules=[r.name for r in wanted])
        present = [_rule_dict(r) for r in existing.security_rules or []]
        added = [  # added by this run before a lost result
            str(r["name"])
            for r in present
            if mark and mark in str(r["properties"].get("description") or "")
        ]
        ours = bool(instance) and (existing.tags or {}).get(INSTANCE_TAG) == instance
        for rule in missing_rules(wanted, present):
            made.append(NsgRecord(nsg_id=nsg_id, created=ours, added_rules=[*added, rule.name]))
            net.security_rules.begin_create_or_update(
                ref.resource_group,
                inp.nsg_name,
                rule.name,
                SecurityRule(_marked(rule.to_arm(), mark)),
                polling=status_only(net.security_rules),
            ).result()
            if rule.name not in added:
                added.append(rule.name)
        if ours:
            # Created by this run before a lost result: still this run's to delete.
            names = [r.name for r in wanted]
            return NsgRecord(nsg_id=nsg_id, created=True,
                             added_rules=names + [a for a in added if a not in names])  # fmt: skip
        return NsgRecord(nsg_id=nsg_id, created=False, added_rules=added)


def undo_nsg(record: NsgRecord, factory: ClientFactory | None = None) -> None:
    """Delete the NSG if this run created it, else remove only the rules this run added."""
    nsg_id = ArmId.parse(record.nsg_id)
    rg, name = nsg_id.resource_group, nsg_id.name
    net = (factory or clients()).network(nsg_id.subscription)
    with undo_action(f"undo NSG {name}"):
        if record.created:
            net.network_security_groups.begin_delete(rg, name).result()
            return
        for rule in record.added_rules:
            # One rule already gone must not end the block before the others are removed.
            with contextlib.suppress(ResourceNotFoundError):
                net.security_rules.begin_delete(rg, name, rule).result()


def configure_subnet(
    inp: ConfigureSubnetInput, factory: ClientFactory | None = None
) -> SubnetRecord:
    """Delegate the subnet and attach the NSG in one read-modify-write PUT; record prior state.

    The prior state is the one before the run when the input carries it (preflight read it);
    only without it is the subnet's state at this moment taken as prior. The record says
    ``changed`` when the run changed the subnet, in this call or in an earlier one whose result
    was lost, so the undo restores the state before the run either way.
    """
    ref = ArmId.parse(inp.subnet_id, SUBNET)
    net = (factory or clients()).network(ref.subscription)
    action = f"configure subnet {ref.name}"
    records: list[SubnetRecord] = []

    def edit(props: dict[str, Any]) -> bool:
        now_delegations, now_nsg = _services(props), _nsg_id(props)
        wanted_nsg = inp.nsg_id if inp.nsg_id is not None else now_nsg
        if not records:  # the first read: the state before the step, unless preflight gave it
            if inp.prior_delegations is not None:
                prior_delegations, prior_nsg = list(inp.prior_delegations), inp.prior_nsg_id
            else:
                prior_delegations, prior_nsg = now_delegations, now_nsg
            records.append(
                SubnetRecord(
                    subnet_id=str(ref),
                    changed=not _is(prior_delegations, prior_nsg, inp.delegation, wanted_nsg),
                    prior_delegations=prior_delegations,
                    prior_nsg_id=prior_nsg,
                )
            )
        if _is(now_delegations, now_nsg, inp.delegation, wanted_nsg):
            return False  # already as wanted: a re-run changes nothing
        if [d.lower() for d in now_delegations] != [inp.delegation.lower()]:
            props["delegations"] = [
                {"name": "apim-workspace-gateway", "properties": {"serviceName": inp.delegation}}
            ]
        if wanted_nsg and (now_nsg or "").lower() != wanted_nsg.lower():
            props["networkSecurityGroup"] = {"id": wanted_nsg}
        return True

    def partial() -> SubnetRecord | None:
        # Once the first read recorded the prior state, a failed write (or its failed poll)
        # may have changed the subnet: restoring the prior state is then the undo (a no-op
        # when nothing changed).
        return records[0] if records and records[0].changed else None

    with arm_action(action, partial):
        _rewrite_subnet(net, ref, action, edit, inp.read)
    return records[0]


def _is(delegations: list[str], nsg: str | None, delegation: str, wanted_nsg: str | None) -> bool:
    """Whether a subnet with ``delegations`` and ``nsg`` is as the step wants it."""
    return [d.lower() for d in delegations] == [delegation.lower()] and (
        (nsg or "").lower() == (wanted_nsg or "").lower()
    )


def restore_subnet(record: SubnetRecord, factory: ClientFactory | None = None) -> None:
    """Put the subnet's delegations and NSG back as they were before the step."""
    if not record.changed:
        return
    ref = ArmId.parse(record.subnet_id, SUBNET)
    net = (factory or clients()).network(ref.subscription)
    action = f"restore subnet {ref.name}"

    def edit(props: dict[str, Any]) -> bool:
        if _is_exactly(props, record.prior_delegations, record.prior_nsg_id):
            return False  # already restored (a retried undo)
        props["delegations"] = _restored(props.get("delegations") or [], record.prior_delegations)
        if record.prior_nsg_id:
            if (_nsg_id(props) or "").lower() != record.prior_nsg_id.lower():
                props["networkSecurityGroup"] = {"id": record.prior_nsg_id}
        else:
            props.pop("networkSecurityGroup", None)
        return True

    try:
        with undo_action(action):
            _rewrite_subnet(net, ref, action, edit)
    except StepError as error:
        if error.code == "SubnetDelegationsCannotChangeWhenSubnetUsedByResource":
            # During undo the user is normally our gateway, whose delete is still running:
            # wait for it rather than leave the subnet delegated.
            error.kind, error.retry_after = "conflict", 60.0
        raise


# How often a subnet write reads again after a 412 (someone wrote it in between) before the
# step gives up for now (a conflict: the orchestrator retries later).
SUBNET_WRITE_ATTEMPTS = 3


def _rewrite_subnet(
    net: NetworkManagementClient,
    ref: ArmId,
    action: str,
    edit: Callable[[dict[str, Any]], bool],
    earlier: dict[str, Any] | None = None,
) -> None:
    """Read-modify-write of the whole subnet, guarded by its ETag.

    ``edit`` changes the subnet's properties in place, as ARM returned them, and says whether
    there is anything to write. The body PUT back is the resource as read with that change
    only; ``If-Match`` names the ETag read, so NRP refuses (412) a write over a change made in
    between. Then the subnet is read and edited again, up to :data:`SUBNET_WRITE_ATTEMPTS`.

    ``earlier`` is the subnet as read before (preflight's VNet GET, with its ETag): the first
    attempt writes from it instead of reading (issue 17, item 4). It is trusted only for a
    write, which If-Match guards; when it says there is nothing to write, or carries no ETag,
    the subnet is read afresh, so a stale copy never decides anything.
    """
    rg, vnet, name = ref.resource_group, ref.parent.name, ref.name
    for _ in range(SUBNET_WRITE_ATTEMPTS):
        body, etag = _from_earlier(earlier, edit)
        earlier = None  # once: a 412 means it is stale
        if body is None:
            response = cast(HttpResponse, net.subnets.get(rg, vnet, name, cls=_raw_response))
            body = response.json()
            etag = response.headers.get("ETag") or body.get("etag")
            if not edit(body.setdefault("properties", {})):
                return
        raw = io.BytesIO(json.dumps(body).encode("utf-8"))  # as read: no SDK model in between
        try:
            net.subnets.begin_create_or_update(
                rg, vnet, name, raw, headers={"If-Match": etag} if etag else {},
                polling=status_only(net.subnets),  # ends on the operation: no GET after it
            ).result()  # fmt: skip
            return
        except HttpResponseError as exc:
            if exc.status_code != 412:
                raise
    raise StepError(
        "conflict",
        "PreconditionFailed",
        f"{action}: the subnet changed between each of {SUBNET_WRITE_ATTEMPTS} reads and "
        "writes (412 PreconditionFailed); retrying later.",
    )


def _from_earlier(
    earlier: dict[str, Any] | None, edit: Callable[[dict[str, Any]], bool]
) -> tuple[dict[str, Any] | None, str | None]:
    """The body to PUT and its ETag from an earlier read, or (None, None): read afresh."""
    if not earlier or not earlier.get("etag"):
        return None, None
    body = copy.deepcopy(earlier)
    if not edit(body.setdefault("properties", {})):
        return None, None  # "nothing to do" is decided on a fresh read only
    return body, str(earlier["etag"])


def _raw_response(pipeline_response: Any, _deserialized: Any, _headers: Any) -> HttpResponse:
    """``cls=`` hook of an SDK call: the HTTP response itself (raw JSON body, headers)."""
    return cast(HttpResponse, pipeline_response.http_response)


def _services(props: dict[str, Any]) -> list[str]:
    return [
        str((d.get("properties") or {}).get("serviceName", ""))
        for d in props.get("delegations") or []
    ]


def _nsg_id(props: dict[str, Any]) -> str | None:
    found = (props.get("networkSecurityGroup") or {}).get("id")
    return str(found) if found else None


def _is_exactly(props: dict[str, Any], services: list[str], nsg: str | None) -> bool:
    return [s.lower() for s in _services(props)] == [s.lower() for s in services] and (
        (_nsg_id(props) or "").lower() == (nsg or "").lower()
    )


def _restored(current: list[dict[str, Any]], services: list[str]) -> list[dict[str, Any]]:
    """Delegations to ``services``, keeping the entry (its name) of each one still there."""
    by_service: dict[str, dict[str, Any] | None] = {}
    for entry in current:
        service = str((entry.get("properties") or {}).get("serviceName", "")).lower()
        by_service.setdefault(service, entry)
    return [
        by_service.pop(service.lower(), None)
        or {"name": f"delegation{i}", "properties": {"serviceName": service}}
        for i, service in enumerate(services)
    ]


def _marked(rule: dict[str, Any], mark: str | None) -> dict[str, Any]:
    """The rule in wire form, its description carrying the run's mark (when there is a run)."""
    if mark:  # at most 23 + 94 characters (instance ids <= 81): within NRP's 140
        rule["properties"]["description"] = f"APIM workspace gateway {mark}"
    return rule


def _rule_dict(rule: Any) -> dict[str, Any]:
    raw = rule.as_dict() if hasattr(rule, "as_dict") else dict(rule)
    return {"name": raw.get("name"), "properties": raw.get("properties", raw)}
