"""Handoffs from the bot to a person, agent replies back to the widget, and the record of every chat turn."""
