"""Benchmarks: `python -m pantau.bench.classify`."""
