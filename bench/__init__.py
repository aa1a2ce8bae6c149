"""Benches and evaluators that measure the assistant from outside the product package (`api/` stays the product)."""
