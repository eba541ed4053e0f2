"""SPOC Desk benchmarks: every figure against a floor measured in the same run (bench/README in
docs/benchmarks.md). Run with `.venv/bin/python -m bench`."""
