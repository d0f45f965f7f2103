"""The ``parquet`` sink."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from lakegate.connectors.base import Capabilities, Delivery
from lakegate.connectors.filelog import FileSink
from lakegate.connectors.views import quote_literal


class ParquetSink(FileSink):
    """One Parquet file per commit; committed files are listed in ``_lakegate_commits.json``.

    Readers other than lakegate should read only the files the commit log lists: a crash can leave an
    uncommitted ``part-*.parquet`` file behind until the sink opens again.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE, queryable=True)
    suffix: ClassVar[str] = ".parquet"

    def write_file(self, table: pa.Table, path: Path) -> None:
        """Write ``table`` as one Parquet file with the configured codec."""
        pq.write_table(table, path, compression=self.config.compression)

    def scan_sql(self, files: list[Path], schema: pa.Schema | None) -> str:
        """``read_parquet`` over the committed files, columns matched by name across files."""
        listed = ", ".join(quote_literal(str(f)) for f in files)
        return f"SELECT * FROM read_parquet([{listed}], union_by_name = true)"
