"""Data layer: loaders with row validation, synthetic generator, pseudonymisation, store, aggregation."""
