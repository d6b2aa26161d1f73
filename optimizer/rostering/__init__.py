"""rostering package."""
