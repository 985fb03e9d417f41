"""Deterministic checks of pasted configuration: OpenTelemetry Collector, Data Prepper pipelines,
Ansible playbooks, nginx. Each check is a Finding with a stable code; what the checks cannot judge
is left to the LLM review (handlers.config_review)."""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from core.models import Finding, Severity, Step

ConfigKind = Literal["otel", "dataprepper", "ansible", "nginx", "yaml", "unknown"]
KIND_NAMES = {"otel": "OpenTelemetry Collector", "dataprepper": "Data Prepper pipeline", "ansible": "Ansible playbook",
              "nginx": "nginx", "yaml": "YAML", "unknown": "configuration"}
VALIDATE_STEPS = {
    "otel": [Step(command="otelcol validate --config=config.yaml", why="the collector's own check, before a rollout")],
    "ansible": [Step(command="ansible-playbook --syntax-check playbook.yml", why="syntax, without running anything"),
                Step(command="ansible-lint playbook.yml", why="common mistakes and deprecated modules")],
    "nginx": [Step(command="nginx -t", why="parses the whole configuration without reloading")],
}
OTEL_SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")
_NGINX_HINT = re.compile(r"^\s*(?:server|http|location|upstream|events)\b[^{;]*\{", re.MULTILINE)
_SHELL_MODULES = {"shell", "command", "ansible.builtin.shell", "ansible.builtin.command"}
_SECRET_KEYS = re.compile(r"(?i)(password|passwd|secret|token|api_key)$")


class ConfigReport(BaseModel):
    kind: ConfigKind
    findings: list[Finding] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)


def _finding(code: str, severity: Severity, title: str, explanation: str = "") -> Finding:
    return Finding(code=code, severity=severity, title=title, explanation=explanation)


def detect(text: str, data: Any) -> ConfigKind:
    if isinstance(data, dict):
        if "service" in data and any(s in data for s in ("receivers", "exporters")):
            return "otel"
        if data and all(isinstance(v, dict) and ("source" in v or "sink" in v) for v in data.values()):
            return "dataprepper"
        return "yaml"
    if isinstance(data, list) and data and all(isinstance(p, dict) and ("hosts" in p or "tasks" in p or
                                                                        "import_playbook" in p) for p in data):
        return "ansible"
    if _NGINX_HINT.search(text):
        return "nginx"
    return "yaml" if data is not None and not isinstance(data, str) else "unknown"


def _otel(data: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    defined = {section: set((data.get(section) or {}).keys()) for section in OTEL_SECTIONS}
    pipelines = ((data.get("service") or {}).get("pipelines") or {})
    if not pipelines:
        return [_finding("OTEL_NO_PIPELINES", Severity.error, "service.pipelines is empty: the collector does nothing",
                         "Every receiver, processor and exporter must be listed in a pipeline to run.")]
    used: dict[str, set[str]] = {section: set() for section in OTEL_SECTIONS}
    for name, pipeline in pipelines.items():
        pipeline = pipeline or {}
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section) or []:
                used[section].add(component)
                if component not in defined[section] and component not in defined["connectors"]:
                    found.append(_finding("OTEL_UNDEFINED_COMPONENT", Severity.error,
                                          f"pipeline {name} uses {section[:-1]} {component}, which is not defined",
                                          f"Add `{component}` under `{section}:` or remove it from the pipeline."))
        processors = list(pipeline.get("processors") or [])
        limiters = [i for i, p in enumerate(processors) if p.split("/")[0] == "memory_limiter"]
        if not limiters:
            found.append(_finding("OTEL_NO_MEMORY_LIMITER", Severity.warning,
                                  f"pipeline {name} has no memory_limiter processor",
                                  "Without it a burst can push the collector out of memory; put it first."))
        elif limiters[0] != 0:
            found.append(_finding("OTEL_MEMORY_LIMITER_NOT_FIRST", Severity.warning,
                                  f"pipeline {name}: memory_limiter is not the first processor",
                                  "It can only refuse data before the other processors have spent memory on it."))
        if not any(p.split("/")[0] == "batch" for p in processors):
            found.append(_finding("OTEL_NO_BATCH", Severity.info, f"pipeline {name} has no batch processor",
                                  "Batching cuts export requests and CPU by an order of magnitude."))
    for section in ("receivers", "processors", "exporters"):
        for component in sorted(defined[section] - used[section]):
            found.append(_finding("OTEL_UNUSED_COMPONENT", Severity.info,
                                  f"{section[:-1]} {component} is defined but in no pipeline", "It is never started."))
    extensions = set((data.get("service") or {}).get("extensions") or [])
    for extension in sorted(extensions - defined["extensions"]):
        found.append(_finding("OTEL_UNDEFINED_COMPONENT", Severity.error,
                              f"service.extensions lists {extension}, which is not defined"))
    return found


