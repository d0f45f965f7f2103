"""Config of the ``iceberg`` sink and of Iceberg catalogs (light: pydantic only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakegate.connectors.config import CommitPolicy, StrictModel

S3TABLES_ARN = re.compile(r"^arn:aws[\w-]*:s3tables:(?P<region>[a-z0-9-]+):\d{12}:bucket/[\w.-]+$")

_COLUMN = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_COLUMN_RE = re.compile(rf"^{_COLUMN}$")
_CALL_RE = re.compile(r"^(?P<fn>[A-Za-z_]\w*)\s*\((?P<args>.*)\)$")
_TIME_TRANSFORMS = ("identity", "year", "month", "day", "hour")
_PARAM_TRANSFORMS = ("bucket", "truncate")
PARTITION_SYNTAX = (
    "col, identity(col), year(col), month(col), day(col), hour(col), bucket(N, col) or truncate(W, col)"
)


class CatalogSpec(StrictModel):
    """An Iceberg catalog, declared under the pipeline's ``catalogs:``.

    ``sql`` without a ``uri`` is the zero-setup catalog: a SQLite file ``<state_dir>/catalog.db`` and
    the warehouse ``<state_dir>/warehouse``. ``s3tables`` is Amazon S3 Tables through its Iceberg REST
    endpoint: lakegate builds pyiceberg's REST catalog properties from the table bucket ARN in
    ``warehouse`` (``uri`` = ``https://s3tables.<region>.amazonaws.com/iceberg``,
    ``rest.sigv4-enabled`` = ``true``, ``rest.signing-name`` = ``s3tables``, ``rest.signing-region`` =
    the ARN's region); AWS credentials come from the usual AWS chain or from ``properties``.
    ``hadoop`` (a warehouse directory on HDFS or S3, no catalog service) is for the Flink target only.
    """

    type: Literal["sql", "rest", "glue", "s3tables", "hadoop"] = Field(
        default="sql",
        description="Catalog implementation (pyiceberg catalog type; s3tables is REST with SigV4; "
        "hadoop is supported by the Flink target only).",
    )
    uri: str | None = Field(
        default=None,
        description="Catalog URI: an SQLAlchemy URL for sql (default: SQLite in the state directory), "
        "the endpoint for rest (required), the S3 Tables endpoint for s3tables (default: from the ARN's region).",
    )
    warehouse: str | None = Field(
        default=None,
        description="Warehouse location (default for sql: <state_dir>/warehouse); "
        "for s3tables the table bucket ARN arn:aws:s3tables:<region>:<account>:bucket/<name>.",
    )
    properties: dict[str, str] = Field(
        default_factory=dict,
        description="Extra pyiceberg catalog properties (credentials, io settings); they override lakegate's. "
        "The Flink target passes them to the Iceberg Java catalog too (most names are shared).",
    )
    flink_properties: dict[str, str] = Field(
        default_factory=dict,
        description="Extra Iceberg Java catalog properties for the Flink target's `CREATE CATALOG` only "
        "(e.g. `io-impl`, `client.assume-role.arn`); they override `properties` and lakegate's.",
    )

    @model_validator(mode="after")
    def _check_required(self) -> CatalogSpec:
        if self.type == "hadoop" and not self.warehouse:
            raise ValueError(
                "a hadoop catalog needs a `warehouse` (e.g. s3://bucket/warehouse or hdfs://...)"
            )
        if self.type == "rest" and not self.uri:
            raise ValueError("a rest catalog needs a `uri` (the REST endpoint)")
        if self.type == "s3tables" and not (self.warehouse and S3TABLES_ARN.match(self.warehouse)):
            raise ValueError(
                "an s3tables catalog needs `warehouse` set to the table bucket ARN "
                "(arn:aws:s3tables:<region>:<account>:bucket/<name>)"
            )
        return self


@dataclass(frozen=True)
class PartitionTerm:
    """One parsed ``partition_by`` entry."""

    transform: str
    """identity, year, month, day, hour, bucket or truncate."""
    column: str
    """Source column (a dotted path for a nested struct field)."""
    param: int | None = None
    """N of bucket(N, col), W of truncate(W, col)."""

    @property
    def iceberg_transform(self) -> str:
        """The transform in Iceberg's notation (``day``, ``bucket[16]``, ``truncate[4]``)."""
        return f"{self.transform}[{self.param}]" if self.param is not None else self.transform

    @property
    def field_name(self) -> str:
        """Name of the partition field (``ts_day``, ``id_bucket_16``; the column for identity)."""
        if self.transform == "identity":
            return self.column
        base = self.column.replace(".", "_")
        suffix = "trunc" if self.transform == "truncate" else self.transform
        return f"{base}_{suffix}" + (f"_{self.param}" if self.param is not None else "")


def parse_partition(entry: str) -> PartitionTerm:
    """Parse one ``partition_by`` entry; raise ``ValueError`` with a clear message when invalid.

    >>> parse_partition("bucket(16, id)")
    PartitionTerm(transform='bucket', column='id', param=16)
    """
    text = entry.strip()
    if _COLUMN_RE.match(text):
        return PartitionTerm("identity", text)

    def bad(reason: str) -> ValueError:
        return ValueError(f"invalid partition_by entry {entry!r}: {reason}; expected {PARTITION_SYNTAX}")

    call = _CALL_RE.match(text)
    if not call and text.count("(") != text.count(")"):
        raise bad(
            "unbalanced parentheses — in a YAML flow list `[bucket(4, id)]` the comma splits the "
            "entry; quote it: `['bucket(4, id)']`"
        )
    if not call:
        raise bad("not a column name nor a transform call")
    fn = call["fn"].lower()
    args = [a.strip() for a in call["args"].split(",")]
    if fn in _TIME_TRANSFORMS:
        if len(args) != 1 or not _COLUMN_RE.match(args[0]):
            raise bad(f"{fn}() takes one column name")
        return PartitionTerm(fn, args[0])
    if fn in _PARAM_TRANSFORMS:
        what = "N (number of buckets)" if fn == "bucket" else "W (width)"
        if len(args) != 2 or not _COLUMN_RE.match(args[1]):
            raise bad(f"{fn}() takes {what} and a column name")
        if not args[0].isdigit() or int(args[0]) <= 0:
            raise bad(f"{what} of {fn}() must be a positive integer, not {args[0]!r}")
        return PartitionTerm(fn, args[1], int(args[0]))
    raise bad(f"unknown transform {call['fn']!r}")


class IcebergSinkConfig(StrictModel):
    """Append rows to an Apache Iceberg table; each commit is one snapshot carrying the source positions."""

    type: Literal["iceberg"] = Field(description="Selects the Apache Iceberg sink.")
    catalog: str = Field(
        default="default",
        description="Name of a catalog under the pipeline's `catalogs:`; `default`, when not declared, is "
        "the zero-setup SQLite catalog in the state directory.",
    )
    table: str = Field(
        description="Table identifier `namespace.table` (the namespace is created when missing)."
    )
    partition_by: list[str] = Field(
        default_factory=list,
        description=f"Partition spec of a new table, each entry one of: {PARTITION_SYNTAX}.",
    )
    commit: CommitPolicy = Field(
        default_factory=CommitPolicy,
        description="When buffered rows are committed (each commit writes a snapshot: commit in large batches).",
    )
    properties: dict[str, str] = Field(
        default_factory=dict, description="Extra Iceberg table properties for a new table."
    )

    @field_validator("table")
    @classmethod
    def _check_table(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) < 2 or not all(p.strip() for p in parts):
            raise ValueError(f"invalid table {value!r}: expected `namespace.table`")
        return value

    @field_validator("partition_by")
    @classmethod
    def _check_partition_by(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for entry in value:
            term = parse_partition(entry)
            if term.column in seen:
                # pyiceberg (0.12) cannot write a spec with two partition fields from one column.
                raise ValueError(
                    f"partition_by uses column {term.column!r} twice ({seen[term.column]!r} and {entry!r}); "
                    "partition each column at most once"
                )
            seen[term.column] = entry
        return value

    def partition_terms(self) -> list[PartitionTerm]:
        """The parsed ``partition_by`` entries, in order."""
        return [parse_partition(entry) for entry in self.partition_by]

    @property
    def identifier(self) -> tuple[tuple[str, ...], str]:
        """``(namespace parts, table name)``."""
        *namespace, name = self.table.split(".")
        return tuple(namespace), name
