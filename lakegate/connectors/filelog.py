"""A commit log for sinks that write plain files into a directory (Parquet, JSON lines).

Every commit writes at most one data file and then the state file ``_lakegate_commits.json``:

1. the rows go to a temporary file (``.lg-tmp-…``), which is fsynced;
2. it is renamed to its final name ``part-<sequence>-<uuid>.<suffix>`` (not yet committed);
3. the state file — the list of committed data files, the source positions and the Arrow schema — is
   written to a temporary file, fsynced and moved over the old one with :func:`os.replace`.

Step 3 is the commit point: a crash before it leaves a data file that the state does not list. Such
orphans (and leftover temporary files) are deleted when the sink opens again, so readers that follow the
state file (:meth:`FileSink.register_in_duckdb`) see each committed row exactly once.

Only files that follow lakegate's own naming are ever deleted; other files in the directory are left
alone. One directory belongs to one sink of one running pipeline: two writers would race on the state.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from lakegate.connectors.base import BufferedSink, Capabilities, Delivery, RunContext
from lakegate.connectors.views import create_empty_view, create_view
from lakegate.errors import TerminalConnectorError
from lakegate.records import SourcePositions

STATE_FILE = "_lakegate_commits.json"
DATA_PREFIX = "part-"
TMP_PREFIX = ".lg-tmp-"
STATE_VERSION = 1


@dataclass
class CommitState:
    """What the state file says: committed data files (names relative to the directory) and positions."""

    files: list[str] = field(default_factory=list)
    positions: SourcePositions = field(default_factory=dict)
    schema: pa.Schema | None = None
    sequence: int = 0
    """Number of commits so far; numbers the data files."""

    def to_json(self) -> dict[str, Any]:
        """The JSON document stored in the state file."""
        schema = None
        if self.schema is not None:
            schema = base64.b64encode(self.schema.serialize().to_pybytes()).decode("ascii")
        return {
            "version": STATE_VERSION,
            "sequence": self.sequence,
            "files": self.files,
            "positions": self.positions,
            "schema": schema,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CommitState:
        """Parse the document written by :meth:`to_json`."""
        schema = None
        if doc.get("schema"):
            schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(doc["schema"])))
        return cls(
            files=list(doc.get("files", [])),
            positions=dict(doc.get("positions", {})),
            schema=schema,
            sequence=int(doc.get("sequence", 0)),
        )


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CommitLog:
    """The state file of one sink directory, and the rules that make a data file committed."""

    def __init__(self, directory: Path, suffix: str) -> None:
        self.directory = directory
        self.suffix = suffix
        self.state_path = directory / STATE_FILE

    def read(self) -> CommitState | None:
        """The committed state, or ``None`` when the sink never opened this directory."""
        try:
            text = self.state_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return CommitState.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise TerminalConnectorError(
                f"the commit log {self.state_path} is corrupt: {exc}",
                hint="restore it from a backup or remove the directory to start over",
            ) from exc

    def write(self, state: CommitState) -> None:
        """Atomically replace the state file (the commit point)."""
        tmp = self.directory / f"{TMP_PREFIX}{uuid.uuid4().hex}-{STATE_FILE}"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state.to_json(), fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)
        _fsync_dir(self.directory)

    def recover(self, state: CommitState | None) -> list[Path]:
        """Delete temporary files and data files that ``state`` does not list; return them."""
        listed = set(state.files if state else ())
        removed = []
        for path in self.directory.iterdir():
            name = path.name
            is_tmp = name.startswith(TMP_PREFIX)
            is_orphan = name.startswith(DATA_PREFIX) and name.endswith(self.suffix) and name not in listed
            if (is_tmp or is_orphan) and path.is_file():
                path.unlink()
                removed.append(path)
        if removed:
            _fsync_dir(self.directory)
        return removed

    def staging_path(self) -> Path:
        """A fresh temporary path to write the next data file to."""
        return self.directory / f"{TMP_PREFIX}{uuid.uuid4().hex}{self.suffix}"

    def publish(
        self,
        state: CommitState,
        staged: Path | None,
        positions: SourcePositions,
        schema: pa.Schema | None,
    ) -> CommitState:
        """Move ``staged`` into place and commit it with ``positions``; return the new state."""
        sequence = state.sequence + 1
        files = list(state.files)
        if staged is not None:
            _fsync_file(staged)
            name = f"{DATA_PREFIX}{sequence:08d}-{uuid.uuid4().hex[:12]}{self.suffix}"
            os.replace(staged, self.directory / name)
            files.append(name)
        new_state = CommitState(files=files, positions=positions, schema=schema, sequence=sequence)
        self.write(new_state)
        return new_state


def copy_positions(positions: SourcePositions, sink: str) -> SourcePositions:
    """A deep copy of ``positions`` through JSON (which also proves they can be stored)."""
    try:
        copied: SourcePositions = json.loads(json.dumps(positions))
    except (TypeError, ValueError) as exc:
        raise TerminalConnectorError(f"source positions are not JSON-serialisable: {exc}", sink=sink) from exc
    return copied


class FileSink(BufferedSink):
    """Base of sinks that write one file per commit into a directory, tracked by a :class:`CommitLog`.

    Subclasses set :attr:`suffix` and implement :meth:`write_file` and :meth:`scan_sql`. The config
    must have a ``path`` (the directory).
    """

    capabilities: ClassVar[Capabilities] = Capabilities(delivery=Delivery.EXACTLY_ONCE, queryable=True)
    suffix: ClassVar[str] = ""

    def __init__(self, name: str, config: Any, context: RunContext) -> None:
        super().__init__(name, config, context)
        self.directory = context.resolve(config.path)
        self.log = CommitLog(self.directory, self.suffix)
        self._state: CommitState | None = None
        self._schema: pa.Schema | None = None

    @abstractmethod
    def write_file(self, table: pa.Table, path: Path) -> None:
        """Write ``table`` (at least one row) to ``path`` in this sink's format."""

    @abstractmethod
    def scan_sql(self, files: list[Path], schema: pa.Schema | None) -> str:
        """A DuckDB ``SELECT`` over the committed ``files`` (never empty)."""

    def open(self, schema: pa.Schema) -> None:
        """Create the directory, delete what a crash left behind, and record the schema."""
        self.directory.mkdir(parents=True, exist_ok=True)
        state = self.log.read()
        self.log.recover(state)
        if state is None or state.schema is None or not state.schema.equals(schema):
            state = state or CommitState()
            state.schema = schema
            self.log.write(state)
        self._state = state
        self._schema = schema

    def committed_positions(self) -> SourcePositions:
        """The positions in the state file (``{}`` before the first commit)."""
        state = self.log.read()
        return copy_positions(state.positions, self.name) if state else {}

    def commit(self, positions: SourcePositions) -> None:
        """Write the buffered rows to one file and commit it with ``positions`` in the state file."""
        if self._state is None or self._schema is None:
            raise TerminalConnectorError("commit() called before open()", sink=self.name)
        positions = copy_positions(positions, self.name)
        if not self.pending_records and positions == self._state.positions:
            return
        staged = None
        if self.pending_records:
            staged = self.log.staging_path()
            data = self.buffered()
            try:
                self.write_file(data, staged)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        self._state = self.log.publish(self._state, staged, positions, self._schema)
        self.clear_buffer()

    def close(self) -> None:
        """Drop uncommitted rows."""
        self.clear_buffer()

    def committed_files(self) -> list[Path]:
        """Absolute paths of the committed data files, oldest first."""
        state = self.log.read()
        return [self.directory / name for name in state.files] if state else []

    def register_in_duckdb(self, con: Any, view: str) -> None:
        """A view over the committed files only (empty, with the right columns, before any commit)."""
        state = self.log.read()
        if state is None:
            raise TerminalConnectorError(
                f"sink {self.name!r} has no data yet: {self.directory} was never written",
                hint="run the pipeline first",
            )
        files = [self.directory / name for name in state.files]
        if files:
            create_view(con, view, self.scan_sql(files, state.schema))
        elif state.schema is not None:
            create_empty_view(con, view, state.schema)
        else:  # pragma: no cover - a state file always carries the schema it was opened with
            raise TerminalConnectorError(f"sink {self.name!r} has no schema yet", sink=self.name)