def _dataprepper(data: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    names = set(data)
    for name, pipeline in data.items():
        for part in ("source", "sink"):
            if not pipeline.get(part):
                found.append(_finding("DP_MISSING_PART", Severity.error, f"pipeline {name} has no {part}"))
        referenced = [(pipeline.get("source") or {}).get("pipeline")] + [
            (sink or {}).get("pipeline") for sink in pipeline.get("sink") or [] if isinstance(sink, dict)]
        for ref in referenced:
            target = (ref or {}).get("name") if isinstance(ref, dict) else None
            if target and target not in names:
                found.append(_finding("DP_UNKNOWN_PIPELINE", Severity.error,
                                      f"pipeline {name} connects to {target}, which is not defined"))
    return found


def _secret_literals(node: Any, path: str, found: list[Finding]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(value, str | int) and _SECRET_KEYS.search(str(key)) and "{{" not in str(value) \
                    and not str(value).startswith("!vault"):
                found.append(_finding("PLAINTEXT_SECRET", Severity.warning, f"{where} holds a literal secret",
                                      "Use Ansible Vault or a variable from a secret store; it is in git now."))
            else:
                _secret_literals(value, where, found)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _secret_literals(item, f"{path}[{index}]", found)


def _ansible(data: list[Any]) -> list[Finding]:
    found: list[Finding] = []
    for number, play in enumerate(data, start=1):
        if "import_playbook" in play:
            continue
        label = play.get("name") or f"play {number}"
        if "hosts" not in play:
            found.append(_finding("ANSIBLE_NO_HOSTS", Severity.error, f"{label} has no hosts"))
        for task in (play.get("tasks") or []) + (play.get("handlers") or []):
            if not isinstance(task, dict):
                continue
            module = next((m for m in _SHELL_MODULES if m in task), None)
            if module and "changed_when" not in task and "creates" not in str(task.get(module, "")) \
                    and "creates" not in (task.get("args") or {}):
                found.append(_finding("ANSIBLE_SHELL_ALWAYS_CHANGED", Severity.info,
                                      f"task '{task.get('name', module)}' runs {module} without changed_when",
                                      "It reports 'changed' on every run; add changed_when or creates."))
    _secret_literals(data, "", found)
    return found


def _nginx(text: str) -> list[Finding]:
    found: list[Finding] = []
    depth = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        depth += line.count("{") - line.count("}")
        if depth < 0:
            found.append(_finding("NGINX_UNBALANCED_BRACES", Severity.error, f"line {number}: a '}}' closes nothing"))
            depth = 0
        if not line.endswith((";", "{", "}")):
            found.append(_finding("NGINX_MISSING_SEMICOLON", Severity.error,
                                  f"line {number}: `{line[:60]}` does not end with ';'"))
        if re.match(r"server_tokens\s+on\b", line):
            found.append(_finding("NGINX_SERVER_TOKENS", Severity.info, f"line {number}: server_tokens on",
                                  "The nginx version is sent in every error page and Server header."))
    if depth > 0:
        found.append(_finding("NGINX_UNBALANCED_BRACES", Severity.error, f"{depth} block(s) are never closed"))
    return found


def check(text: str) -> ConfigReport:
    """Detect what the pasted text configures and run its checks."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        if _NGINX_HINT.search(text):
            return ConfigReport(kind="nginx", findings=_nginx(text), steps=VALIDATE_STEPS["nginx"])
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return ConfigReport(kind="yaml", findings=[_finding("YAML_INVALID", Severity.error,
                                                            f"not valid YAML: {where}{problem}")])
    kind = detect(text, data)
    checks = {"otel": lambda: _otel(data), "dataprepper": lambda: _dataprepper(data),
              "ansible": lambda: _ansible(data), "nginx": lambda: _nginx(text)}
    findings = checks[kind]() if kind in checks else []
    return ConfigReport(kind=kind, findings=findings, steps=VALIDATE_STEPS.get(kind, []))
