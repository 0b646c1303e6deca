"""The one place that builds Azure SDK clients, configured by app settings.

In Azure the app reaches ARM at management.azure.com with ``DefaultAzureCredential`` (the
Function App's user-assigned managed identity, named by ``AZURE_CLIENT_ID``). Locally the same
code reaches the simulator: ``ARM_ENDPOINT`` is its HTTPS URL, ``ARM_CA_BUNDLE`` its ca.pem and
``ARM_CREDENTIAL=static`` a fixed bearer token (refused for the real endpoint). SDK retries are
kept short so an activity never sits for minutes inside azure-core: the orchestrator retries
on durable timers instead (DESIGN.md §3).

Per call, azure-core retries 408/429/5xx answers and dropped connections ``ARM_RETRY_TOTAL``
times (default 3), backing off at most :data:`INLINE_BACKOFF_MAX_S` and honouring a
``Retry-After`` of up to :data:`INLINE_RETRY_AFTER_MAX_S`; a longer ``Retry-After`` is not slept
inside the activity: the call fails as ``throttled`` with it, and the orchestrator waits it out
on a durable timer (the retry budget arithmetic is in docs/operators.md).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

PUBLIC_ARM = "https://management.azure.com"
_T = TypeVar("_T")
# Longest wait an activity takes inside azure-core before retrying one call (issue 18).
INLINE_RETRY_AFTER_MAX_S = 30.0
INLINE_BACKOFF_MAX_S = 10.0


class BoundedRetryPolicy(RetryPolicy):
    """azure-core's retry, except that a ``Retry-After`` over :data:`INLINE_RETRY_AFTER_MAX_S`
    ends the retries at once: the classified ``throttled`` error carries it to the orchestrator,
    whose durable timer honours it without holding the activity."""

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        if not super().is_retry(settings, response):
            return False
        retry_after = self.get_retry_after(response)
        return retry_after is None or retry_after <= INLINE_RETRY_AFTER_MAX_S


class SettingsError(ValueError):
    """An app setting is missing or wrong; the message names the setting and the fix."""


@dataclass(frozen=True)
class ArmSettings:
    """How to reach ARM. Built from app settings (environment variables) by :meth:`from_env`."""

    endpoint: str = PUBLIC_ARM
    ca_bundle: str | None = None
    credential: str = "default"  # "default" (DefaultAzureCredential) or "static"
    # With "static": the object id the token names, so the simulator holds the app to the
    # grants infra/ makes for its identity (simulator/access.py); None: an opaque token.
    static_principal_id: str | None = None
    managed_identity_client_id: str | None = None
    retry_total: int = 3
    polling_interval: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ArmSettings:
        env = os.environ if env is None else env
        endpoint = env.get("ARM_ENDPOINT", PUBLIC_ARM).rstrip("/")
        if not endpoint.startswith("https://"):
            raise SettingsError(
                f"ARM_ENDPOINT must be an https:// URL (got '{endpoint}'); the Azure SDK "
                "refuses bearer tokens over plain HTTP."
            )
        credential = env.get("ARM_CREDENTIAL", "default").lower()
        if credential not in {"default", "static"}:
            raise SettingsError(
                f"ARM_CREDENTIAL must be 'default' or 'static' (got '{credential}')."
            )
        if credential == "static" and endpoint == PUBLIC_ARM:
            raise SettingsError(
                "ARM_CREDENTIAL=static is only for a local simulator; unset it (or set "
                "'default') to use a managed identity against Azure."
            )
        static_principal = env.get("ARM_STATIC_PRINCIPAL_ID") or None
        if static_principal is not None and credential != "static":
            raise SettingsError("ARM_STATIC_PRINCIPAL_ID is only read with ARM_CREDENTIAL=static.")
        ca_bundle = env.get("ARM_CA_BUNDLE") or None
        if ca_bundle is not None and not os.path.isfile(ca_bundle):
            raise SettingsError(f"ARM_CA_BUNDLE names '{ca_bundle}', which is not a file.")
        return cls(
            endpoint=endpoint,
            ca_bundle=ca_bundle,
            credential=credential,
            static_principal_id=static_principal,
            managed_identity_client_id=env.get("AZURE_CLIENT_ID") or None,
            retry_total=_int(env, "ARM_RETRY_TOTAL", 3),
            polling_interval=_float(env, "ARM_POLLING_INTERVAL", 5.0),
        )

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self.endpoint,
            "retry_total": self.retry_total,
            "retry_policy": BoundedRetryPolicy(
                retry_total=self.retry_total, retry_backoff_max=INLINE_BACKOFF_MAX_S
            ),
            "polling_interval": self.polling_interval,
        }
        if self.endpoint != PUBLIC_ARM:
            # Tokens are for the public ARM audience whatever the endpoint (simulator or proxy).
            kwargs["credential_scopes"] = [f"{PUBLIC_ARM}/.default"]
        if self.ca_bundle:
            kwargs["connection_verify"] = self.ca_bundle
        return kwargs


class StaticTokenCredential:
    """A fixed bearer token for the local simulator.

    Without a principal it is opaque (``local-simulator-token``), which the simulator treats as
    its unrestricted operator. With one it is an unsigned JWT whose ``oid`` / ``appid`` claims
    name the app identity, as a managed identity's token does, so the simulator authorizes
    every call against that identity's role assignments (simulator/README.md "Authorization").
    """

    def __init__(self, principal_id: str | None = None, client_id: str | None = None) -> None:
        self.token = "local-simulator-token"  # noqa: S105 (no secret: any token passes)
        if principal_id:
            claims = {
                "oid": principal_id,
                "appid": client_id or principal_id,
                "aud": f"{PUBLIC_ARM}/",
                "idtyp": "app",
            }
            self.token = ".".join([_b64url({"alg": "none", "typ": "JWT"}), _b64url(claims), ""])

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def _b64url(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got '{raw}').") from None
    if value < 0:
        raise SettingsError(f"{name} must be >= 0 (got {value}).")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got '{raw}').") from None
    if value < 0:
        raise SettingsError(f"{name} must be >= 0 (got {value}).")
    return value


class ClientFactory:
    """Builds and caches SDK clients per (client type, subscription) for one settings value."""

    def __init__(self, settings: ArmSettings, credential: TokenCredential | None = None) -> None:
        self.settings = settings
        self._credential = credential
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def credential(self) -> TokenCredential:
        if self._credential is None:
            if self.settings.credential == "static":
                self._credential = StaticTokenCredential(
                    self.settings.static_principal_id, self.settings.managed_identity_client_id
                )
            else:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential(
                    managed_identity_client_id=self.settings.managed_identity_client_id
                )
        return self._credential

    def _get(self, kind: Callable[..., _T], subscription_id: str) -> _T:
        cache_key = (kind.__name__, subscription_id.lower())
        with self._lock:
            client = self._clients.get(cache_key)
            if client is None:
                client = kind(self.credential, subscription_id, **self.settings.client_kwargs())
                self._clients[cache_key] = client
            return client

    def network(self, subscription_id: str) -> NetworkManagementClient:
        return self._get(NetworkManagementClient, subscription_id)

    def apim(self, subscription_id: str) -> ApiManagementClient:
        return self._get(ApiManagementClient, subscription_id)

    def private_dns(self, subscription_id: str) -> PrivateDnsManagementClient:
        return self._get(PrivateDnsManagementClient, subscription_id)

    def authorization(self, subscription_id: str) -> AuthorizationManagementClient:
        return self._get(AuthorizationManagementClient, subscription_id)

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        return self._get(ResourceManagementClient, subscription_id)


SERVICEBUS_SETTING = "ServiceBusConnection"


def servicebus_client(env: Mapping[str, str] | None = None) -> Any:
    """A ServiceBusClient from the same setting the Service Bus trigger uses.

    ``ServiceBusConnection`` holds a connection string (local: the simulator's, with
    ``UseDevelopmentEmulator=true``); in Azure ``ServiceBusConnection__fullyQualifiedNamespace``
    names the namespace and the managed identity authenticates (no secret anywhere).
    """
    from azure.servicebus import ServiceBusClient

    env = os.environ if env is None else env
    conn = env.get(SERVICEBUS_SETTING)
    if conn:
        return ServiceBusClient.from_connection_string(conn, retry_total=3)
    namespace = env.get(f"{SERVICEBUS_SETTING}__fullyQualifiedNamespace")
    if namespace:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential(managed_identity_client_id=env.get("AZURE_CLIENT_ID"))
        return ServiceBusClient(namespace, credential, retry_total=3)
    raise SettingsError(
        f"Set {SERVICEBUS_SETTING} (a connection string) or "
        f"{SERVICEBUS_SETTING}__fullyQualifiedNamespace (with a managed identity)."
    )


_default: ClientFactory | None = None
_default_lock = threading.Lock()
_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> None:
    """Call ``hook`` whenever the process-wide clients are reset (it closes cached ones)."""
    _reset_hooks.append(hook)


def clients() -> ClientFactory:
    """The process-wide factory, built from the environment on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ClientFactory(ArmSettings.from_env())
        return _default


def reset_clients() -> None:
    """Forget the process-wide factory (settings changed, e.g. between tests)."""
    global _default
    with _default_lock:
        _default = None
    for hook in _reset_hooks:
        hook()
