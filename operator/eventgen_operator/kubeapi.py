"""The few Kubernetes API calls the operator makes, as dict-in, dict-out operations.

`KubeApi` is the boundary: the reconciler and the supervisor depend on this protocol only.
`HttpKubeApi` is the real one: it rides on the official `kubernetes` library's ApiClient
(configuration loading, authentication, TLS, connection pooling) but sends and returns plain
JSON mappings, so the children built by the pure functions in `children.py` go to the server
exactly as built, without a round trip through the typed models (which would reorder and
re-serialize them). `eventgen_operator.memory_kubeapi.MemoryKubeApi` is the in-memory one
(as httpx ships MockTransport beside its real transports): reconcile logic in milliseconds.
Both raise KubeApiError with the server's status code (0: no answer at all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from eventgen_operator.errors import KubeApiError

GROUP = "ecommerce.dataplatform.io"
VERSION = "v1alpha1"
PLURAL = "eventgenerators"

MERGE_PATCH = "application/merge-patch+json"

# Seconds to wait for the API server before giving up on one request (connect, read).
REQUEST_TIMEOUT = (5.0, 30.0)


@dataclass(frozen=True)
class Kind:
    """Where a namespaced resource lives in the API: `/{prefix}/namespaces/{ns}/{plural}`."""

    prefix: str
    plural: str

    def collection(self, namespace: str) -> str:
        """The path of the resource's collection in `namespace`."""
        return f"/{self.prefix}/namespaces/{namespace}/{self.plural}"

    def item(self, namespace: str, name: str) -> str:
        """The path of one object."""
        return f"{self.collection(namespace)}/{name}"


CONFIGMAPS = Kind("api/v1", "configmaps")
DEPLOYMENTS = Kind("apis/apps/v1", "deployments")
JOBS = Kind("apis/batch/v1", "jobs")
PODS = Kind("api/v1", "pods")
EVENTGENERATORS = Kind(f"apis/{GROUP}/{VERSION}", PLURAL)


def _one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:300]


def load_api_client() -> client.ApiClient:
    """An ApiClient from the in-cluster ServiceAccount, else from KUBECONFIG / ~/.kube/config."""
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    # One quiet retry covers a pooled connection the server closed; more would only delay
    # the supervisor's own handling of an outage (and urllib3 logs each one).
    configuration.retries = 1
    return client.ApiClient(configuration)


class KubeApi(Protocol):
    """What the reconciler and the supervisor ask of the Kubernetes API.

    Every method raises KubeApiError when the server answers with an error (or not at all).
    """

    def ping(self) -> None:
        """Raise KubeApiError unless the server answers."""

    def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""

    def list(self, kind: Kind, namespace: str, selector: str) -> list[dict[str, Any]]:
        """The objects in `namespace` whose labels match `selector` (`key=value,...`)."""

    def create(self, kind: Kind, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create `body` and return it as stored; KubeApiError(409) when the name is taken."""

    def merge_patch(
        self, kind: Kind, namespace: str, name: str, patch: dict[str, Any], subresource: str = ""
    ) -> dict[str, Any]:
        """JSON merge patch (RFC 7386) of the object or its `subresource` (`status`);
        KubeApiError(404) when it does not exist."""

    def delete(self, kind: Kind, namespace: str, name: str) -> None:
        """Delete (dependents are garbage-collected); a missing object counts as deleted."""


class HttpKubeApi:
    """Get, create, merge-patch and delete namespaced objects as JSON mappings, over HTTP.

    Thread-safe: the operator's synchronous handlers call it from kopf's worker threads.
    """

    def __init__(self, api_client: client.ApiClient) -> None:
        self._client = api_client

    def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        query: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        serialized = self._client.param_serialize(
            method,
            path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._client.call_api(*serialized, _request_timeout=REQUEST_TIMEOUT)
            data: bytes = response.read()  # type: ignore[no-untyped-call]
        except (urllib3.exceptions.HTTPError, ApiException, OSError) as error:
            # No HTTP answer at all (refused, reset, timed out, TLS): as transient as a 503,
            # and the handlers retry only KubeApiError promptly and quietly.
            raise KubeApiError(0, "Unreachable", f"{method} {path}: {_one_line(error)}") from error
        try:
            payload: Any = json.loads(data) if data else {}
        except ValueError:
            # A proxy or load balancer in the way can answer with HTML.
            raise KubeApiError(
                response.status, "BadResponse", f"not JSON: {data[:200]!r}"
            ) from None
        if not 200 <= response.status <= 299:
            raise KubeApiError(
                response.status,
                str(payload.get("reason", response.reason)),
                str(payload.get("message", data[:200])),
            )
        if not isinstance(payload, dict):
            raise KubeApiError(response.status, "BadResponse", f"not an object: {data[:200]!r}")
        return payload

    def ping(self) -> None:
        """Ask the server for its version (any authenticated client may): raises
        KubeApiError when it does not answer."""
        self._request("GET", "/version")

    def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            return self._request("GET", kind.item(namespace, name))
        except KubeApiError as error:
            if error.status == 404:
                return None
            raise

    def list(self, kind: Kind, namespace: str, selector: str) -> list[dict[str, Any]]:
        """The objects in `namespace` whose labels match `selector` (`key=value,...`)."""
        answer = self._request(
            "GET", kind.collection(namespace), query=[("labelSelector", selector)]
        )
        items: list[dict[str, Any]] = answer.get("items") or []
        return items

    def get_path(self, path: str) -> dict[str, Any] | None:
        """The object at an API path (e.g. a cluster-scoped CRD), or None when it does not exist."""
        try:
            return self._request("GET", path)
        except KubeApiError as error:
            if error.status == 404:
                return None
            raise

    def create(self, kind: Kind, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create `body`; raises KubeApiError(409) when the name is taken."""
        return self._request("POST", kind.collection(namespace), body)

    def merge_patch(
        self, kind: Kind, namespace: str, name: str, patch: dict[str, Any], subresource: str = ""
    ) -> dict[str, Any]:
        """JSON merge patch (RFC 7386): maps merge, lists are replaced whole."""
        path = kind.item(namespace, name) + (f"/{subresource}" if subresource else "")
        return self._request("PATCH", path, patch, content_type=MERGE_PATCH)

    def delete(self, kind: Kind, namespace: str, name: str) -> None:
        """Delete with background propagation (the garbage collector removes dependents).

        A missing object counts as deleted.
        """
        try:
            self._request(
                "DELETE",
                kind.item(namespace, name),
                {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
            )
        except KubeApiError as error:
            if error.status != 404:
                raise
