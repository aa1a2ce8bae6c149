"""The answer decision and the short, fact-first reply every channel gives (see index/decision.py)."""
