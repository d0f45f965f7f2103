"""Parity tests: the Flink target against the embedded engine, on a real PyFlink mini-cluster.

Every test here is marked ``parity`` (``pytest -m parity`` runs them alone). One mini-cluster (one
JVM) serves the whole session; each test groups its cases into one Flink job.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.flink import MiniCluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/parity/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.parity)


@pytest.fixture(scope="session")
def flink() -> Iterator[MiniCluster]:
    cluster = MiniCluster()
    yield cluster
    cluster.close()
