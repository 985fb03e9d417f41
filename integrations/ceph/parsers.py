"""Parsers for `ceph health detail` and `ceph -s`, in their text and JSON forms.

Live collection and pasted output go through the same functions: the CLI and librados return the
mon's JSON, the Dashboard returns the same checks as a list, and a paste may hold any mix of the
four outputs (several JSON documents one after another, or text blocks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from integrations.ceph.models import STATUS_RANK, CephSnapshot, CephStatus, ClusterContext, HealthCheck, HealthReport

UNRECOGNISED = "UNRECOGNISED_CHECK"
_LEVEL: dict[str, CephStatus] = {"WRN": "HEALTH_WARN", "ERR": "HEALTH_ERR", "INF": "HEALTH_WARN"}
# "[WRN] CODE: summary", optionally prefixed by "(MUTED)" or "(MUTED, STICKY)" (Pacific and later)
_CHECK_LINE = re.compile(
    r"^(?P<muted>\(MUTED[^)]*\)\s*)?\[(?P<level>WRN|ERR|INF)\]\s+(?P<code>[A-Z][A-Z0-9_]+):\s*(?P<summary>.*)$")
# Nautilus/Octopus text: "CODE summary" at the start of a line
_OLD_CHECK_LINE = re.compile(r"^(?P<code>[A-Z][A-Z0-9_]{3,})(?::)?\s+(?P<summary>.+)$")
_STATUS_LINE = re.compile(r"^(?P<status>HEALTH_(?:OK|WARN|ERR))\b(?P<rest>.*)$")
_MUTED_LIST = re.compile(r"\(muted:\s*([^)]*)\)")


class PasteError(ValueError):
    """Nothing in the text looks like `ceph health detail` or `ceph -s` output."""


def _status(value: Any) -> CephStatus:
    text = str(value or "HEALTH_OK").upper()
    return text if text in STATUS_RANK else "HEALTH_WARN"  # type: ignore[return-value]


def _messages(items: Iterable[Any]) -> list[str]:
    return [str(i.get("message", "")) if isinstance(i, dict) else str(i) for i in items]


def _check_from_json(code: str, body: dict[str, Any]) -> HealthCheck:
    summary = body.get("summary") or {}
    if isinstance(summary, str):  # some tools flatten the summary
        summary = {"message": summary}
    return HealthCheck(code=code, severity=_status(body.get("severity")), summary=str(summary.get("message", "")),
                       count=int(summary.get("count") or 0), detail=_messages(body.get("detail") or []),
                       muted=bool(body.get("muted", False)))


def parse_health_json(doc: dict[str, Any]) -> HealthReport:
    """`ceph health detail -f json`, the `health` of `ceph -s -f json`, or the Dashboard's list form."""
    if "health" in doc and isinstance(doc["health"], dict):
        doc = doc["health"]
    raw_checks = doc.get("checks") or {}
    if isinstance(raw_checks, dict):
        checks = [_check_from_json(code, body) for code, body in raw_checks.items()]
    else:  # the Dashboard: [{"type": CODE, "severity", "summary", "detail", "muted"}]
        checks = [_check_from_json(str(c.get("type") or c.get("code")), c) for c in raw_checks]
    mutes = [str(m.get("code")) if isinstance(m, dict) else str(m) for m in doc.get("mutes") or []]
    for check in checks:
        check.muted = check.muted or check.code in mutes
    return HealthReport(status=_status(doc.get("status") or doc.get("overall_status")), checks=checks, mutes=mutes)


def parse_health_text(text: str) -> HealthReport:
    """Plain `ceph health detail` (Pacific's `[WRN] CODE: summary` form and the older `CODE summary`)."""
    status: CephStatus | None = None
    mutes: list[str] = []
    checks: list[HealthCheck] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        head = _STATUS_LINE.match(line.strip())
        if head and status is None:
            status = head.group("status")  # type: ignore[assignment]
            for group in _MUTED_LIST.findall(head.group("rest")):
                mutes += [m.strip() for m in group.split(",") if m.strip()]
            continue
        match = _CHECK_LINE.match(line.strip())
        if match:
            checks.append(HealthCheck(code=match.group("code"), severity=_LEVEL[match.group("level")],
                                      summary=match.group("summary").strip(), muted=bool(match.group("muted"))))
            continue
        if line[:1].isspace() and checks:
            checks[-1].detail.append(line.strip())
            continue
        old = _OLD_CHECK_LINE.match(line)
        if old and status is not None:
            severity: CephStatus = status if status != "HEALTH_OK" else "HEALTH_WARN"
            checks.append(HealthCheck(code=old.group("code"), severity=severity, summary=old.group("summary").strip()))
    if status is None and not checks:
        raise PasteError("no `ceph health detail` output found (expected a HEALTH_OK/WARN/ERR line)")
    for check in checks:
        check.muted = check.muted or check.code in mutes
        check.count = check.count or _leading_count(check.summary) or len(check.detail)
    worst: CephStatus = max((c.severity for c in checks if not c.muted), key=STATUS_RANK.__getitem__,
                            default="HEALTH_OK")
    return HealthReport(status=status or worst, checks=checks, mutes=mutes)


