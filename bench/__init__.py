"""Benchmarks of IMH Pathway: `python -m bench run --size {S,M,L} [--json]`."""
