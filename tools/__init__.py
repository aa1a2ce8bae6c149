"""Rigs the tests and `make bench` share: throwaway PostgreSQL, Redis and nginx, the multi-replica cluster.

Outside `api/` so the gateway image never ships code that runs apt-get; `free_port` lives in `tools.services`.
"""
