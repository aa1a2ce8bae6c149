"""Code Rasa itself loads (named in credentials.yml); the action server's code is in actions/."""
