"""Staff accounts: users and roles, argon2 passwords, bearer tokens, the auth dependencies, `python -m api users`."""
