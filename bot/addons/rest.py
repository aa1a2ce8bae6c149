"""Rasa's REST channel, unchanged (same name, same /webhooks/rest/webhook), loading our speed-ups."""

from __future__ import annotations

from rasa.core.channels.rest import RestInput as _RasaRestInput

from addons import speedups

speedups.apply()


class RestInput(_RasaRestInput):
    """credentials.yml names this class so that Rasa imports this module, and with it the speed-ups."""
