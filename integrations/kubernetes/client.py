"""A read-only view of the Kubernetes API, built on the official client.

`ReadOnlyKube` exposes only get/list/read calls (no create, patch, delete, exec, and nothing on
Secrets), so collection is read-only by construction, whatever RBAC the credentials carry. Every
call has a request timeout and returns the API's documented JSON (camelCase dicts).
"""

from __future__ import annotations

from typing import Any

from integrations.kubernetes.config import KubeCluster

JsonObj = dict[str, Any]


def api_client(cluster: KubeCluster) -> Any:
    """An official `ApiClient` for one cluster (kubeconfig + context, in-cluster, or URL + token)."""
    from kubernetes import client, config  # heavy import: only where Kubernetes is used

    configuration = client.Configuration()
    if cluster.host is not None:
        configuration.host = cluster.host.rstrip("/")
        if cluster.token is not None:
            configuration.api_key = {"authorization": cluster.token.get_secret_value()}
            configuration.api_key_prefix = {"authorization": "Bearer"}
        configuration.verify_ssl = cluster.verify_tls
        configuration.ssl_ca_cert = cluster.ca_file
    elif cluster.in_cluster:
        config.load_incluster_config(client_configuration=configuration)
    else:
        config.load_kube_config(config_file=cluster.kubeconfig, context=cluster.context,
                                client_configuration=configuration, persist_config=False)
    # urllib3 retries would multiply each request's timeout; a slow source must fail within it
    configuration.retries = 0
    return client.ApiClient(configuration)


class ReadOnlyKube:
    """Get/list/read calls only. Names say what they read; none can change the cluster."""

    def __init__(self, api: Any, timeout_s: float) -> None:
        from kubernetes import client

        self._api = api
        self._core = client.CoreV1Api(api)
        self._apps = client.AppsV1Api(api)
        self._batch = client.BatchV1Api(api)
        self._timeout = timeout_s

    def _json(self, obj: Any) -> JsonObj:
        data = self._api.sanitize_for_serialization(obj)
        return data if isinstance(data, dict) else {}

    def read_pod(self, namespace: str, name: str) -> JsonObj:
        return self._json(self._core.read_namespaced_pod(name, namespace, _request_timeout=self._timeout))

    def list_pods(self, namespace: str, label_selector: str, limit: int) -> list[JsonObj]:
        found = self._core.list_namespaced_pod(namespace, label_selector=label_selector, limit=limit,
                                               _request_timeout=self._timeout)
        return list(self._json(found).get("items") or [])

    def read_pod_log(self, namespace: str, name: str, container: str, *, previous: bool, tail_lines: int,
                     limit_bytes: int) -> str:
        text = self._core.read_namespaced_pod_log(name, namespace, container=container, previous=previous,
                                                  tail_lines=tail_lines, limit_bytes=limit_bytes,
                                                  _request_timeout=self._timeout)
        return text if isinstance(text, str) else str(text)

    def list_events(self, namespace: str | None, kind: str, name: str, limit: int) -> list[JsonObj]:
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        if namespace is None:
            found = self._core.list_event_for_all_namespaces(field_selector=selector, limit=limit,
                                                             _request_timeout=self._timeout)
        else:
            found = self._core.list_namespaced_event(namespace, field_selector=selector, limit=limit,
                                                     _request_timeout=self._timeout)
        return list(self._json(found).get("items") or [])

    def read_pvc(self, namespace: str, name: str) -> JsonObj:
        return self._json(self._core.read_namespaced_persistent_volume_claim(name, namespace,
                                                                             _request_timeout=self._timeout))

    def read_node(self, name: str) -> JsonObj:
        return self._json(self._core.read_node(name, _request_timeout=self._timeout))

    def read_workload(self, kind: str, namespace: str, name: str) -> JsonObj:
        """ReplicaSet, Deployment, StatefulSet, DaemonSet or Job."""
        readers = {
            "ReplicaSet": self._apps.read_namespaced_replica_set,
            "Deployment": self._apps.read_namespaced_deployment,
            "StatefulSet": self._apps.read_namespaced_stateful_set,
            "DaemonSet": self._apps.read_namespaced_daemon_set,
            "Job": self._batch.read_namespaced_job,
        }
        reader = readers.get(kind)
        if reader is None:
            raise LookupError(f"cannot read workload kind {kind}")
        return self._json(reader(name, namespace, _request_timeout=self._timeout))

    def close(self) -> None:
        self._api.close()
