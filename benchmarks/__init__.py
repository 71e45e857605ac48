"""Benchmarks: run on demand (`python -m benchmarks NAME`), never as tests; figures go to results.md."""
