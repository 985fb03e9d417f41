"""Kubernetes evidence: read-only collection of pods, events, logs, owners and nodes for triage."""
