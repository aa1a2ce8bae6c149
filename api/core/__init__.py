"""What every feature stands on: the database and its sessions, the clock, request dependencies, error routes."""
