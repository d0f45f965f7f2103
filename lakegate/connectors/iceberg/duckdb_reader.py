"""Read Iceberg tables with DuckDB's Iceberg extension: a reader that shares no code with pyiceberg.

The extension binaries come from the PyPI packages ``duckdb-extension-iceberg`` and
``duckdb-extension-avro`` (the ``lakegate[iceberg-reader]`` extra), which ship
``extensions/v<duckdb version>/<name>.duckdb_extension`` files; they are loaded from there, so no
download happens at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from lakegate._optional import require
from lakegate.connectors.views import quote_literal
from lakegate.errors import MissingDependencyError

_EXTENSIONS = (("avro", "duckdb_extension_avro"), ("iceberg", "duckdb_extension_iceberg"))


def extension_path(name: str, package: str) -> Path:
    """The ``.duckdb_extension`` file that ``package`` ships for the installed DuckDB version."""
    module = require(package, "iceberg-reader", purpose="reading Iceberg tables with DuckDB")
    root = Path(module.__file__ or "").parent / "extensions"
    exact = root / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if exact.is_file():
        return exact
    found = sorted(root.glob(f"*/{name}.duckdb_extension"))
    raise MissingDependencyError(
        f"{package} has no {name} extension for DuckDB {duckdb.__version__} "
        f"(found: {[str(p.parent.name) for p in found] or 'none'})",
        hint=f"pip install '{package.replace('_', '-')}=={duckdb.__version__}'",
    )


def load_iceberg_extension(con: Any) -> None:
    """Load the avro and iceberg extensions into ``con`` (a no-op when already loaded)."""
    loaded = {
        str(row[0])
        for row in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()
    }
    for name, package in _EXTENSIONS:
        if name not in loaded:
            con.execute(f"LOAD {quote_literal(str(extension_path(name, package)))}")


def iceberg_scan_sql(metadata_location: str) -> str:
    """``SELECT * FROM iceberg_scan(...)`` over the table version in ``metadata_location``."""
    return f"SELECT * FROM iceberg_scan({quote_literal(metadata_location)})"


def read_iceberg_table(metadata_location: str) -> pa.Table:
    """Read a whole Iceberg table version (its ``metadata.json``) into Arrow through DuckDB."""
    con = duckdb.connect()
    try:
        load_iceberg_extension(con)
        result: pa.Table = con.sql(iceberg_scan_sql(metadata_location)).to_arrow_table()
        return result
    finally:
        con.close()
