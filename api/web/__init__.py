"""The web surface: the embeddable widget, server-rendered guide pages, and gateway-wide protection."""
