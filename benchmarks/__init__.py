"""Benchmarks run by `memoria bench` (figures go to BENCHMARKS.md)."""
