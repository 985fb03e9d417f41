"""OpenSearch evidence: error-level log lines of the affected workload around the alert's start."""
