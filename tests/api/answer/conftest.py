"""The session search index the chat tests use (var/index when fresh, else one build), defined once there."""

from __future__ import annotations

from tests.api.chat.conftest import chat_searcher

__all__ = ["chat_searcher"]
