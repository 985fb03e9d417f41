"""Is this command a read-only step opsbot may show? A parser per CLI, not a first-word check.

Whatever suggests a command (the LLM, a runbook's code span), it reaches a card only when `check`
returns None for exactly the string that will be shown. In order:

1. Characters, on the original string: no control characters (C0, C1, DEL, NUL, tab), no Unicode
   line/paragraph separators, no invisible or format characters (zero-width, bidi overrides, NBSP),
   no shell syntax (``; & | < > $ ` ( ) \\ #``), no `!` history expansion, no unquoted brace
   expansion; not empty, at most `MAX_CHARS` characters; quotes balanced. Then `shlex` splits it
   into the words the shell would pass.
2. The program: `kubectl`/`oc`, `ceph`, `redis-cli`, or a small set of read-only host commands
   (`systemctl status`, `journalctl`, `dmesg`, `df`, `free`, `uptime`, `ss`, `ip ... show`). A path
   (`./kubectl`), an environment assignment (`KUBECONFIG=x kubectl`) or anything else is refused.
3. Its flags, as that CLI parses them (`-n X`, `-nX`, `--namespace=X`, clusters such as `-Ao`),
   against an explicit table per command: an unknown flag is refused, and so is every credential,
   endpoint or identity flag (`--server`, `--token`, `--as`, `--kubeconfig`, ceph's `-n client.admin`,
   redis-cli's `-a`).
4. Its verb and resource: kubectl's reading verbs only; no Secret data (`get secret` only as a table
   or names); ceph through `integrations.ceph.allowlist`, redis-cli's command through
   `integrations.redis.client.check_allowed`.

`check_fix` applies the same rules to a documented fix (a change a human runs, never opsbot): a
read-only command, or a change from the ceph/redis-cli change tables (`integrations.ceph.changes`,
`integrations.redis.changes`), `systemctl start|restart UNIT` or `sysctl -w key=value`; a destructive
change only with its caution.

`assess` also says whether a refusal is final: a runbook quoting a command (see
`handlers.llm.command_check`) may vouch for a program opsbot does not know, never for one it refused
on its merits (a write verb, a secret read, shell syntax, a known destructive program).
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from integrations.ceph.allowlist import CommandRefused
from integrations.ceph.allowlist import check_command as check_ceph
from integrations.ceph.changes import check_change as check_ceph_change
from integrations.kubernetes.changes import ChangeRefused
from integrations.kubernetes.changes import check_change as check_kubectl_change
from integrations.redis.changes import check_change as check_redis_change
from integrations.redis.client import CommandNotAllowed
from integrations.redis.client import check_allowed as check_redis

MAX_CHARS = 300
_Handler = Callable[[str, list[str]], None]  # (program, its arguments) -> None, or raises _Refused
_SHELL_CHARS = frozenset(";&|<>$`()\\\n#")


class _Refused(Exception):
    def __init__(self, reason: str, *, final: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass(frozen=True)
class Assessment:
    """`reason` is None when the command is a read-only step; `final` when no runbook quote can change that."""

    reason: str | None
    final: bool = True


def check(command: str) -> str | None:
    """None when `command` (exactly this string) is a read-only step; else why it is refused."""
    return assess(command).reason


def is_read_only(command: str) -> bool:
    return check(command) is None


def assess(command: str) -> Assessment:
    try:
        words = tokenise(command)
        _program(words)
    except _Refused as refused:
        return Assessment(refused.reason, refused.final)
    return Assessment(None)


# --- 1. characters and words ---------------------------------------------------------------------

def screen(command: str) -> str | None:
    """Why the raw string cannot be a command on a card (characters, length, quoting), or None."""
    if not isinstance(command, str) or not command.strip():
        return "empty command"
    if len(command) > MAX_CHARS:
        return f"longer than {MAX_CHARS} characters"
    quote = ""
    for i, ch in enumerate(command):
        category = unicodedata.category(ch)
        if ch != " " and (category[0] == "C" or category in ("Zl", "Zp", "Zs")):
            return f"contains a control or invisible character (U+{ord(ch):04X})"
        if ch in _SHELL_CHARS:
            return f"contains shell syntax ({ch!r})"
        if ch == "!" and command[i + 1:i + 2] != "=" and quote != "'":
            return "contains `!` (shell history expansion)"
        if ch in "'\"" and quote in ("", ch):
            quote = "" if quote else ch
        elif ch in "{}" and not quote:
            return "contains an unquoted brace (shell brace expansion)"
    if quote:
        return "unbalanced quotes"
    return None


def tokenise(command: str) -> list[str]:
    """The words the shell would pass, after `screen`; raises _Refused."""
    if (reason := screen(command)) is not None:
        raise _Refused(reason)
    try:
        words = shlex.split(command, comments=False, posix=True)
    except ValueError as exc:
        raise _Refused(f"cannot be split into words: {exc}") from None
    if not words:
        raise _Refused("empty command")
    return words


# --- flags, the way getopt_long and Go's pflag read them ------------------------------------------

@dataclass(frozen=True)
class Flags:
    """Alias -> canonical name. `values` take an argument, `switches` do not, `optional` take one only
    attached (`--color=always`, `-Lalways`) or, where `peek` matches, the next word (journalctl's
    `-b -1`, `-n 200`). `denied`: alias -> why it is refused."""

    values: dict[str, str] = field(default_factory=dict)
    switches: dict[str, str] = field(default_factory=dict)
    optional: dict[str, str] = field(default_factory=dict)
    peek: dict[str, re.Pattern[str]] = field(default_factory=dict)
    denied: dict[str, str] = field(default_factory=dict)
    pflag: bool = False  # Go's pflag: `-n=shop` means "shop", `--watch=false` is allowed

    def __or__(self, other: Flags) -> Flags:
        return Flags({**self.values, **other.values}, {**self.switches, **other.switches},
                     {**self.optional, **other.optional}, {**self.peek, **other.peek},
                     {**self.denied, **other.denied}, self.pflag or other.pflag)


def _aliases(*groups: str) -> dict[str, str]:
    """`_aliases("-n --namespace", "--context")` -> {"-n": "namespace", "--namespace": "namespace", ...}."""
    found: dict[str, str] = {}
    for group in groups:
        names = group.split()
        canonical = next((n for n in names if n.startswith("--")), names[0]).lstrip("-")
        found.update(dict.fromkeys(names, canonical))
    return found


def _denied(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


_NEGATIVE = re.compile(r"^-\d[\w.:]*$")  # `--tail -1`, `--since -1h`: values, not flags
_BOOL = ("true", "false")


def _value(word: str, flag: str) -> str:
    if word.startswith("-") and not _NEGATIVE.match(word):
        raise _Refused(f"the value of {flag} looks like a flag ({word})")
    return word


def parse_flags(words: list[str], flags: Flags, *, first_only: bool = False
                ) -> tuple[list[tuple[str, str | None]], list[str], int]:
    """([(canonical flag, value)], positionals, how many words were read); raises _Refused.
    Flags may come anywhere among the positionals (both getopt_long and pflag permute);
    `first_only` reads the first word (and its value) only."""
    parsed: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            raise _Refused("`--` hands the rest to another program")
        if not word.startswith("-") or word == "-":
            positionals.append(word)
        elif word.startswith("--"):
            i = _long_flag(word, words, i, flags, parsed)
        else:
            i = _short_flags(word, words, i, flags, parsed)
        if first_only:
            break
    return parsed, positionals, i


def _long_flag(word: str, words: list[str], i: int, flags: Flags, parsed: list[tuple[str, str | None]]) -> int:
    """Read `--name`, `--name=value` or `--name value` (words[i] is the next word); return the new i."""
    if word.startswith("---"):
        raise _Refused(f"malformed flag {word}")
    name, eq, attached = word.partition("=")
    if name in flags.denied:
        raise _Refused(f"{name}: {flags.denied[name]}")
    if name in flags.values:
        if eq:
            value = attached
        elif i < len(words):
            value, i = _value(words[i], name), i + 1
        else:
            raise _Refused(f"{name} needs a value")
        parsed.append((flags.values[name], value))
    elif name in flags.switches:
        if eq and not (flags.pflag and attached.lower() in _BOOL):
            raise _Refused(f"{name} takes no value")
        parsed.append((flags.switches[name], attached.lower() if eq else None))
    elif name in flags.optional:
        optional = attached if eq else None
        if optional is None and (pattern := flags.peek.get(name)) and i < len(words) and pattern.match(words[i]):
            optional, i = words[i], i + 1
        parsed.append((flags.optional[name], optional))
    else:
        raise _Refused(f"unknown or unsupported flag {name}")
    return i


def _short_flags(word: str, words: list[str], i: int, flags: Flags, parsed: list[tuple[str, str | None]]) -> int:
    """Read a short flag or a cluster of them: -A, -Aw, -nshop, -n=shop (pflag), -ojsonpath=...; return the new i."""
    j = 1
    while j < len(word):
        name = "-" + word[j]
        rest = word[j + 1:]
        if name in flags.denied:
            raise _Refused(f"{name}: {flags.denied[name]}")
        if name in flags.values:
            if rest:
                value = rest[1:] if flags.pflag and rest.startswith("=") else rest
            elif i < len(words):
                value, i = _value(words[i], name), i + 1
            else:
                raise _Refused(f"{name} needs a value")
            parsed.append((flags.values[name], value))
            return i
        if name in flags.optional:
            optional = rest or None
            if optional is None and (pattern := flags.peek.get(name)) and i < len(words) and pattern.match(words[i]):
                optional, i = words[i], i + 1
            parsed.append((flags.optional[name], optional))
            return i
        if name not in flags.switches:
            raise _Refused(f"unknown or unsupported flag {name}" + (f" (in {word})" if len(word) > 2 else ""))
        if rest.startswith("="):
            raise _Refused(f"{name} takes no value")
        parsed.append((flags.switches[name], None))
        j += 1
    return i


# --- 2. the program ------------------------------------------------------------------------------

# General-purpose tools that run, change or fetch anything: refused whatever a runbook says.
_DANGEROUS_PROGRAMS = frozenset({
    "sudo", "su", "doas", "pkexec", "sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "busybox",
    "env", "xargs", "eval", "exec", "source", "nohup", "setsid", "timeout", "watch", "nice", "ionice",
    "chroot", "nsenter", "unshare", "script", "rm", "rmdir", "dd", "shred", "truncate", "mv", "cp", "install",
    "ln", "tee", "chmod", "chown", "chgrp", "chattr", "setfacl", "kill", "pkill", "killall", "reboot",
    "shutdown", "halt", "poweroff", "init", "telinit", "service", "curl", "wget", "nc", "ncat", "netcat",
    "socat", "telnet", "ssh", "scp", "sftp", "rsync", "python", "python3", "perl", "ruby", "node", "php",
    "lua", "awk", "gawk", "sed", "iptables", "ip6tables", "nft", "ufw", "firewall-cmd", "mount", "umount",
    "fdisk", "sfdisk", "parted", "wipefs", "mkswap", "swapoff", "crontab", "at", "passwd", "useradd",
    "userdel", "usermod", "apt", "apt-get", "yum", "dnf", "pip", "npm", "helm", "docker", "podman",
    "kubeadm", "etcdctl", "cephadm", "ceph-volume", "rados", "rbd", "radosgw-admin", "redis-server",
    "openssl", "base64", "cat", "less", "more", "head", "tail", "vi", "vim", "nano", "git",
})
_WRITE_WORDS = frozenset({
    "delete", "del", "rm", "rmi", "remove", "purge", "destroy", "drain", "cordon", "uncordon", "restart",
    "reload", "start", "stop", "kill", "scale", "edit", "apply", "patch", "replace", "set", "unset", "out",
    "reweight", "flushall", "flushdb", "flush", "shutdown", "reboot", "undo", "unlink", "taint", "exec",
    "create", "add", "write", "put", "update", "upgrade", "install", "uninstall", "enable", "disable",
    "reset", "rollback", "trim", "wipe", "format", "truncate", "import", "move", "rename", "evict",
    "expire", "migrate", "mark", "repair", "rebuild", "resize", "attach", "detach", "mount", "umount",
})


def _program(words: list[str]) -> None:
    program, args = words[0], words[1:]
    if "=" in program:
        raise _Refused("sets environment variables for the command")
    if "/" in program:
        raise _Refused("names a program by path")
    handler = _PROGRAMS.get(program)
    if handler is not None:
        handler(program, args)
        return
    if program in _DANGEROUS_PROGRAMS or program.startswith(("mkfs", "mke2fs", "lvremove", "vgremove", "pvremove")):
        raise _Refused(f"`{program}` is not a read-only command")
    if writes := [w for w in words[1:] if w.lstrip("-").lower() in _WRITE_WORDS]:
        raise _Refused(f"`{program} ... {writes[0]}` looks like it changes something")
    raise _Refused(f"`{program}` is not a command opsbot knows to be read-only", final=False)


# --- kubectl and oc ------------------------------------------------------------------------------

_CREDENTIALS = "credential, endpoint or identity flags are for the operator to add, never in a step"
_KUBECTL_DENIED = {
    **_denied(_CREDENTIALS, "-s", "--server", "--token", "--as", "--as-group", "--as-uid", "--kubeconfig",
              "--user", "--username", "--password", "--client-key", "--client-certificate",
              "--certificate-authority", "--insecure-skip-tls-verify", "--tls-server-name", "--auth-provider"),
    **_denied("writes or changes something", "--raw", "--edit", "--overwrite", "--cache-dir", "--log-file",
              "--log-dir", "--profile", "--profile-output", "--record", "--save-config", "--force"),
    **_denied("reads a local file or URL", "-f", "--filename", "-k", "--kustomize", "--template"),
}
# Global flags kubectl reads before the command word; nothing else may come before it.
_KUBECTL_GLOBAL = Flags(values=_aliases("-n --namespace", "--context", "--cluster", "--request-timeout"),
                        denied=_KUBECTL_DENIED, pflag=True)


def _kflags(values: tuple[str, ...] = (), switches: tuple[str, ...] = ()) -> Flags:
    own = Flags(values=_aliases(*values), switches=_aliases(*switches), pflag=True)
    merged = _KUBECTL_GLOBAL | own
    # a verb's own short flag wins over a denied one of the same letter (`logs -f` follows, not --filename)
    denied = {k: v for k, v in merged.denied.items() if k not in own.values and k not in own.switches}
    return Flags(merged.values, merged.switches, denied=denied, pflag=True)


_OUT = "-o --output"
_KUBECTL_VERBS: dict[str, Flags] = {
    "get": _kflags((_OUT, "-l --selector", "--field-selector", "--sort-by", "-L --label-columns", "--chunk-size",
                    "--subresource"),
                   ("-A --all-namespaces", "-w --watch", "--watch-only", "--show-labels", "--show-kind",
                    "--no-headers", "--ignore-not-found", "--output-watch-events", "--server-print",
                    "--show-managed-fields")),
    "describe": _kflags(("-l --selector", "--chunk-size"), ("-A --all-namespaces", "--show-events")),
    "logs": _kflags(("-c --container", "--tail", "--since", "--since-time", "--limit-bytes", "--max-log-requests",
                     "-l --selector", "--pod-running-timeout"),
                    ("-p --previous", "-f --follow", "--timestamps", "--prefix", "--all-containers", "--ignore-errors",
                     "--all-pods")),
    "top pod": _kflags(("-l --selector", "--sort-by", "--field-selector"),
                       ("-A --all-namespaces", "--containers", "--no-headers", "--use-protocol-buffers", "--sum")),
    "top node": _kflags(("-l --selector", "--sort-by"), ("--no-headers", "--show-capacity", "--use-protocol-buffers")),
    "events": _kflags((_OUT, "--for", "--types", "--chunk-size"),
                      ("-A --all-namespaces", "-w --watch", "--no-headers")),
    "explain": _kflags(("--api-version", _OUT), ("--recursive",)),
    "api-resources": _kflags((_OUT, "--verbs", "--api-group", "--sort-by", "--categories"),
                             ("--namespaced", "--no-headers", "--cached")),
    "api-versions": _kflags(),
    "version": _kflags((_OUT,), ("--client",)),
    "cluster-info": _kflags(),
    "rollout status": _kflags(("--revision", "--timeout"), ("-w --watch",)),
    "rollout history": _kflags(("--revision", _OUT)),
    "auth can-i": _kflags(("--subresource",), ("-A --all-namespaces", "--list", "-q --quiet", "--no-headers")),
}
_SUB_VERBS = {"top": {"pod": "pod", "pods": "pod", "po": "pod", "node": "node", "nodes": "node", "no": "node"},
              "rollout": {"status": "status", "history": "history"}, "auth": {"can-i": "can-i"}}
_NO_POSITIONALS = frozenset({"api-resources", "api-versions", "version", "cluster-info"})
_KUBECTL_WHY = {
    **dict.fromkeys(("exec", "cp", "attach", "port-forward", "proxy", "debug", "run"),
                    "runs something in, copies to or tunnels into the cluster"),
    **dict.fromkeys(("apply", "create", "delete", "edit", "patch", "replace", "scale", "label", "annotate",
                     "cordon", "uncordon", "drain", "taint", "set", "expose", "autoscale", "rollout", "wait",
                     "diff", "kustomize", "certificate", "alpha", "new-app", "start-build", "adm", "project",
                     "login", "logout", "extract", "rsh", "rsync", "import-image", "tag"),
                    "changes the cluster or is not a reading command"),
    **dict.fromkeys(("config", "whoami"), "prints or changes credentials and contexts"),
    **dict.fromkeys(("plugin", "krew", "completion"), "runs a plugin or prints shell code"),
}
# `-o` forms that show only what a table shows; anything else prints a Secret's data.
_TABLE_OUTPUTS = frozenset({"name", "wide"})
_OUTPUTS = re.compile(r"^(json|yaml|wide|name|plaintext|plaintext-openapiv2|"
                      r"(jsonpath|jsonpath-as-json|custom-columns)=.+)$")


def _kubectl(program: str, args: list[str]) -> None:
    path: list[str] = []
    i = 0
    while i < len(args) and not _path_complete(path):
        word = args[i]
        if word.startswith("-") and word != "-":
            # only global flags may come before the command: kubectl finds its command word by
            # skipping flags it knows, so any other flag there would make it read another verb
            try:
                _, _, used = parse_flags(args[i:], _KUBECTL_GLOBAL, first_only=True)
            except _Refused as refused:
                if refused.reason.startswith("unknown"):
                    raise _Refused(f"{word} before the command word: {program} would read its verb differently") \
                        from None
                raise
            i += used
        else:
            path.append(word)
            i += 1
    if not path:
        raise _Refused(f"`{program}` without a command")
    verb = path[0]
    if verb in _SUB_VERBS:
        sub = _SUB_VERBS[verb].get(path[1]) if len(path) > 1 else None
        if sub is None:
            shown = " ".join(path[:2])
            if verb == "rollout":
                raise _Refused(f"`{program} {shown}` changes the cluster (only rollout status and history read)")
            raise _Refused(f"`{program} {shown}` is not a reading command")
        key = f"{verb} {sub}"
    elif verb in _KUBECTL_VERBS:
        key = verb
    else:
        why = _KUBECTL_WHY.get(verb, "is not one of its reading verbs")
        raise _Refused(f"`{program} {verb}` {why}")
    parsed, positionals, _ = parse_flags(args[i:], _KUBECTL_VERBS[key])
    if key in _NO_POSITIONALS and positionals:
        raise _Refused(f"`{program} {key} {positionals[0]}` is not a reading command"
                       + (" (dump prints everything, or writes files)" if positionals[0] == "dump" else ""))
    outputs = [v or "" for name, v in parsed if name == "output"]
    if bad := [o for o in outputs if not _OUTPUTS.match(o)]:
        raise _Refused(f"-o {bad[0]} is not an output format opsbot suggests")
    if key == "get":
        if not positionals:
            raise _Refused(f"`{program} get` names no resource")
        if _names_secrets(positionals):
            if data := [o for o in outputs if o not in _TABLE_OUTPUTS]:
                raise _Refused(f"reads Secret data (-o {data[0]}); `describe secret` or `-o name` do not")
            if any(name == "sort-by" for name, _ in parsed):
                raise _Refused("sorts Secrets by a field of their data")


def _path_complete(path: list[str]) -> bool:
    return bool(path) and (path[0] not in _SUB_VERBS or len(path) >= 2)


def _names_secrets(positionals: list[str]) -> bool:
    """`get secret`, `get secrets,pods`, `get Secret.v1`, `get pods secret/x` name Secrets."""
    def secret(kind: str) -> bool:
        return kind.split(".")[0].lower() in ("secret", "secrets")

    first, rest = positionals[0], positionals[1:]
    if any(secret(part.split("/")[0]) for part in first.split(",")):
        return True
    return any(secret(word.split("/")[0]) for word in rest if "/" in word)


# --- ceph ----------------------------------------------------------------------------------------

_CEPH_FORMATS = frozenset({"plain", "json", "json-pretty", "xml", "xml-pretty"})
_CEPH_DENIED = {
    **_denied("switches the Ceph identity (e.g. client.admin)", "-n", "--name", "--id", "--user"),
    **_denied("names a keyring or key: credentials are for the operator to add", "-k", "--keyring", "-K",
              "--keyfile", "--key"),
    **_denied("points at another cluster's configuration or monitors", "-c", "--conf", "--cluster", "-m",
              "--mon-host", "--mon_host"),
    **_denied("reads or writes a local file", "-i", "--in-file", "-o", "--out-file"),
}
_OSD_STATES = frozenset({"up", "down", "in", "out", "destroyed"})
_ASOK = re.compile(r"^/[\w./@-]+\.asok$")


def _ceph(program: str, args: list[str], checker: Callable[[list[str]], object] = check_ceph,
          passed: frozenset[str] = frozenset()) -> None:
    words: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        name, eq, attached = word.partition("=")
        if name in ("-f", "--format"):
            value = attached if eq else (args[i] if i < len(args) else "")
            i += 0 if eq else 1
            if value not in _CEPH_FORMATS:
                raise _Refused(f"{name} {value or '(nothing)'} is not a ceph output format")
            words += ["--format", value]
        elif word in ("-s", "--status"):
            words.append("status")
        elif name == "--admin-daemon":
            socket = attached if eq else (args[i] if i < len(args) else "")
            i += 0 if eq else 1
            if not _ASOK.match(socket):
                raise _Refused("--admin-daemon needs a daemon's .asok socket path")
            words += ["tell", "daemon"]  # the socket's read-only commands are the `tell` ones
        elif name in _CEPH_DENIED:
            raise _Refused(f"{name}: {_CEPH_DENIED[name]}")
        elif word in passed:  # a change's own switch (--yes-i-really-mean-it): its table checks where
            words.append(word)
        elif word.startswith("-"):
            raise _Refused(f"unknown or unsupported ceph option {name}")
        else:
            words.append(word)
    plain = [w for w in words if w != "--format" and w not in _CEPH_FORMATS]
    if plain[:1] == ["daemon"]:  # `ceph daemon osd.3 dump_ops_in_flight`: the local socket form of `tell`
        words[words.index("daemon")] = "tell"
    if plain[:2] == ["osd", "tree"] and len(plain) > 2 and set(plain[2:]) <= _OSD_STATES:
        words = [w for w in words if w not in _OSD_STATES]  # `osd tree down`: a read-only filter
    try:
        checker(words)
    except CommandRefused as exc:
        raise _Refused(str(exc)) from None


# --- redis-cli -----------------------------------------------------------------------------------

_REDIS_DENIED = {
    **_denied("a password on the command line: credentials are for the operator to add", "-a", "--pass",
              "--askpass"),
    **_denied("runs a script, a pipe or a dump rather than a read-only command", "--eval", "--pipe",
              "--pipe-timeout", "--rdb", "--functions-rdb", "-x", "--ldb", "--ldb-sync-mode", "--lru-test",
              "--replica", "--slave", "--cluster"),
    **_denied("repeats the command", "-r"),
    **_denied("client certificates and insecure TLS are for the operator to add", "--cert", "--key", "--insecure"),
}
_REDIS_VALUES = {"-h", "-p", "-s", "-n", "-t", "-u", "--user", "--sni", "--cacert", "--cacertdir", "--pattern",
                 "--quoted-pattern", "--count", "--memkeys-samples", "-i"}
_REDIS_SWITCHES = {"--tls", "-c", "--raw", "--no-raw", "--csv", "--json", "--quoted-json", "--no-auth-warning",
                   "-2", "-3", "-e", "--verbose"}
_REDIS_MODES = {"--bigkeys", "--memkeys", "--hotkeys", "--scan", "--latency", "--latency-history",
                "--latency-dist", "--stat"}
_INTERVAL_MODES = {"--bigkeys", "--memkeys", "--hotkeys", "--scan"}
_NUMBER = {"-p": re.compile(r"^\d{1,5}$"), "-n": re.compile(r"^\d{1,4}$"), "-t": re.compile(r"^\d+(\.\d+)?$"),
           "-i": re.compile(r"^\d+(\.\d+)?$"), "--count": re.compile(r"^\d+$"),
           "--memkeys-samples": re.compile(r"^\d+$")}


def _redis_cli(program: str, args: list[str], checker: Callable[[list[str]], object] = check_redis) -> None:
    modes: set[str] = set()
    interval = False
    i = 0
    while i < len(args) and args[i].startswith("-"):  # redis-cli reads options up to the first command word
        option = args[i]
        i += 1
        if option in _REDIS_DENIED:
            raise _Refused(f"{option}: {_REDIS_DENIED[option]}")
        if option in _REDIS_VALUES:
            if i >= len(args):
                raise _Refused(f"{option} needs a value")
            value = _value(args[i], option)
            i += 1
            if option in _NUMBER and not _NUMBER[option].match(value):
                raise _Refused(f"{option} {value} is not a number")
            if option == "-u":
                _redis_uri(value)
            interval = interval or option == "-i"
        elif option in _REDIS_MODES:
            modes.add(option)
        elif option not in _REDIS_SWITCHES:
            raise _Refused(f"unknown or unsupported redis-cli option {option}")
    command = args[i:]
    if interval and not modes & _INTERVAL_MODES:
        raise _Refused("-i repeats commands; only --bigkeys, --memkeys, --hotkeys and --scan take it")
    if modes:
        if command:
            raise _Refused(f"{sorted(modes)[0]} runs no command, yet one follows ({command[0]})")
        return
    if not command:
        raise _Refused("redis-cli without a command opens an interactive shell")
    try:
        checker(command)
    except CommandNotAllowed as exc:
        raise _Refused(str(exc)) from None


def _redis_uri(uri: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme not in ("redis", "rediss"):
        raise _Refused("-u needs a redis:// or rediss:// URI")
    if "@" in parts.netloc:  # redis-cli reads `redis://pw@host` and `redis://user:pw@host` as a password
        raise _Refused("-u with a password in the URI: credentials are for the operator to add")


# --- read-only host commands ---------------------------------------------------------------------

_REMOTE = "runs on another host or container"
_SYSTEMCTL = Flags(
    values=_aliases("-n --lines", "-t --type", "--state", "-o --output"),
    switches=_aliases("--no-pager", "-l --full", "-a --all", "--failed", "--plain", "--no-legend", "-q --quiet",
                      "--user", "--system"),
    denied={**_denied(_REMOTE, "-H", "--host", "-M", "--machine"), **_denied("changes state", "--now", "--force",
                                                                           "--runtime", "--root")})
_SYSTEMCTL_VERBS = frozenset({"status", "is-active", "is-failed", "is-enabled", "list-units", "list-timers",
                              "list-sockets"})
_JOURNALCTL = Flags(
    values=_aliases("-u --unit", "--user-unit", "-p --priority", "-S --since", "-U --until", "-o --output",
                    "-g --grep", "-t --identifier", "--output-fields", "--facility"),
    switches=_aliases("--no-pager", "-x --catalog", "-e --pager-end", "-f --follow", "-r --reverse", "-q --quiet",
                      "--no-hostname", "--utc", "-a --all", "--system", "--user", "-l --full", "--no-full",
                      "--list-boots", "--disk-usage", "-m --merge", "-k --dmesg"),
    optional=_aliases("-b --boot", "-n --lines"),
    peek={"-b": re.compile(r"^([+-]?\d+|[0-9a-f]{32}|all)$"), "--boot": re.compile(r"^([+-]?\d+|[0-9a-f]{32}|all)$"),
          "-n": re.compile(r"^(\+?\d+|all)$"), "--lines": re.compile(r"^(\+?\d+|all)$")},
    denied={**_denied("deletes, rotates or flushes the journal", "--vacuum-size", "--vacuum-time", "--vacuum-files",
                      "--rotate", "--flush", "--sync", "--relinquish-var", "--smart-relinquish-var",
                      "--setup-keys", "--update-catalog"),
            **_denied("writes a file", "--cursor-file"), **_denied(_REMOTE, "-M", "--machine")})
_JOURNAL_MATCH = re.compile(r"^([A-Z_][A-Z0-9_]*=\S*|\+|/[\w./@+-]*)$")
_DMESG = Flags(
    values=_aliases("-l --level", "-f --facility", "--time-format", "--since", "--until", "-s --buffer-size"),
    switches=_aliases("-T --ctime", "-H --human", "-k --kernel", "-x --decode", "-w --follow", "-W --follow-new",
                      "-e --reltime", "-t --notime", "-P --nopager", "-r --raw", "-u --userspace", "-S --syslog",
                      "-J --json", "-d --show-delta"),
    optional=_aliases("-L --color"),
    denied=_denied("clears the kernel ring buffer or changes console logging", "-C", "--clear", "-c",
                   "--read-clear", "-D", "--console-off", "-E", "--console-on", "-n", "--console-level"))
_DF = Flags(values=_aliases("-t --type", "-x --exclude-type", "-B --block-size"),
            switches=_aliases("-a --all", "-h --human-readable", "-H --si", "-i --inodes", "-k", "-l --local",
                              "-P --portability", "-T --print-type", "--total", "--no-sync"),
            optional=_aliases("--output"), denied=_denied("flushes file systems", "--sync"))
_FREE = Flags(values=_aliases("-s --seconds", "-c --count"),
              switches=_aliases("-b --bytes", "-k --kibi", "-m --mebi", "-g --gibi", "-h --human", "-w --wide",
                                "-t --total", "-l --lowhigh", "-v --committed", "--si", "--kilo", "--mega", "--giga"))
_UPTIME = Flags(switches=_aliases("-p --pretty", "-s --since"))
_SS = Flags(values=_aliases("-f --family", "-A --query"),
            switches=_aliases("-t --tcp", "-u --udp", "-l --listening", "-n --numeric", "-p --processes", "-a --all",
                              "-x --unix", "-w --raw", "-s --summary", "-e --extended", "-m --memory", "-i --info",
                              "-o --options", "-H --no-header", "-O --oneline", "-r --resolve", "-4 --ipv4",
                              "-6 --ipv6", "-S --sctp", "-Z --context", "-z --contexts"),
            denied={**_denied("kills sockets", "-K", "--kill"), **_denied("reads or writes a file", "-D", "--diag",
                                                                        "-F", "--filter"),
                    **_denied("switches network namespace", "-N", "--net")})
_IP_OPTIONS = frozenset({"-4", "-6", "-br", "-brief", "-c", "-color", "-s", "-stats", "-statistics", "-d", "-details",
                         "-o", "-oneline", "-j", "-json", "-p", "-pretty", "-h", "-human"})
_IP_OBJECTS = {"a": "address", "addr": "address", "address": "address", "r": "route", "ro": "route",
               "route": "route", "l": "link", "link": "link", "n": "neigh", "neigh": "neigh", "neighbour": "neigh",
               "neighbor": "neigh", "ru": "rule", "rule": "rule"}


def _host(flags: Flags, *, positionals: bool) -> _Handler:
    def handle(program: str, args: list[str]) -> None:
        _, words, _ = parse_flags(args, flags)
        if words and not positionals:
            raise _Refused(f"`{program}` takes no argument here ({words[0]})")
    return handle


def _systemctl(program: str, args: list[str]) -> None:
    _, words, _ = parse_flags(args, _SYSTEMCTL)
    if not words or words[0] not in _SYSTEMCTL_VERBS:
        verb = words[0] if words else "(nothing)"
        raise _Refused(f"`systemctl {verb}` is not a read-only systemctl command (status, is-active, list-units)")


def _journalctl(program: str, args: list[str]) -> None:
    _, words, _ = parse_flags(args, _JOURNALCTL)
    if bad := [w for w in words if not _JOURNAL_MATCH.match(w)]:
        raise _Refused(f"journalctl: {bad[0]} is not a journal match")


def _ip(program: str, args: list[str]) -> None:
    words = list(args)
    while words and words[0].startswith("-"):
        option = words.pop(0)
        if option not in _IP_OPTIONS:
            raise _Refused(f"unknown or unsupported ip option {option}")
    if not words or words[0] not in _IP_OBJECTS:
        raise _Refused(f"`ip {words[0] if words else ''}` is not one opsbot suggests (addr, route, link, neigh, rule)")
    obj, rest = _IP_OBJECTS[words[0]], words[1:]
    verbs = {"show", "list", "lst"} | ({"get"} if obj == "route" else set())
    if rest and rest[0] not in verbs:
        raise _Refused(f"`ip {words[0]} {rest[0]}` is not `show`")
    if any(w.startswith("-") for w in rest):
        raise _Refused("ip takes its options before the object")


_PROGRAMS: dict[str, _Handler] = {
    "kubectl": _kubectl, "oc": _kubectl, "ceph": _ceph, "redis-cli": _redis_cli,
    "systemctl": _systemctl, "journalctl": _journalctl, "ip": _ip,
    "dmesg": _host(_DMESG, positionals=False), "df": _host(_DF, positionals=True),
    "free": _host(_FREE, positionals=False), "uptime": _host(_UPTIME, positionals=False),
    "ss": _host(_SS, positionals=True),
}


# --- fixes: documented changes a human runs, never opsbot ----------------------------------------

_CEPH_CHANGE_SWITCHES = frozenset({"--yes-i-really-mean-it", "--sticky"})
_SYSTEMCTL_CHANGES = {"start": False, "reset-failed": False, "restart": True, "stop": True}
_UNIT = re.compile(r"^[\w@.:-]+(\.service|\.target)?$")
_SYSCTL_SETTING = re.compile(r"^[a-z][\w.]*=[\w.-]+$")


def check_fix(command: str, caution: str = "") -> str | None:
    """None when `command` may be shown as a fix: a read-only step, or a change its CLI knows (the
    ceph and redis-cli change tables, `systemctl start|restart UNIT`, `sysctl -w key=value`), with a
    caution when the change is destructive. The same character and flag rules as steps apply."""
    try:
        words = tokenise(command)
        destructive = _change(words)
    except _Refused as refused:
        return refused.reason
    if destructive and not caution.strip():
        return "a destructive change needs its caution on the card"
    return None


def _change(words: list[str]) -> bool:
    """Whether the command is destructive; raises _Refused when it is no command a fix may show."""
    try:
        _program(words)
        return False
    except _Refused:
        pass
    program, args = words[0], words[1:]
    found: list[bool] = []
    if program == "ceph":
        _ceph(program, args, lambda w: found.append(check_ceph_change(w).destructive), _CEPH_CHANGE_SWITCHES)
    elif program == "redis-cli":
        _redis_cli(program, args, lambda w: found.append(check_redis_change(w)))
    elif program in ("kubectl", "oc"):
        try:
            found.append(check_kubectl_change(args))
        except ChangeRefused as exc:
            raise _Refused(str(exc)) from None
    elif program == "systemctl":
        _, rest, _ = parse_flags(args, _SYSTEMCTL)
        if len(rest) != 2 or rest[0] not in _SYSTEMCTL_CHANGES or not _UNIT.match(rest[1]):
            raise _Refused("a systemctl fix is `systemctl start|restart|stop|reset-failed UNIT`")
        found.append(_SYSTEMCTL_CHANGES[rest[0]])
    elif program == "sysctl":
        if len(args) != 2 or args[0] != "-w" or not _SYSCTL_SETTING.match(args[1]):
            raise _Refused("a sysctl fix is `sysctl -w key=value`")
        found.append(False)
    else:
        raise _Refused(f"`{program}` is not a program whose changes opsbot knows")
    return any(found)
