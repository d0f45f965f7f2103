"""lakegate's test suite (a package so that ``tests.helpers`` is importable)."""
