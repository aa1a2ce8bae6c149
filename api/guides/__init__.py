"""The guides as the gateway shows them: one typed view per catalogue (view.py) and GET /api/guides (routes.py)."""
