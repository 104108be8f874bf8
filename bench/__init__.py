"""Benchmarks: each ``bench/<name>.py`` with a ``main(argv) -> int`` measures against a baseline
taken in the same run and prints absolute figures, the ratio and one JSON line."""
