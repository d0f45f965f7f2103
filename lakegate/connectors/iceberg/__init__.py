"""Apache Iceberg sink: each commit is one snapshot whose summary carries the source positions.

Only :mod:`.config` is imported here; the implementation (which needs pyiceberg, from the
``lakegate[iceberg]`` extra) is loaded lazily through the connector registry.
"""

from lakegate.connectors.iceberg.config import CatalogSpec, IcebergSinkConfig

__all__ = ["CatalogSpec", "IcebergSinkConfig"]
