"""The documented messages Kubernetes (kubelet, scheduler, controllers) and common runtimes write, as
patterns: one place that says what a missing ConfigMap, a wrong command or a DNS failure looks like.

The analyzers detect from these, and the /k8s card quotes the pasted lines they match. Patterns name
their parts (`name`, `host`, `resource`, ...) so findings can say which object or host it is.
"""

from __future__ import annotations

import re

# kubelet: `configmap "x" not found`, `couldn't find key K in Secret ns/x` (env, envFrom, volumes)
CONFIG_MISSING = re.compile(
    r"(?P<kind>configmap|secret)s? \"(?P<name>[^\"]+)\" not found|"
    r"couldn't find key (?P<key>\S+) in (?P<kind2>ConfigMap|Secret) (?:[\w.-]+/)?(?P<name2>[\w.-]+)", re.I)

# the runtime could not start the command: not in the image, not executable, wrong architecture
COMMAND_FAILED = re.compile(
    r"exec: \"(?P<cmd>[^\"]+)\": (?:executable file not found in \$PATH|permission denied)|"
    r"exec (?P<cmd2>\S+): (?:no such file or directory|exec format error|permission denied)|"
    r"exec format error|(?:^|\s)(?:/bin/)?(?:ba|da)?sh: (?:\d+: )?(?P<cmd3>[\w./-]+): (?:command )?not found|"
    r"stat (?P<cmd4>/\S+): no such file or directory", re.I)
COMMAND_REASONS = ("StartError", "ContainerCannotRun", "RunContainerError")

# name resolution failed (Go, glibc, Node.js, JVM, curl, libpq, Python)
DNS_FAILED = re.compile(
    r"lookup (?P<host>[\w.-]+)(?: on [\d.:\[\]a-f]+)?: (?:no such host|server misbehaving|i/o timeout)|"
    r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?P<host2>[\w.-]+)|UnknownHostException: (?P<host3>[\w.-]+)|"
    r"[Cc]ould not resolve host:? (?P<host4>[\w.-]+)|could not translate host name \"(?P<host5>[^\"]+)\"|"
    r"Temporary failure in name resolution|Name or service not known|nodename nor servname provided|"
    r"Name does not resolve|NXDOMAIN|dial udp [\d.]+:53: (?:i/o timeout|connect: connection refused)|"
    r"no such host|[Ff]ailed to resolve '?(?P<host6>[\w.-]+)", re.I)

# cheap literal pre-filters: most log lines mention neither, and the full patterns are slow to reject
DNS_HINT = re.compile(r"resol|lookup|host|getaddrinfo|nxdomain|:53\b|servname|name or service", re.I)
REFUSED_HINT = re.compile(r"refused|Error 111|Is the server running", re.I)

# a TCP connection was refused: the dependency is down, not listening, or has no endpoints
REFUSED = re.compile(
    r"dial tcp (?P<addr>[\w.\-\[\]:]+): connect: connection refused|ECONNREFUSED (?P<addr2>[\w.\-\[\]:]+)|"
    r"Error 111 connecting to (?P<addr3>[\w.\-:]+)|Connection to (?P<addr4>[\w.\-:]+) refused|"
    r"connection to server at \"(?P<host>[^\"]+)\"(?: \([\d.]+\))?, port (?P<port>\d+) failed: Connection refused|"
    r"Is the server running on host \"(?P<host2>[^\"]+)\"|[Cc]onnection refused|ECONNREFUSED", re.I)

# the kubelet evicted the pod; which resource ran short
EVICTED = re.compile(
    r"The node was low on resource: (?P<resource>[\w-]+)|The node had condition: \[(?P<condition>\w+)\]|"
    r"(?P<local>ephemeral local storage usage exceeds|[Uu]sage of EmptyDir volume)", re.I)
EVICTION_EVENTS = ("Evicted", "EvictionThresholdMet", "Preempted")

# ResourceQuota admission: the controller's FailedCreate message
QUOTA = re.compile(
    r"exceeded quota: (?P<quota>[\w.-]+), requested: (?P<requested>[^,]+), used: (?P<used>[^,]+), "
    r"limited: (?P<limited>\S+)|failed quota: (?P<quota2>[\w.-]+): must specify (?P<missing>[\w.,]+)", re.I)

# volumes: attach and mount failures
MOUNT_EVENTS = ("FailedMount", "FailedAttachVolume", "FailedMapVolume")
MULTI_ATTACH = re.compile(r"Multi-Attach error for volume \"(?P<volume>[^\"]+)\"", re.I)
MOUNT_FAILED = re.compile(
    r"(?:MountVolume\.\w+|AttachVolume\.Attach|MapVolume\.\w+) failed for volume \"(?P<volume>[^\"]+)\"|"
    r"Unable to attach or mount volumes: unmounted volumes=\[(?P<volumes>[^\]]*)\]|Multi-Attach error", re.I)

# claims: provisioning and binding
CLAIM_EVENTS = ("ProvisioningFailed", "FailedBinding", "ExternalProvisioning", "WaitForFirstConsumer",
                "WaitForPodScheduled")
CLAIM_WAITING = ("WaitForFirstConsumer", "WaitForPodScheduled")  # normal until a pod needs the claim
# (a `volume node affinity conflict` is a bound volume in another zone: not a Pending claim)
UNBOUND_CLAIM = re.compile(r"unbound (?:immediate )?PersistentVolumeClaims?|persistentvolumeclaim \"(?P<claim>[^\"]+)\""
                           r" not found", re.I)
STORAGE_CLASS_MISSING = re.compile(r"storageclass\.storage\.k8s\.io \"(?P<sc>[^\"]+)\" not found", re.I)
NO_STORAGE_CLASS = re.compile(r"no persistent volumes available for this claim and no storage class is set", re.I)
ACCESS_MODE = re.compile(r"access ?modes?.{0,40}(?:not supported|unsupported)|(?:ReadWriteMany|ReadWriteOncePod|"
                         r"ReadOnlyMany) (?:is )?not supported", re.I)

# Jobs
JOB_FAILED_REASONS = ("BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy", "MaxFailedIndexesExceeded")

# probes
READINESS = re.compile(r"^Readiness probe (?:failed|errored)", re.I)
LIVENESS = re.compile(r"^(?:Liveness|Startup) probe (?:failed|errored)", re.I)
