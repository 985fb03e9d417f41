"""Prometheus evidence: the alert's expression and related series, summarised as numbers."""
