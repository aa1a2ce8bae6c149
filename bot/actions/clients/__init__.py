"""One client module per external service."""
