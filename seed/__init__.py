"""Demo data for a believable Knowsley sector, and a synthetic generator for benchmarks."""
