"""Turn a :class:`CatalogSpec` into a pyiceberg catalog."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lakegate._optional import require
from lakegate.connectors.base import RunContext
from lakegate.connectors.iceberg.config import S3TABLES_ARN, CatalogSpec
from lakegate.errors import RegistryError, TerminalConnectorError, TransientConnectorError

DEFAULT_CATALOG = "default"


def catalog_properties(spec: CatalogSpec | None, context: RunContext) -> dict[str, str]:
    """The pyiceberg ``load_catalog`` properties for ``spec`` (``None``: the zero-setup SQL catalog).

    Pure (no I/O), so the mapping of every catalog type can be tested without a catalog.
    """
    spec = spec or CatalogSpec()
    if spec.type == "hadoop":
        raise TerminalConnectorError(
            "a `hadoop` Iceberg catalog is supported by the Flink target only "
            "(`lakegate compile --target flink`); pyiceberg has no Hadoop catalog",
            hint="use a rest, glue, s3tables or sql catalog to run the pipeline on the embedded engine",
        )
    props: dict[str, str] = {}
    if spec.type == "sql":
        state = context.state_dir.resolve()
        props["type"] = "sql"
        props["uri"] = spec.uri or f"sqlite:///{state / 'catalog.db'}"
        props["warehouse"] = spec.warehouse or (state / "warehouse").as_uri()
    elif spec.type == "s3tables":
        # Amazon S3 Tables speaks the Iceberg REST protocol, signed with SigV4 for the service
        # "s3tables" (see pyiceberg's REST catalog docs and AWS's "S3 Tables Iceberg REST endpoint").
        match = S3TABLES_ARN.match(spec.warehouse or "")
        if match is None:  # pragma: no cover - the model validator already checked it
            raise TerminalConnectorError("an s3tables catalog needs the table bucket ARN as `warehouse`")
        region = match["region"]
        props["type"] = "rest"
        props["uri"] = spec.uri or f"https://s3tables.{region}.amazonaws.com/iceberg"
        props["warehouse"] = spec.warehouse or ""
        props["rest.sigv4-enabled"] = "true"
        props["rest.signing-name"] = "s3tables"
        props["rest.signing-region"] = region
    else:
        props["type"] = spec.type
        if spec.uri:
            props["uri"] = spec.uri
        if spec.warehouse:
            props["warehouse"] = spec.warehouse
    props.update(spec.properties)
    return props


def resolve_catalog_spec(name: str, context: RunContext) -> CatalogSpec | None:
    """The spec declared as ``name`` in the pipeline's ``catalogs:`` (``None`` for an undeclared default)."""
    spec = context.catalogs.get(name)
    if spec is None and name != DEFAULT_CATALOG:
        declared = sorted(context.catalogs)
        close = difflib.get_close_matches(name, declared, n=1)
        hint = (
            f"did you mean {close[0]!r}?" if close else f"declare it under `catalogs:` (declared: {declared})"
        )
        raise RegistryError(f"unknown Iceberg catalog {name!r}", hint=hint)
    if spec is not None and not isinstance(spec, CatalogSpec):
        # The spec package may hold its own model with the same fields; re-validate it as ours.
        spec = CatalogSpec.model_validate(spec.model_dump() if hasattr(spec, "model_dump") else spec)
    return spec


def _prepare_local_warehouse(props: dict[str, str]) -> None:
    """Create the local directories of a SQLite catalog and a ``file://`` warehouse."""
    uri = props.get("uri", "")
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    warehouse = props.get("warehouse", "")
    if warehouse.startswith("file://"):
        Path(urlparse(warehouse).path).mkdir(parents=True, exist_ok=True)
    elif warehouse and "://" not in warehouse:
        Path(warehouse).mkdir(parents=True, exist_ok=True)


def load_catalog(name: str, spec: CatalogSpec | None, context: RunContext) -> Any:
    """Load the pyiceberg catalog ``name`` described by ``spec`` (``None``: the zero-setup SQL catalog)."""
    pyiceberg_catalog = require("pyiceberg.catalog", "iceberg", purpose="the Iceberg sink")
    props = catalog_properties(spec, context)
    if props.get("type") == "sql":
        _prepare_local_warehouse(props)
    try:
        return pyiceberg_catalog.load_catalog(name, **props)
    except (OSError, ConnectionError) as exc:
        raise TransientConnectorError(f"cannot reach Iceberg catalog {name!r}: {exc}", catalog=name) from exc
    except Exception as exc:
        if props.get("type") == "sql" and "already exists" in str(exc):
            # Two processes created the catalog's own tables at once (pyiceberg checks, then creates):
            # the other one won; loading again finds them.
            raise TransientConnectorError(f"Iceberg catalog {name!r} was being created by another process", catalog=name) from exc
        raise TerminalConnectorError(f"cannot load Iceberg catalog {name!r}: {exc}", catalog=name) from exc


def ensure_namespace(catalog: Any, namespace: str | tuple[str, ...]) -> None:
    """Create ``namespace`` unless it exists. Two processes starting at once may both find it missing;
    pyiceberg's SQL catalog then fails the second one's insert with the database's unique-constraint
    error instead of ``NamespaceAlreadyExistsError``, so a failure is accepted when the namespace
    exists afterwards."""
    try:
        catalog.create_namespace_if_not_exists(namespace)
    except Exception:
        if not catalog.namespace_exists(namespace):
            raise
