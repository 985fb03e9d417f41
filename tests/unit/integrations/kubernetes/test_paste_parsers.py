"""Pasted kubectl output -> the collector's snapshot: one parser per kind, on real kubectl formatting
(`tests/data/k8s/*.txt`, written by a real kubectl against the fake API) and on documented shapes
(tables default/wide/-A, old and wide events, top, ages, truncated and misaligned columns)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.kubernetes.paste import PastedOutput, parse_paste
from integrations.kubernetes.paste.columns import age_seconds, header_columns, repeat_count, split_row
from integrations.kubernetes.paste.detect import split
from tests.support.paths import TEST_DATA

NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
FIXTURES = TEST_DATA / "k8s"
SHAPES = FIXTURES / "shapes"  # documented shapes kubectl prints, written by hand (wide, -A, old layouts)


def pasted(name: str) -> PastedOutput:
    return parse_paste((FIXTURES / f"{name}.txt").read_text(), now=NOW)


def test_describe_pod_get_events_get_pods_and_previous_logs_become_one_pod() -> None:
    out = pasted("oom-crashloop")
    assert [p.kind for p in out.parts] == ["describe", "events", "pods", "logs"] and not out.unknown
    (pod,) = out.snapshot.pods
    assert (pod.namespace, pod.name, pod.phase, pod.node) == ("shop", "checkout-7d9f8b6c5-x2x4z", "Running", "node-1")
    (app,) = pod.containers
    assert (app.name, app.state, app.reason, app.restart_count) == ("app", "waiting", "CrashLoopBackOff", 5)
    assert app.last_termination is not None and (app.last_termination.reason, app.last_termination.exit_code) == (
        "OOMKilled", 137)
    assert (app.memory_limit, app.cpu_limit) == ("256Mi", "500m")
    assert [(o.kind, o.name) for o in pod.owners] == [("ReplicaSet", "checkout-7d9f8b6c5"), ("Deployment", "checkout")]
    backoff = [e for e in pod.events if e.reason == "BackOff"]
    assert backoff[0].count == 12 and pod.events[0].reason == "BackOff"  # `30s (x12 over 30s)`, newest first
    (tail,) = pod.logs
    assert (tail.container, tail.previous) == ("app", True) and tail.lines[-1].startswith("java.lang.OutOfMemoryError")


def test_describe_node_conditions_taints_and_version() -> None:
    (node,) = pasted("node-not-ready").snapshot.nodes
    ready = next(c for c in node.conditions if c.type == "Ready")
    assert (ready.status, ready.reason, ready.message) == ("Unknown", "NodeStatusUnknown",
                                                          "Kubelet stopped posting node status.")
    assert next(c for c in node.conditions if c.type == "DiskPressure").status == "True"
    assert any("node.kubernetes.io/unreachable" in t for t in node.taints) and node.kubelet_version == "v1.30.2"


def test_describe_job_and_its_pod_from_yaml() -> None:
    out = pasted("job-failed")
    (job,) = out.snapshot.workloads
    assert (job.kind, job.spec["backoffLimit"], job.status["failed"]) == ("Job", 2, 3)
    assert [e.reason for e in job.events] == ["BackoffLimitExceeded", "SuccessfulCreate"]
    (pod,) = out.snapshot.pods
    assert pod.owners[0].kind == "Job" and pod.containers[0].exit_code == 1 and pod.phase == "Failed"


def test_describe_pvc_hpa_deployment() -> None:
    (claim,) = pasted("pvc-pending").snapshot.claims
    assert (claim.phase, claim.storage_class) == ("Pending", "fast-ssd")
    assert claim.events[0].reason == "ProvisioningFailed" and claim.events[0].count == 37
    (hpa,) = pasted("hpa-at-max").snapshot.autoscalers
    assert (hpa.target, hpa.min_replicas, hpa.max_replicas, hpa.current, hpa.desired) == (
        "Deployment/checkout", 2, 10, 10, 10)
    assert any("96%" in m for m in hpa.metrics) and any(c.type == "ScalingLimited" for c in hpa.conditions)
    (deployment,) = pasted("deployment").snapshot.workloads
    assert (deployment.kind, deployment.desired, deployment.ready, deployment.revision) == ("Deployment", 2, 1, "7")


def test_describe_init_containers_eviction_config_error_and_scheduling() -> None:
    (pod,) = pasted("init-failing").snapshot.pods
    init = next(c for c in pod.containers if c.init)
    assert (init.name, init.reason, init.restart_count, init.last_termination.exit_code) == (  # type: ignore[union-attr]
        "migrate", "CrashLoopBackOff", 6, 1)
    (evicted,) = pasted("evicted").snapshot.pods
    assert evicted.reason == "Evicted" and "ephemeral-storage" in evicted.message and evicted.phase == "Failed"
    (config,) = pasted("config-missing").snapshot.pods
    assert config.containers[0].reason == "CreateContainerConfigError"
    (pending,) = pasted("unschedulable").snapshot.pods
    assert pending.node is None and any(e.reason == "FailedScheduling" for e in pending.events)
    assert next(c for c in pending.conditions if c.type == "PodScheduled").status == "False"


def test_describe_and_json_of_the_same_pod_merge() -> None:
    out = pasted("healthy")
    assert [p.kind for p in out.parts] == ["describe", "json"]
    (pod,) = out.snapshot.pods
    assert pod.phase == "Running" and pod.containers[0].ready and pod.containers[0].memory_limit == "1Gi"


GET_PODS_WIDE = (SHAPES / "get-pods-wide-all-namespaces.txt").read_text()


def test_get_pods_wide_all_namespaces() -> None:
    pods = {p.name: p for p in parse_paste(GET_PODS_WIDE, now=NOW).snapshot.pods}
    api = pods["api-7d9f8b6c5-x2x4z"]
    assert (api.namespace, api.node, api.containers[0].reason, api.containers[0].restart_count) == (
        "shop", "worker-1", "CrashLoopBackOff", 12)
    init = pods["orders-5d4c3b2a1-kq8w2"].containers[0]
    assert init.init and init.reason == "CrashLoopBackOff"
    assert pods["runner-7f6d5c4b9-2xk8m"].reason == "Evicted"
    assert pods["report-29402760-kq6tm"].phase == "Succeeded"
    assert pods["web-6f5e4d3c2-l9k8j"].readiness_gates == ["1 of 1 readiness gates"]


EVENTS_WIDE = (SHAPES / "get-events-wide.txt").read_text()

EVENTS_OLD = (SHAPES / "get-events-old-layout.txt").read_text()


def test_get_events_wide_attach_to_their_objects() -> None:
    out = parse_paste("$ kubectl get events -n shop -o wide\n" + EVENTS_WIDE, now=NOW)
    pods = {p.name: p for p in out.snapshot.pods}
    mount = pods["db-0"].events[0]
    assert (mount.reason, mount.count, mount.object) == ("FailedMount", 7, "Pod/db-0")
    assert pods["api-7d9f8b6c5-x2x4z"].events[0].count == 19
    (rs,) = out.snapshot.workloads
    assert rs.kind == "ReplicaSet" and "exceeded quota" in rs.events[0].message
    assert {p.namespace for p in out.snapshot.pods} == {"shop"}


def test_old_event_layout_names_the_object_by_kind_and_event_name() -> None:
    (claim,) = parse_paste(EVENTS_OLD, now=NOW).snapshot.claims
    assert claim.name == "data-es-0" and claim.events[0].count == 5


TOP_AND_TABLES = (SHAPES / "top-and-get-tables.txt").read_text()


def test_top_and_other_get_tables() -> None:
    out = parse_paste(TOP_AND_TABLES, now=NOW)
    assert not out.unknown, [p.note for p in out.unknown]
    (usage,) = out.snapshot.pods[0].usage
    assert (usage.container, usage.cpu_m, usage.memory_bytes) == ("store", 310, 3871 * 2**20)
    (hpa,) = out.snapshot.autoscalers
    assert (hpa.namespace, hpa.max_replicas, hpa.current, hpa.metrics) == ("shop", 8, 8, ["cpu: 96%/60%"])
    nodes = {n.name: n for n in out.snapshot.nodes}
    assert nodes["worker-2"].unschedulable and nodes["worker-2"].conditions[0].status == "False"
    (claim,) = out.snapshot.claims
    assert (claim.phase, claim.storage_class, claim.volume) == ("Pending", "fast-ssd", "")
    workloads = {w.kind: w for w in out.snapshot.workloads}
    assert (workloads["Deployment"].desired, workloads["Deployment"].ready) == (3, 1)
    assert workloads["Job"].conditions[0].type == "Failed"


@pytest.mark.parametrize(("text", "seconds"), [
    ("3m12s", 192), ("2d4h", 187200), ("45s", 45), ("4h41m", 16860), ("10m", 600), ("<unknown>", None),
    ("3s (x5 over 1m)", 3),
])
def test_ages(text: str, seconds: float | None) -> None:
    assert age_seconds(text) == seconds


def test_repeat_count_and_columns_that_outgrew_their_header() -> None:
    assert repeat_count("19s (x98 over 16m)") == 98 and repeat_count("2m") == 1
    header = header_columns("NAME    READY   STATUS    RESTARTS   AGE")
    # squeezed to single spaces by a chat client, or re-aligned by hand: still one cell per column
    row = split_row("verylongpodname-abcde 0/1 Pending 0 5m", header)
    assert row["READY"] == "0/1" and row["STATUS"] == "Pending" and row["AGE"] == "5m"
    assert split_row("web-1   1/1   Running   0   5m", header)["STATUS"] == "Running"
    wide = header_columns("LAST SEEN   TYPE      OBJECT    SUBOBJECT   MESSAGE                FIRST SEEN   COUNT")
    # an empty SUBOBJECT, and a message longer than its column (kubectl aligns; a long line wraps in chat)
    row = split_row("2m          Warning   pod/x                 a message much longer than its column   9m   3", wide)
    assert (row["SUBOBJECT"], row["MESSAGE"], row["FIRST SEEN"], row["COUNT"]) == (
        "", "a message much longer than its column", "9m", "3")


def test_mixed_paste_without_commands_is_cut_by_shape_and_prose_is_listed_not_guessed() -> None:
    text = ("here is what I see, the pod keeps dying\n"
            "NAME        READY   STATUS             RESTARTS   AGE\n"
            "api-1       0/1     CrashLoopBackOff   4          5m\n\n"
            "2026-12-01T10:58:51Z ERROR dial tcp 10.96.0.12:5432: connect: connection refused\n"
            "2026-12-01T10:58:52Z INFO retrying in 5s\n\n"
            "```\nsome words that are nothing\n```\n")
    out = parse_paste(text, now=NOW)
    assert [p.kind for p in out.parts] == ["unknown", "pods", "logs", "unknown"]
    assert [p.first_line() for p in out.unknown] == ["here is what I see, the pod keeps dying",
                                                     "some words that are nothing"]
    (pod,) = out.snapshot.pods
    assert pod.name == "api-1" and len(pod.logs[0].lines) == 2  # the only pod: the logs are its


def test_describe_cut_by_grep_takes_its_name_from_the_command() -> None:
    text = ("$ kubectl describe pod ledger-5f4e3d2c1-zz7k2 -n finance | grep -A5 '^Events'\n"
            "Events:\n  Type     Reason     Age                 From     Message\n"
            "  ----     ------     ----                ----     -------\n"
            "  Warning  Unhealthy  19s (x98 over 16m)  kubelet  Readiness probe failed: HTTP probe failed with "
            "statuscode: 503\n")
    (pod,) = parse_paste(text, now=NOW).snapshot.pods
    assert (pod.namespace, pod.name, pod.events[0].count) == ("finance", "ledger-5f4e3d2c1-zz7k2", 98)


def test_headerless_event_rows_with_a_multi_line_message() -> None:
    text = ("  Normal   Scheduled    14m                  default-scheduler  Successfully assigned "
            "media/tx-7b8c9d-x2k4m to worker-3\n"
            "  Warning  FailedMount  2m2s (x14 over 14m)  kubelet            MountVolume.SetUp failed for volume "
            "\"shared\" : mount failed: exit status 32\n"
            "Output: mount.nfs: Connection timed out\n")
    (pod,) = parse_paste(text, now=NOW).snapshot.pods
    assert (pod.namespace, pod.name) == ("media", "tx-7b8c9d-x2k4m")
    assert pod.events[0].reason == "FailedMount" and pod.events[0].message.endswith("Connection timed out")


def test_jsonpath_fragment_of_a_named_pod() -> None:
    text = ("$ kubectl get pod det-6f7e8d9c0-8bq2w -n edge -o jsonpath='{.status.containerStatuses[0].lastState}'\n"
            '{"terminated":{"exitCode":255,"reason":"Error","finishedAt":"2026-12-01T10:57:31Z"}}\n')
    (pod,) = parse_paste(text, now=NOW).snapshot.pods
    assert pod.containers[0].last_termination.exit_code == 255  # type: ignore[union-attr]


def test_invalid_yaml_and_unknown_describe_kinds_are_listed() -> None:
    out = parse_paste("apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n\nName: web\nType: ClusterIP\n"
                      "Endpoints: 10.0.0.1:80\nPort: http 80/TCP\n", now=NOW)
    assert [p.note.split(":")[0] for p in out.unknown] == ["not valid YAML",
                                                           "describe of a Service opsbot does not read"]


def test_a_200_kb_paste_is_trimmed_with_a_clear_line() -> None:
    line = "2026-12-01T10:58:51Z INFO request served in 12ms path=/api/v1/items id=0123456789\n"
    text = "$ kubectl logs api-1 -n shop\n" + line * (200 * 1024 // len(line))
    out = parse_paste(text, now=NOW)
    assert out.trimmed.startswith("trimmed: read the first 127 KB of 199 KB; the rest was not analysed")
    read = out.snapshot.pods[0].logs[0].lines
    assert 1000 < len(read) < text.count("\n") and all(line == line.strip() for line in read)


def test_split_keeps_line_numbers() -> None:
    parts = split(["$ kubectl get pods", "NAME  READY  STATUS  RESTARTS  AGE", "a  1/1  Running  0  1m"])
    assert (parts[0].kind, parts[0].start, parts[0].command) == ("pods", 2, "$ kubectl get pods")


def test_describe_pod_volumes_name_their_claim_and_config_map() -> None:
    (pod,) = pasted("multi-attach").snapshot.pods
    assert [(v.name, v.kind, v.source) for v in pod.volumes] == [("data", "persistentVolumeClaim", "data-db-0"),
                                                                 ("config", "configMap", "postgres-config")]
    assert pod.events[0].reason == "FailedMount" and pod.events[1].count == 9


def test_get_pods_rows_whose_header_grep_cut_off() -> None:
    text = ("$ kubectl get pods -n logging -o wide | grep Crash\n"
            "fluentd-agg-2   0/1     CrashLoopBackOff   12 (3m12s ago)   2d4h    10.42.1.7     worker-1   <none>"
            "           <none>\n")
    out = parse_paste(text, now=NOW)
    (pod,) = out.snapshot.pods
    assert [p.kind for p in out.parts] == ["pods-rows"] and (pod.namespace, pod.node) == ("logging", "worker-1")
    assert (pod.containers[0].reason, pod.containers[0].restart_count) == ("CrashLoopBackOff", 12)


def test_what_chat_and_terminals_add_is_taken_off() -> None:
    quoted = ("> Type     Reason       Age                  From     Message\n"
              "> ----     ------       ----                 ----     -------\n"
              '> Warning  FailedMount  2m2s (x14 over 14m)  kubelet  MountVolume.SetUp failed for volume "media"\n')
    (pod,) = parse_paste(quoted, now=NOW).snapshot.pods
    assert pod.events[0].reason == "FailedMount" and pod.events[0].count == 14
    coloured = ("\x1b[32mNAME\x1b[0m        READY   STATUS             RESTARTS   AGE\n"
                "pod/api-1   0/1     CrashLoopBackOff   4          5m\n")  # `kubectl get all` names, kubecolor
    (api,) = parse_paste(coloured, now=NOW).snapshot.pods
    assert (api.name, api.containers[0].reason) == ("api-1", "CrashLoopBackOff")
    indented = ("    Name:         web-1\n    Namespace:    shop\n    Status:       Running\n"
                "    QoS Class:    BestEffort\n")  # the whole paste indented (a list item, a quote)
    assert parse_paste(indented, now=NOW).snapshot.pods[0].namespace == "shop"
