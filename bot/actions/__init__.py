"""Custom actions for the Rasa bot: thin wrappers that read slots, call the gateway, utter by response name."""
