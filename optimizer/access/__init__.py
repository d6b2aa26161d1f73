"""access package."""
