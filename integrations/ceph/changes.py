"""The Ceph commands a documented fix may suggest: changes a human runs, never sent by opsbot.

A fix is shown, not run, so it may change state; but it must still be a command Ceph knows, word
for word (`{name}` is one argument, `{name...}` one or more), and a destructive one (data given up,
daemons taken out, safety limits moved) must carry a caution on the card. Nothing here is ever
passed to a transport: `integrations.ceph.allowlist` alone decides what opsbot sends.
"""

from __future__ import annotations

from pydantic import BaseModel

from integrations.ceph.allowlist import _ARG, CommandRefused, _words

# pattern -> destructive (needs a caution on the card)
_CHANGES: dict[str, bool] = {
    # flags and daemons
    "osd set {flag}": False, "osd unset {flag}": False,
    "osd set-group {flags} {who...}": False, "osd unset-group {flags} {who...}": False,
    "osd in {ids...}": False, "osd out {ids...}": True, "osd down {ids...}": True,
    "osd crush rm {name}": True, "osd destroy {id} --yes-i-really-mean-it": True,
    "osd purge {id} --yes-i-really-mean-it": True,
    "osd reweight {id} {weight}": True, "osd reweight-by-utilization": True,
    "osd reweight-by-utilization {threshold}": True, "osd test-reweight-by-utilization": False,
    "osd crush reweight {name} {weight}": True,
    "osd set-nearfull-ratio {ratio}": True, "osd set-backfillfull-ratio {ratio}": True,
    "osd set-full-ratio {ratio}": True,
    "osd crush tunables {profile}": True, "osd crush set-tunable {name} {value}": True,
    "osd crush set-all-straw-buckets-to-straw2": True,
    "osd require-osd-release {release}": True, "osd set sortbitwise": False,
    # pools
    "osd pool application enable {pool} {app}": False,
    "osd pool set {pool} {var} {value}": False, "osd pool set-quota {pool} {field} {value}": False,
    # placement groups
    "pg scrub {pgid}": False, "pg deep-scrub {pgid}": False, "pg repair {pgid}": True,
    "pg {pgid} mark_unfound_lost revert": True, "pg {pgid} mark_unfound_lost delete": True,
    "pg force-recovery {pgid...}": False, "pg force-backfill {pgid...}": False,
    "osd repair {id}": True, "tell {target} clear_shards_repaired": False,
    # monitors and managers
    "mon enable-msgr2": False, "mgr fail": False, "mgr fail {name}": False,
    "mgr module enable {module}": False, "mgr module disable {module}": False,
    "tell {target} compact": False, "daemon {target} compact": False,
    # configuration
    "config set {who} {key} {value}": False, "config rm {who} {key}": False,
    # crashes, mutes, telemetry, auth, devices, dashboard
    "crash archive {id}": False, "crash archive-all": False,
    "health mute {code}": False, "health mute {code} {ttl}": False, "health mute {code} --sticky": False,
    "health mute {code} {ttl} --sticky": False, "health unmute {code}": False,
    "telemetry on": False, "telemetry off": False, "telemetry on --license sharing-1-0": False,
    "auth rm {entity}": True, "auth caps {entity} {caps...}": True,
    "device set-life-expectancy {devid} {start}": False, "device set-life-expectancy {devid} {start} {end}": False,
    "device light on {devid}": False, "device light off {devid}": False,
    "dashboard debug disable": False, "balancer on": False, "balancer mode {mode}": False,
}


class AllowedChange(BaseModel):
    words: list[str]
    pattern: str
    destructive: bool


def _matches(parts: list[str], words: list[str]) -> bool:
    if not parts:
        return not words
    part, rest = parts[0], parts[1:]
    if part.endswith("...}"):  # one or more arguments, then whatever the pattern still needs
        return any(all(_ARG.match(w) and not w.startswith("-") for w in words[:n]) and _matches(rest, words[n:])
                   for n in range(1, len(words) - len(rest) + 1))
    if not words:
        return False
    if part.startswith("{"):
        return bool(_ARG.match(words[0])) and not words[0].startswith("-") and _matches(rest, words[1:])
    return part == words[0] and _matches(rest, words[1:])


def check_change(command: str | list[str]) -> AllowedChange:
    """The change, if it is a Ceph command of this table; else CommandRefused."""
    words = _words(command)
    if not words:
        raise CommandRefused("empty command")
    for pattern, destructive in _CHANGES.items():
        if _matches(pattern.split(), words):
            return AllowedChange(words=words, pattern=pattern, destructive=destructive)
    raise CommandRefused(f"`ceph {' '.join(words)}` is not a Ceph change opsbot knows")
