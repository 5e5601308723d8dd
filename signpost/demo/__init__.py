"""Demo data: the curated demo directory and accounts (``flask seed``), and the synthetic
bulk directory for benchmarks (``flask generate-demo``). Everything it creates is fictional
and flagged ``demo``."""
