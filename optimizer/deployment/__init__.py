"""deployment package."""