def _leading_count(summary: str) -> int:
    match = re.match(r"(\d+)\s", summary)
    return int(match.group(1)) if match else 0


# --- ceph -s ----------------------------------------------------------------------------------

def _human_rate(value: float, unit: str) -> str:
    for prefix in ("", "Ki", "Mi", "Gi", "Ti"):
        if abs(value) < 1024 or prefix == "Ti":
            return f"{value:.0f} {prefix}{unit}" if prefix == "" else f"{value:.1f} {prefix}{unit}"
        value /= 1024
    return f"{value:.1f} {unit}"


def parse_status_json(doc: dict[str, Any]) -> tuple[HealthReport, ClusterContext]:
    """`ceph -s -f json`."""
    osdmap = doc.get("osdmap") or {}
    osdmap = osdmap.get("osdmap", osdmap)  # Nautilus nests it once more
    pgmap = doc.get("pgmap") or {}
    ctx = ClusterContext(
        fsid=doc.get("fsid"),
        osds=osdmap.get("num_osds"), osds_up=osdmap.get("num_up_osds"), osds_in=osdmap.get("num_in_osds"),
        mons=(doc.get("monmap") or {}).get("num_mons"), quorum=[str(q) for q in doc.get("quorum_names") or []],
        mgr_active=(doc.get("mgrmap") or {}).get("active_name"),
        pools=pgmap.get("num_pools"), pgs=pgmap.get("num_pgs"),
        pg_states={s["state_name"]: int(s["count"]) for s in pgmap.get("pgs_by_state") or []},
    )
    for kind in ("degraded", "misplaced", "unfound"):
        objects, total, ratio = (pgmap.get(f"{kind}_objects"), pgmap.get(f"{kind}_total"), pgmap.get(f"{kind}_ratio"))
        if objects:
            share = f" ({ratio * 100:.3f}%)" if ratio is not None else ""
            setattr(ctx, kind, f"{objects}/{total} objects {kind}{share}" if total else f"{objects} objects {kind}")
    if pgmap.get("recovering_bytes_per_sec") or pgmap.get("recovering_objects_per_sec"):
        ctx.recovery = (f"{_human_rate(pgmap.get('recovering_bytes_per_sec', 0), 'B/s')}, "
                        f"{pgmap.get('recovering_objects_per_sec', 0)} objects/s")
    io = [(_human_rate(pgmap[k], "B/s") + f" {label}") for k, label in
          (("read_bytes_sec", "rd"), ("write_bytes_sec", "wr")) if pgmap.get(k)]
    io += [f"{pgmap[k]} op/s {label}" for k, label in (("read_op_per_sec", "rd"), ("write_op_per_sec", "wr"))
           if pgmap.get(k)]
    ctx.client_io = ", ".join(io) or None
    if pgmap.get("bytes_total"):
        ctx.usage = (f"{_human_rate(pgmap.get('bytes_used', 0), 'B')} used of "
                     f"{_human_rate(pgmap['bytes_total'], 'B')}")
    events = doc.get("progress_events") or {}
    ctx.progress = [f"{e.get('message', '')} ({float(e.get('progress', 0)) * 100:.0f}%)" for e in events.values()]
    return parse_health_json(doc), ctx


_S_SECTION = re.compile(r"^\s{0,3}(cluster|services|data|io|progress):\s*$")
_S_KEY = re.compile(r"^\s+(?P<key>[a-z][a-z ]*?):\s+(?P<value>.*)$")


def parse_status_text(text: str, summary_to_code: Callable[[str], str | None]) -> tuple[HealthReport, ClusterContext]:
    """Plain `ceph -s`. Its health block has summaries but no codes: `summary_to_code` maps them back."""
    ctx = ClusterContext()
    status: CephStatus = "HEALTH_OK"
    summaries: list[str] = []
    mutes: list[str] = []
    section = ""
    key = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        sec = _S_SECTION.match(line)
        if sec:
            section, key = sec.group(1), ""
            continue
        kv = _S_KEY.match(line)
        value = kv.group("value").strip() if kv else line.strip()
        if kv and not (section == "data" and key == "pgs" and re.match(r"^\d+\s+[a-z+_]+$", value)):
            key = kv.group("key").strip()
        else:
            value = line.strip()
        _status_line(ctx, section, key, value, is_key=bool(kv))
        if section == "cluster" and key == "health":
            if value.startswith("HEALTH_"):
                status = _status(value.split()[0])
            elif value.startswith("(muted:"):
                mutes += [m.strip() for m in value[7:].rstrip(")").split(",") if m.strip()]
            else:
                summaries.append(value)
    if ctx.fsid is None and ctx.osds is None and not summaries and status == "HEALTH_OK" and "health:" not in text:
        raise PasteError("no `ceph -s` output found (expected a 'cluster:' block)")
    checks = []
    for summary in summaries:
        code = summary_to_code(summary) or UNRECOGNISED
        checks.append(HealthCheck(code=code, severity="HEALTH_ERR" if status == "HEALTH_ERR" else "HEALTH_WARN",
                                  summary=summary, count=_leading_count(summary)))
    for code in mutes:
        checks.append(HealthCheck(code=code, muted=True))
    return HealthReport(status=status, checks=checks, mutes=mutes), ctx


