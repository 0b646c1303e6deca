"""APIs and products inside an APIM workspace (issue 15): enough to list what a workspace holds.

PUT/GET/list/DELETE of ``service/{svc}/workspaces/{ws}/apis/{api}`` and ``.../products/{p}``
(api-version 2024-05-01, SPEC-APIM ``apimworkspaces.json`` workspace APIs and products). An
API needs ``displayName`` and ``path``, a product ``displayName``, and the workspace must exist
(404 otherwise). What a workspace DELETE does to its content is not documented: here the
content goes with the workspace (docs: Differences from real Azure), so an offboarding that
deletes a workspace it was forced to delete leaves nothing of it behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator import errors
from simulator.backends.base import Backend, check_if_match, new_guid
from simulator.ids import ResourceId

KINDS = {"apis": "Microsoft.ApiManagement/service/workspaces/apis",
         "products": "Microsoft.ApiManagement/service/workspaces/products"}  # fmt: skip
REQUIRED = {"apis": ("displayName", "path"), "products": ("displayName",)}


def key(resource_id: str) -> str:
    return resource_id.lower()


@dataclass
class _Item:
    rid: ResourceId
    kind: str
    properties: dict[str, Any] = field(default_factory=dict)
    etag: str = field(default_factory=new_guid)


class ApimContentBackend(Backend):
    def reset(self) -> None:
        self.items: dict[str, _Item] = {}
        # Item keys by workspace key: a listing reads its workspace's items and the sweep for
        # deleted workspaces looks at workspaces holding content, not at every item (issue 17).
        self.by_workspace: dict[str, set[str]] = {}

    def _workspace(self, rid: ResourceId) -> ResourceId:
        workspace = rid.parent()
        self.sim.apim.get_workspace(workspace)  # 404 when the workspace (or service) is not there
        return workspace

    def put(self, rid: ResourceId, kind: str, body: dict[str, Any],
            headers: dict[str, str]) -> tuple[dict[str, Any], bool]:  # fmt: skip
        self._workspace(rid)
        existing = self.items.get(key(str(rid)))
        check_if_match(headers, existing.etag if existing else None, f"{kind} {rid.name}")
        props = dict(body.get("properties") or {})
        for name in REQUIRED[kind]:
            if not isinstance(props.get(name), str) or not str(props[name]).strip():
                raise errors.apim_validation(f"'{name}' is required.", name)
        if kind == "products":
            props.setdefault("state", "notPublished")
        item = _Item(rid, kind, props)
        self.items[key(str(rid))] = item
        self.by_workspace.setdefault(key(str(rid.parent())), set()).add(key(str(rid)))
        return self.item_json(item), existing is None

    def get(self, rid: ResourceId, kind: str) -> dict[str, Any]:
        self._workspace(rid)
        item = self.items.get(key(str(rid)))
        if item is None:
            raise errors.resource_not_found(KINDS[kind], rid.name, rid.resource_group)
        return self.item_json(item)

    def list_items(self, workspace: ResourceId, kind: str) -> list[dict[str, Any]]:
        self.sim.apim.get_workspace(workspace)
        prefix = key(str(workspace)) + f"/{kind}/"
        held = sorted(self.by_workspace.get(key(str(workspace)), ()))
        return [self.item_json(self.items[k]) for k in held if k.startswith(prefix)]

    def delete(self, rid: ResourceId, kind: str) -> bool:
        self._workspace(rid)
        held = self.by_workspace.get(key(str(rid.parent())), set())
        held.discard(key(str(rid)))
        if not held:
            self.by_workspace.pop(key(str(rid.parent())), None)
        return self.items.pop(key(str(rid)), None) is not None

    def tick(self) -> None:
        # The content of a deleted workspace goes with it (see the module docstring).
        workspaces = self.sim.apim.workspaces
        for gone in [w for w in self.by_workspace if w not in workspaces]:
            for k in self.by_workspace.pop(gone):
                self.items.pop(k, None)

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.item_json(i) for _, i in sorted(self.items.items())]

    def exists(self, rid: ResourceId) -> bool | None:
        if len(rid.types) != 3 or rid.types[2] not in KINDS:
            return None
        return key(str(rid)) in self.items

    def item_json(self, item: _Item) -> dict[str, Any]:
        return {"id": str(item.rid), "name": item.rid.name, "type": KINDS[item.kind],
                "properties": dict(item.properties)}  # fmt: skip
