"""Config model of the ``files`` source (importable with pydantic only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lakegate.connectors.config import StrictModel


class FilesSourceConfig(StrictModel):
    """Read JSON records from local files: NDJSON, JSON arrays or single objects, optionally gzipped.

    NDJSON is the streaming format: it is read in blocks of ``read_chunk_bytes`` whatever the file
    size, resumes by seeking to the last committed byte, and can be followed while it grows. A JSON
    array (or a single pretty-printed object) is loaded whole, so keep such files small.
    """

    type: Literal["files"] = Field(description="Source type: local JSON / NDJSON files.")
    path: str = Field(
        description=(
            "A directory (every file under it, recursively, whose name matches `pattern`) or a glob "
            "such as `data/bids/*.json*` (`**` matches any depth). Relative paths are resolved against "
            "the pipeline file's directory. Names starting with `.` are ignored, so writers can use a "
            "hidden temporary name and rename the file when complete."
        )
    )
    pattern: str = Field(
        "*.*json*",
        description=(
            "File-name pattern (fnmatch style) used when `path` is a directory. The default matches "
            ".json, .jsonl, .ndjson, .json.gz, .jsonl.gz, .ndjson.gz ..."
        ),
    )
    format: Literal["auto", "ndjson", "json"] = Field(
        "auto",
        description=(
            "`ndjson`: one JSON record per line. `json`: the whole file is one JSON document, an array "
            "of records or a single record. `auto`: a file whose first non-blank byte is `[` is an "
            "array, a file holding one multi-line (pretty-printed) value is one record, anything else "
            "is NDJSON. Gzip compression is detected from the content in every format."
        ),
    )
    schema_: str = Field(
        alias="schema",
        description="Name of the pipeline schema (under `schemas:`) the records are decoded with.",
    )
    batch_size: int = Field(
        50_000, gt=0, description="Maximum number of records per chunk handed to the engine."
    )
    poll_seconds: float = Field(
        1.0, gt=0, description="In follow mode, how often to look for new files and appended lines."
    )
    read_chunk_bytes: int = Field(
        8 << 20,
        ge=1,
        le=1 << 30,
        description=(
            "How many bytes of an NDJSON file are read at once; with `batch_size` it bounds memory "
            "whatever the file size (a single line longer than this is still read whole)."
        ),
    )