def _status_line(ctx: ClusterContext, section: str, key: str, value: str, *, is_key: bool) -> None:
    """Fill `ctx` from one `ceph -s` line; unknown lines are ignored (the format drifts between releases)."""
    if section == "cluster" and key == "id":
        ctx.fsid = value
    elif section == "services" and key == "mon":
        if m := re.match(r"(\d+) daemons, quorum ([^ ]+)", value):
            ctx.mons, ctx.quorum = int(m.group(1)), m.group(2).split(",")
    elif section == "services" and key == "mgr" and is_key:
        ctx.mgr_active = value.split("(")[0].strip() or None
    elif section == "services" and key == "osd":
        if m := re.match(r"(\d+) osds: (\d+) up.*?, (\d+) in", value):
            ctx.osds, ctx.osds_up, ctx.osds_in = (int(g) for g in m.groups())
        elif value.startswith("flags "):
            ctx.osd_flags = value[6:].split(",")
    elif section == "data" and key == "pools":
        if m := re.match(r"(\d+) pools, (\d+) pgs", value):
            ctx.pools, ctx.pgs = int(m.group(1)), int(m.group(2))
    elif section == "data" and key == "usage":
        ctx.usage = value
    elif section == "data" and key == "pgs":
        if m := re.match(r"^(\d+)\s+([a-z+_]+)$", value):
            ctx.pg_states[m.group(2)] = int(m.group(1))
        else:
            for kind in ("degraded", "misplaced", "unfound"):
                if f"objects {kind}" in value:
                    setattr(ctx, kind, value)
    elif section == "io" and key == "client":
        ctx.client_io = value
    elif section == "io" and key == "recovery":
        ctx.recovery = value
    elif section == "progress":
        ctx.progress.append(value)


# --- a paste of any of the above ----------------------------------------------------------------

def _json_documents(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    docs: list[dict[str, Any]] = []
    pos = 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            return docs
        try:
            doc, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            return docs
        if isinstance(doc, dict):
            docs.append(doc)
        pos = end


# The command line a paste often starts with: `[root@admin ~]# ceph health detail`, `$ sudo cephadm shell -- ceph -s`
_PROMPT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?[\w.@:~/-]*[#$%>]\s+.*\bceph\b")


def parse_paste(text: str, summary_to_code: Callable[[str], str | None]) -> CephSnapshot:
    """A paste of `ceph health detail` and/or `ceph -s`, text or `-f json`. Health detail wins over the
    `-s` health block (it has detail lines); `-s` adds the context."""
    text = "\n".join(line for line in text.strip().splitlines() if not _PROMPT.match(line)).strip()
    health: HealthReport | None = None
    context: ClusterContext | None = None
    if text.startswith("{"):
        for doc in _json_documents(text):
            if "pgmap" in doc or "osdmap" in doc:
                status_health, context = parse_status_json(doc)
                health = health or status_health
            elif "checks" in doc or "status" in doc or "health" in doc:
                health = parse_health_json(doc)
        if health is None:
            raise PasteError("the JSON is neither `ceph health detail -f json` nor `ceph -s -f json`")
        return CephSnapshot(source="pasted", health=health, context=context)
    status_part, detail_part = _split_text(text)
    if status_part:
        status_health, context = parse_status_text(status_part, summary_to_code)
        health = status_health
    if detail_part:
        health = parse_health_text(detail_part)
    if health is None:
        raise PasteError("no `ceph health detail` or `ceph -s` output found: paste either, as text or -f json")
    return CephSnapshot(source="pasted", health=health, context=context)


def _split_text(text: str) -> tuple[str, str]:
    """Separate a `ceph -s` block (starts at 'cluster:') from `ceph health detail` lines."""
    lines = text.splitlines()
    status_lines: list[str] = []
    detail_lines: list[str] = []
    in_status = False
    for line in lines:
        stripped = line.strip()
        if re.match(r"^cluster:\s*$", stripped):
            in_status = True
        elif in_status and (_STATUS_LINE.match(line) or _CHECK_LINE.match(stripped)) and not line[:1].isspace():
            in_status = False
        (status_lines if in_status else detail_lines).append(line)
    detail = "\n".join(detail_lines).strip()
    if detail and not (_STATUS_LINE.match(detail) or any(_CHECK_LINE.match(x.strip()) for x in detail_lines)):
        detail = ""  # stray prompt lines or headers, not a health detail
    return "\n".join(status_lines), detail
