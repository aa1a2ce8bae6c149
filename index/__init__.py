"""Guides -> validated catalogue -> hybrid search index."""
