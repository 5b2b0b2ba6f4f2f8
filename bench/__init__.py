"""Benchmarks: run each script with the project venv (see README, Speed and scale)."""
