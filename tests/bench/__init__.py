"""Benchmarks (`make bench`): figures and their ratio to a baseline measured in the same run.

Targets live here, never in timed tests. Each bench module exposes `run() -> list[Row]`.
"""
