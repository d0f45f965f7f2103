"""Two processes creating the zero-setup SQL catalog at once: the loser retries instead of failing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyiceberg.catalog
import pytest

from lakegate.connectors.base import RunContext
from lakegate.connectors.iceberg.catalog import load_catalog
from lakegate.errors import TerminalConnectorError, TransientConnectorError


def test_a_catalog_created_by_another_process_meanwhile_is_a_transient_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path / "state")
    real = pyiceberg.catalog.load_catalog
    calls: list[str] = []

    def racing(name: str, **props: Any) -> Any:
        calls.append(name)
        if len(calls) == 1:  # what pyiceberg raises when another process created its tables first
            raise RuntimeError("(sqlite3.OperationalError) table iceberg_tables already exists")
        return real(name, **props)

    monkeypatch.setattr(pyiceberg.catalog, "load_catalog", racing)
    with pytest.raises(TransientConnectorError, match="being created by another process"):
        load_catalog("default", None, context)
    assert load_catalog("default", None, context).list_namespaces() == []


def test_other_catalog_errors_stay_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path / "state")

    def broken(name: str, **props: Any) -> Any:
        raise RuntimeError("no such catalog implementation")

    monkeypatch.setattr(pyiceberg.catalog, "load_catalog", broken)
    with pytest.raises(TerminalConnectorError):
        load_catalog("default", None, context)
