"""Prometheus metrics and structured, masked logs for the gateway (issue #9, part 4)."""
