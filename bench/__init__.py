"""Throughput and memory benchmark of lakegate's embedded engine against a per-record Python baseline.

Run it with ``make bench`` (``python -m bench.run``); see ``bench/README.md``.
"""
