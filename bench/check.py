"""Check that lakegate and the baseline wrote the same rows (read back with pyiceberg).

Both tables are scanned whole, sorted by ``(source_file, line)`` (unique per input record), and compared
column by column, ``ingested_at`` excepted (the wall-clock time of the run). The result also carries a
SHA-256 over the sorted rows of each table, so two runs can be compared by their digests alone.

    python -m bench.check <lakegate state dir> <baseline state dir>
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

TABLE = "bench.orders"
SORT_KEYS = [("source_file", "ascending"), ("line", "ascending")]
IGNORED = ("ingested_at",)


@dataclass
class CheckResult:
    lakegate_rows: int
    baseline_rows: int
    same_rows: bool
    lakegate_digest: str
    baseline_digest: str
    schema_differences: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.same_rows and self.lakegate_rows == self.baseline_rows

    def summary(self) -> str:
        verdict = "SAME" if self.ok else "DIFFERENT"
        text = (
            f"output check: {verdict} — lakegate {self.lakegate_rows:,} rows, baseline {self.baseline_rows:,} "
            f"rows; sha256 of sorted rows (without {', '.join(IGNORED)}): lakegate {self.lakegate_digest[:16]}…, "
            f"baseline {self.baseline_digest[:16]}…"
        )
        for line in [*self.schema_differences, *self.differences]:
            text += f"\n  {line}"
        return text


def read_table(state_dir: Path) -> pa.Table:
    """The whole ``bench.orders`` table of the zero-setup catalog in ``state_dir``."""
    from pyiceberg.catalog import load_catalog

    state_dir = state_dir.resolve()
    catalog = load_catalog(
        "default",
        type="sql",
        uri=f"sqlite:///{state_dir / 'catalog.db'}",
        warehouse=(state_dir / "warehouse").as_uri(),
    )
    try:
        return catalog.load_table(TABLE).scan().to_arrow()
    finally:
        catalog.close()


def _normalise(table: pa.Table) -> pa.Table:
    table = table.drop_columns([c for c in IGNORED if c in table.column_names])
    return table.sort_by(SORT_KEYS).combine_chunks()


def digest(table: pa.Table) -> str:
    """SHA-256 of the rows of a normalised table, through a canonical text rendering of each column."""
    h = hashlib.sha256()
    for name in table.column_names:
        h.update(name.encode() + b"\x1e")
        text = pc.fill_null(table.column(name).cast(pa.string()), "\x00")
        for chunk in text.chunks:
            joined = pc.binary_join_element_wise(chunk, pa.scalar("", pa.string()), "\x1f")
            _, offsets, data = joined.buffers()
            ends = pa.Array.from_buffers(pa.int32(), len(joined) + 1, [None, offsets], offset=joined.offset)
            if data is not None:
                h.update(memoryview(data)[ends[0].as_py() : ends[-1].as_py()])
    return h.hexdigest()


def compare(lakegate_state: Path, baseline_state: Path) -> CheckResult:
    left = _normalise(read_table(lakegate_state))
    right = _normalise(read_table(baseline_state))
    schema_differences = []
    for f in left.schema:
        if f.name not in right.column_names:
            schema_differences.append(f"column {f.name} only in lakegate's table")
        elif not right.schema.field(f.name).type.equals(f.type):
            schema_differences.append(
                f"column {f.name}: lakegate {f.type}, baseline {right.schema.field(f.name).type}"
            )
    schema_differences += [
        f"column {n} only in the baseline's table" for n in right.column_names if n not in left.column_names
    ]
    differences = []
    same = left.num_rows == right.num_rows and not any("only in" in d for d in schema_differences)
    if same:
        for name in left.column_names:
            a, b = left.column(name), right.column(name)
            if not a.type.equals(b.type):
                b = b.cast(a.type)
            if a.equals(b):
                continue
            same = False
            unequal = pc.invert(pc.fill_null(pc.equal(a, b), False))
            both_null = pc.and_(pc.is_null(a), pc.is_null(b))
            unequal = pc.and_(unequal, pc.invert(both_null))
            where = pc.indices_nonzero(unequal)
            if len(where) == 0:
                continue
            i = where[0].as_py()
            differences.append(
                f"column {name}: {len(where):,} rows differ, e.g. {left.column('source_file')[i]}:"
                f"{left.column('line')[i]} lakegate={a[i].as_py()!r} baseline={b[i].as_py()!r}"
            )
    aligned = right.select(left.column_names).cast(left.schema) if same else right
    return CheckResult(
        left.num_rows, right.num_rows, same, digest(left), digest(aligned), schema_differences, differences
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("lakegate_state", type=Path)
    parser.add_argument("baseline_state", type=Path)
    args = parser.parse_args(argv)
    result = compare(args.lakegate_state, args.baseline_state)
    print(result.summary())
    print(json.dumps({**asdict(result), "ok": result.ok}, indent=2))


if __name__ == "__main__":
    main()
