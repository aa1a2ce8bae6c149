"""The paths of the bot's REST channel (bot/addons/rest.py), which the gateway (api/chat/service.py) calls.

Rasa mounts a channel's routes under /webhooks/<channel name>; ours keeps Rasa's name, "rest", and adds a readiness
route. The probes in deploy/ spell the full path too (tests/deploy/test_manifests.py holds them to READY_PATH).
"""

from __future__ import annotations

CHANNEL = "rest"
PREFIX = f"/webhooks/{CHANNEL}"
WEBHOOK_ROUTE = "/webhook"  # Rasa's own: a message in, the bot's replies out
READY_ROUTE = "/ready"  # ours: 200 only with a model loaded
WEBHOOK_PATH = PREFIX + WEBHOOK_ROUTE
READY_PATH = PREFIX + READY_ROUTE
