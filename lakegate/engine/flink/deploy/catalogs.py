"""``CREATE CATALOG`` statements for the Iceberg catalogs a pipeline's sinks use.

Each catalog under the pipeline's ``catalogs:`` becomes a Flink catalog of ``'type' = 'iceberg'`` with
the Iceberg Java catalog it maps to:

=========== =====================================================================================
s3tables    ``catalog-impl`` = ``software.amazon.s3tables.iceberg.S3TablesCatalog``, ``warehouse`` =
            the table bucket ARN, ``client.region`` = the ARN's region
glue        ``catalog-impl`` = ``org.apache.iceberg.aws.glue.GlueCatalog`` with ``S3FileIO``
rest        ``catalog-type`` = ``rest`` and the ``uri``
hadoop      ``catalog-type`` = ``hadoop`` and the ``warehouse`` directory
sql         not supported: pyiceberg's SQL catalog (by default a SQLite file on this machine) is
            not reachable from a Flink cluster
=========== =====================================================================================

then ``properties`` and ``flink_properties`` of the catalog spec, in that order.
"""

from __future__ import annotations

from typing import Any

from lakegate.connectors.iceberg.catalog import DEFAULT_CATALOG
from lakegate.connectors.iceberg.config import S3TABLES_ARN, CatalogSpec
from lakegate.engine.flink.deploy.sqltext import Option, comment, ident, with_clause
from lakegate.errors import CompileError

S3TABLES_CATALOG_IMPL = "software.amazon.s3tables.iceberg.S3TablesCatalog"
GLUE_CATALOG_IMPL = "org.apache.iceberg.aws.glue.GlueCatalog"
S3_FILE_IO = "org.apache.iceberg.aws.s3.S3FileIO"


def catalog_spec(name: str, catalogs: dict[str, Any]) -> CatalogSpec:
    """The declared spec of catalog ``name``; a :class:`CompileError` when it cannot serve a Flink job."""
    spec = catalogs.get(name)
    if spec is None:
        if name == DEFAULT_CATALOG:
            raise CompileError(
                "the zero-setup `default` Iceberg catalog (SQLite in the state directory) is local to "
                "this machine; a Flink job cannot use it",
                hint="declare the catalog under `catalogs:` with type s3tables, glue, rest or hadoop and "
                "set `catalog:` on the Iceberg sinks",
                catalog=name,
            )
        raise CompileError(f"unknown Iceberg catalog {name!r}", hint=f"declared: {sorted(catalogs)}")
    if not isinstance(spec, CatalogSpec):
        spec = CatalogSpec.model_validate(spec.model_dump() if hasattr(spec, "model_dump") else spec)
    if spec.type == "sql":
        raise CompileError(
            "an Iceberg catalog of type `sql` (pyiceberg's SQL catalog) is not supported by the Flink target",
            hint="use a catalog of type s3tables, glue, rest or hadoop",
            catalog=name,
        )
    return spec


def catalog_options(name: str, spec: CatalogSpec) -> list[Option]:
    """The ``WITH`` options of the Flink Iceberg catalog ``name``."""
    options = [Option("type", "iceberg")]
    if spec.type == "s3tables":
        match = S3TABLES_ARN.match(spec.warehouse or "")
        region = match["region"] if match else ""
        options += [
            Option("catalog-impl", S3TABLES_CATALOG_IMPL, "Amazon S3 Tables"),
            Option("warehouse", spec.warehouse or "", "the table bucket ARN"),
            Option("client.region", region, "region of the table bucket"),
        ]
    elif spec.type == "glue":
        options += [
            Option("catalog-impl", GLUE_CATALOG_IMPL, "AWS Glue Data Catalog"),
            Option("io-impl", S3_FILE_IO),
        ]
        if spec.warehouse:
            options.append(Option("warehouse", spec.warehouse))
    elif spec.type == "rest":
        options += [Option("catalog-type", "rest"), Option("uri", spec.uri or "")]
        if spec.warehouse:
            options.append(Option("warehouse", spec.warehouse))
    elif spec.type == "hadoop":
        options += [Option("catalog-type", "hadoop"), Option("warehouse", spec.warehouse or "")]
    else:  # pragma: no cover - catalog_spec rejects the rest
        raise CompileError(f"catalog type {spec.type!r} is not supported by the Flink target", catalog=name)
    set_by_lakegate = {o.key for o in options}
    for source, extra in (("properties", spec.properties), ("flink_properties", spec.flink_properties)):
        for key, value in extra.items():
            note = f"from `{source}`" + (" (overrides lakegate's)" if key in set_by_lakegate else "")
            options = [o for o in options if o.key != key]
            options.append(Option(key, value, note))
    return options


def create_catalog(name: str, spec: CatalogSpec) -> str:
    """``CREATE CATALOG`` for ``name``, with a comment saying what it is."""
    head = comment(f"Iceberg catalog {name!r} (catalogs.{name}, type {spec.type})")
    return f"{head}\nCREATE CATALOG {ident(name)}\n{with_clause(catalog_options(name, spec))}"
