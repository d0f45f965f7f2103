"""The ``files`` source: NDJSON / JSON files, optionally gzipped (see :mod:`.source`).

Only the config model is imported here, so validating a spec needs nothing but pydantic.
"""

from lakegate.connectors.files.config import FilesSourceConfig

__all__ = ["FilesSourceConfig"]
