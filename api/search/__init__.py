"""The search API over the guides (the index itself is the `index` package)."""
