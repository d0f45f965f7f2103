"""Which files a ``files`` source reads, and the stable stream id of each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakegate.errors import TerminalConnectorError

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class FileSet:
    """The files a source covers: every file under ``root`` matching ``glob`` (relative to ``root``)
    or, when ``glob`` is None, every file under ``root`` (recursively) whose name matches ``pattern``.

    A file's stream id is its POSIX path relative to ``root``, so it stays the same across runs and
    machines as long as the layout below ``root`` does.
    """

    root: Path
    glob: str | None
    pattern: str

    @classmethod
    def from_path(cls, path: Path, pattern: str) -> FileSet:
        """Split a resolved ``path`` (directory, glob or single file) into a root and a glob."""
        parts = path.parts
        for i, part in enumerate(parts):
            if _GLOB_CHARS.intersection(part):
                return cls(Path(*parts[:i]), "/".join(parts[i:]), pattern)
        if path.is_file():
            return cls(path.parent, path.name, pattern)
        return cls(path, None, pattern)

    def check_root(self, source: str) -> None:
        """Raise a terminal error when the root directory does not exist."""
        if not self.root.is_dir():
            raise TerminalConnectorError(
                f"the directory {str(self.root)!r} of files source {source!r} does not exist",
                source=source,
                hint="check `path`; relative paths are resolved against the pipeline file's directory",
            )

    def list(self) -> list[tuple[str, Path]]:
        """``(stream id, path)`` of every matching regular file, sorted by stream id.

        Hidden names (a path component below the root starting with ``.``) are skipped: they are
        the conventional temporary names of files still being written.
        """
        found = self.root.glob(self.glob) if self.glob is not None else self.root.rglob(self.pattern)
        files: list[tuple[str, Path]] = []
        for path in found:
            rel = path.relative_to(self.root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            try:
                if not path.is_file():
                    continue
            except OSError:
                continue
            files.append((rel.as_posix(), path))
        files.sort(key=lambda item: item[0])
        return files
