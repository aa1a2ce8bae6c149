"""Prometheus metrics, structured masked logs, and the gateway's liveness and readiness probes (issue #9, part 4)."""
