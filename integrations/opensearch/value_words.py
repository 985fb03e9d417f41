"""Words that are data values of a field the mapping only names: outcomes, Kubernetes object kinds
and event reasons, payment gateways.

"declined payments" on a mapping with a keyword `outcome` (or `result`, `status`, `state`) means
`outcome: declined`; "nodes" on a Kubernetes event mapping (a keyword `X.kind` beside `X.name`)
means `involvedObject.kind: Node`, and the name after it goes to `involvedObject.name`. The values
come from documented vocabularies (Kubernetes kinds and event reasons, common outcome words),
never from a case set; a field must exist for them to be used at all.
"""

from __future__ import annotations

import re

from integrations.opensearch.mapping import EXACT
from integrations.opensearch.vocabulary import FieldInfo, Vocabulary

# Field-name parts of a field holding an outcome word (a keyword, not an HTTP status number).
OUTCOME_PARTS = ("outcome", "result", "status", "state", "resolution", "verdict", "disposition")
# English forms -> the value (data spells the past participle: failed, declined, cancelled).
OUTCOMES_EN = {
    **dict.fromkeys(("failed", "fail", "fails", "failing", "failure", "failures"), "failed"),
    **dict.fromkeys(("declined", "decline", "declines"), "declined"),
    **dict.fromkeys(("denied", "deny", "denies"), "denied"),
    **dict.fromkeys(("rejected", "rejects", "rejections", "rejection"), "rejected"),
    **dict.fromkeys(("approved", "approvals", "approval"), "approved"),
    **dict.fromkeys(("succeeded", "succeeds"), "succeeded"),
    **dict.fromkeys(("success", "successful", "successes", "successfully"), "success"),
    **dict.fromkeys(("timeout", "timeouts", "timedout"), "timeout"),
    **dict.fromkeys(("cancelled", "canceled", "cancellations"), "cancelled"),
    **dict.fromkeys(("nacked", "nack", "nacks"), "nacked"),  # message queues: acked / nacked
    **dict.fromkeys(("acked", "ack", "acks"), "acked"),
    **dict.fromkeys(("locked", "refunded", "expired", "skipped", "pending", "aborted", "dead"), ""),
}
# Russian stems (prefixes) -> the value.
OUTCOMES_RU = {"отказ": "declined", "отклон": "declined", "одобрен": "approved", "успешн": "success",
               "неудачн": "failed", "неуспешн": "failed", "упавш": "failed", "упал": "failed", "пада": "failed",
               "провал": "failed", "зафейл": "failed", "фейл": "failed", "таймаут": "timeout", "отмен": "cancelled",
               "заблокир": "locked", "запрещ": "denied", "просроч": "expired", "пропущен": "skipped",
               "нэк": "nacked", "накнут": "nacked"}

# Kubernetes object kinds as people name them (English singular/plural; Russian stems with endings).
OBJECT_KINDS_EN = {"pod": "Pod", "node": "Node", "deployment": "Deployment", "deploy": "Deployment",
                   "replicaset": "ReplicaSet", "statefulset": "StatefulSet", "daemonset": "DaemonSet",
                   "cronjob": "CronJob", "job": "Job", "pvc": "PersistentVolumeClaim",
                   "persistentvolumeclaim": "PersistentVolumeClaim", "ingress": "Ingress",
                   "hpa": "HorizontalPodAutoscaler", "configmap": "ConfigMap", "service": "Service",
                   "secret": "Secret"}
OBJECT_KINDS_RU = (
    (re.compile(r"^под(?:а|у|ом|е|ы|ов|ам|ами|ах)$"), "Pod"),
    (re.compile(r"^нод(?:а|ы|у|е|ой|ам|ами|ах)?$"), "Node"),
    (re.compile(r"^(?:узел|узл(?:а|у|е|ом|ы|ов|ам|ами|ах))$"), "Node"),
    (re.compile(r"^деплой(?:мент\w*)?$"), "Deployment"),
    (re.compile(r"^секрет(?:а|у|ом|е|ы|ов|ам|ами|ах)?$"), "Secret"),
    (re.compile(r"^(?:стейтфулсет|демонсет|джоб|кронджоб)\w*$"), ""),
)
_RU_KIND_NAMES = {"стейтфулсет": "StatefulSet", "демонсет": "DaemonSet", "джоб": "Job", "кронджоб": "CronJob"}

# Event reasons the kubelet, scheduler and controllers document (kubernetes/pkg/kubelet/events).
KUBE_REASONS = {r.lower(): r for r in (
    "BackOff", "CrashLoopBackOff", "OOMKilling", "OOMKilled", "FailedScheduling", "Unhealthy", "Killing", "Evicted",
    "Pulled", "Pulling", "Created", "Started", "FailedMount", "FailedAttachVolume", "FailedCreatePodSandBox",
    "NodeNotReady", "NodeReady", "Rebooted", "Scheduled", "SuccessfulCreate", "SuccessfulDelete", "ScalingReplicaSet",
    "FailedCreate", "ErrImagePull", "ImagePullBackOff", "Preempting", "Evicting", "EvictionThresholdMet",
    "NodeHasDiskPressure", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "FailedSync", "ProbeWarning",
    "FailedKillPod", "NetworkNotReady", "Completed", "SawCompletedJob", "FailedPreStopHook", "FailedPostStartHook",
    "InvalidDiskCapacity", "ContainerGCFailed", "ImageGCFailed", "FailedNodeAllocatableEnforcement")}
