"""Two processes creating the zero-setup SQL catalog at once: the loser retries instead of failing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyiceberg.catalog
import pytest

from lakegate.connectors.base import RunContext
from lakegate.connectors.iceberg.catalog import ensure_namespace, load_catalog
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


def test_a_namespace_created_by_another_process_meanwhile_is_used(tmp_path: Path) -> None:
    """Two runs starting at once both find the namespace missing; the second one's insert then fails
    on the catalog's unique constraint (not NamespaceAlreadyExistsError): it must go on."""
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path / "state")
    catalog = load_catalog("default", None, context)
    other = load_catalog("default", None, context)  # the other process's connection
    checks: list[bool] = []
    real_exists = catalog.namespace_exists

    def racing_exists(namespace: Any) -> bool:
        if not checks:  # pyiceberg's check before its insert: the other process creates it just after
            checks.append(False)
            other.create_namespace("shop")
            return False
        checks.append(real_exists(namespace))
        return checks[-1]

    catalog.namespace_exists = racing_exists
    with pytest.raises(Exception, match="UNIQUE constraint"):  # what pyiceberg does on its own
        catalog.create_namespace_if_not_exists("shop")
    checks.clear()
    other.drop_namespace("shop")
    ensure_namespace(catalog, "shop")
    assert checks == [False, True] and real_exists("shop")


def test_a_namespace_that_cannot_be_created_still_fails(tmp_path: Path) -> None:
    context = RunContext(pipeline="p", base_dir=tmp_path, state_dir=tmp_path / "state")
    catalog = load_catalog("default", None, context)

    def broken(namespace: Any) -> None:
        raise RuntimeError("catalog unreachable")

    catalog.create_namespace_if_not_exists = broken
    with pytest.raises(RuntimeError, match="unreachable"):
        ensure_namespace(catalog, "shop")
