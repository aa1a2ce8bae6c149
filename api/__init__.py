"""The gateway: channels, chat, guide pages, search API, case system, staff console."""
