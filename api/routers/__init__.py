"""One router per resource group; each endpoint declares the scope its caller's role must reach."""