# What people call the documented reasons (prefixes of the word without hyphens).
REASON_WORDS = {"oom": "OOMKilling", "evict": "Evicted", "эвикт": "Evicted", "выселен": "Evicted",
                "crashloop": "BackOff", "крэшлуп": "BackOff", "крашлуп": "BackOff", "notready": "NodeNotReady",
                "unschedulable": "FailedScheduling"}
# Kubernetes API verbs (audit logs' `verb`) by the words people use for the action.
VERB_WORDS = {"delet": ["delete"], "remov": ["delete"], "удал": ["delete"], "creat": ["create"], "созда": ["create"],
              "patch": ["patch"], "патч": ["patch"], "updat": ["update"], "обнов": ["update"],
              "read": ["get", "list", "watch"], "чтени": ["get", "list", "watch"], "чита": ["get", "list", "watch"]}
# Payment gateways by their public names (a name before "payments" on a gateway field).
GATEWAYS = ("stripe", "adyen", "yookassa", "paypal", "braintree", "worldpay", "klarna", "cloudpayments", "tinkoff",
            "square", "razorpay", "mollie", "checkoutcom", "payu", "robokassa", "sberpay")


# Kinds of clients named by what their user agent contains ("без ботов": user agent not *bot*).
AGENT_WORDS = {"bot": "bot", "bots": "bot", "бот": "bot", "боты": "bot", "ботов": "bot", "ботами": "bot",
               "crawler": "crawler", "crawlers": "crawler", "краулер": "crawler", "краулеры": "crawler",
               "краулеров": "crawler", "spider": "spider", "spiders": "spider", "паук": "spider", "пауков": "spider"}


def agent_word(word: str) -> str | None:
    """The user-agent substring a word for a kind of client stands for, or None."""
    return AGENT_WORDS.get(word.lower())


def outcome_field(vocab: Vocabulary) -> FieldInfo | None:
    """The keyword field that holds outcome words (`outcome`, `result`, `status` of a job), if one."""
    found = [f for f in vocab.fields.values() if f.type in EXACT and f.parts and f.parts[-1] in OUTCOME_PARTS
             and not any(p in ("http", "code", "response") for p in f.parts)]
    return min(found, key=lambda f: (len(f.parts), f.name)) if found else None


def outcome_of(word: str) -> str | None:
    """The outcome a word says ("declines" -> declined, "упавшие" -> failed), or None."""
    low = word.lower().replace("ё", "е")
    if low in OUTCOMES_EN:
        return OUTCOMES_EN[low] or low
    return next((value for prefix, value in OUTCOMES_RU.items() if low.startswith(prefix)), None)


def weak_outcome(word: str) -> bool:
    """A verb ("fails", "падает") that says an outcome only when nothing more exact is named."""
    low = word.lower()
    return low in ("fail", "fails", "failing") or low.startswith("пада")


def object_fields(vocab: Vocabulary) -> tuple[FieldInfo, FieldInfo | None] | None:
    """`involvedObject.kind` and its sibling `involvedObject.name`, when the index has an object kind."""
    for info in vocab.fields.values():
        if info.type in EXACT and "." in info.name and info.name.endswith(".kind"):
            parent = info.name[: -len(".kind")]
            return info, vocab.fields.get(f"{parent}.name")
    return None


def object_kind_of(word: str) -> str | None:
    """The Kubernetes kind a word names ("nodes" -> Node, "подов" -> Pod), or None."""
    low = word.lower().replace("ё", "е")
    singular = low[:-1] if low.endswith("s") and low[:-1] in OBJECT_KINDS_EN else low
    if singular in OBJECT_KINDS_EN:
        return OBJECT_KINDS_EN[singular]
    for pattern, kind in OBJECT_KINDS_RU:
        if pattern.match(low):
            return kind or next(name for prefix, name in _RU_KIND_NAMES.items() if low.startswith(prefix))
    return None


def reason_of(word: str) -> str | None:
    """A documented event reason; a plain English one ("Evicted", "Killing") only when capitalised."""
    reason = KUBE_REASONS.get(word.lower())
    if reason is None:  # "OOM-киллы", "evictions", "крэшлупы", "NotReady"
        low = word.lower().replace("-", "")
        return next((name for prefix, name in REASON_WORDS.items() if low.startswith(prefix)), None)
    if word == reason or sum(ch.isupper() for ch in reason) >= 2:
        return reason
    return None


def gateway_of(word: str) -> str | None:
    low = word.lower().replace(".", "")
    return low if low in GATEWAYS else None


def verb_of(word: str) -> list[str] | None:
    """The Kubernetes API verbs an action word names ("deleted", "удаления" -> delete; "reads" -> get/list/watch)."""
    low = word.lower()
    return next((verbs for prefix, verbs in VERB_WORDS.items() if low.startswith(prefix)), None)


def resource_of(word: str) -> str | None:
    """The audit log's resource (plural, lower case) an object word names ("подов" -> pods)."""
    kind = object_kind_of(word)
    if not kind:
        return None
    low = kind.lower()
    return low + ("es" if low.endswith("s") else "s")


def event_type_field(vocab: Vocabulary) -> FieldInfo | None:
    """An event layout's `type` (Normal | Warning): a keyword `type` beside a `reason` (`type`,
    `kubernetes.event.type`), which "warnings" and "non-normal" mean where there is no level field."""
    for info in vocab.fields.values():
        parent = info.name.rpartition(".")[0]
        if info.type in EXACT and info.parts[-1:] == ["type"] and f"{parent}.reason".lstrip(".") in vocab.fields:
            return info
    return None
