"""The read-only kubectl steps and the documented fixes findings suggest, filled with the objects' names.

A namespace that is not known (a `kubectl get pods` table pasted without `-n`) is left out rather than
guessed: the reader's kubectl then uses the namespace of the context the paste came from.
"""

from __future__ import annotations

from core.models import DocRef, Fix, Step

K8S_DOCS = "https://kubernetes.io/docs"


def ns(namespace: str | None) -> str:
    """`-n NAMESPACE ` or nothing."""
    return f"-n {namespace} " if namespace else ""


def describe(kind: str, namespace: str | None, name: str, why: str = "state, events, limits") -> Step:
    return Step(command=f"kubectl describe {kind} {ns(namespace)}{name}", why=why)


def events(namespace: str | None, name: str) -> Step:
    return Step(command=f"kubectl get events {ns(namespace)}--field-selector involvedObject.name={name} "
                        "--sort-by=.lastTimestamp", why="what the cluster said about it, in order")


def logs(namespace: str | None, pod: str, container: str, previous: bool) -> Step:
    flag = " --previous" if previous else ""
    where = f" -c {container}" if container else ""
    return Step(command=f"kubectl logs {ns(namespace)}{pod}{where}{flag}",
                why="the last output of the crashed container" if previous else "current output")


def get(what: str, namespace: str | None, why: str, extra: str = "") -> Step:
    return Step(command=f"kubectl get {what} {ns(namespace)}{extra}".rstrip(), why=why)


def doc(title: str, path: str) -> DocRef:
    return DocRef(title=title, url=f"{K8S_DOCS}/{path}")


def runbook(code: str) -> DocRef:
    """The bundled runbook section for a finding code (knowledge/runbooks: one section per code)."""
    return DocRef(title=f"opsbot runbook: {code}")


def rollback(namespace: str | None, target: str, why: str) -> Fix:
    """Undo the last rollout of a Deployment/StatefulSet/DaemonSet: the usual fix when a change broke it."""
    return Fix(command=f"kubectl rollout undo {ns(namespace)}{target}", why=why,
               caution="replaces the pods with the previous revision's; check `kubectl rollout history` first "
                       "that the previous revision was good")
