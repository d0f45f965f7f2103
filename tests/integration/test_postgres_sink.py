"""The PostgreSQL sink against a real server: upsert, append, atomic positions, lost connections.

The shared guarantees (restart, uncommitted rows vanish, type round trips) are in the conformance
suite (tests/unit/connectors/test_sink_conformance.py); this module covers what is PostgreSQL's own."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql
from pydantic import ValidationError

from lakegate.connectors.base import RunContext
from lakegate.connectors.postgres.config import PostgresSinkConfig
from lakegate.connectors.postgres.sink import PostgresSink
from lakegate.errors import TerminalConnectorError, TransientConnectorError
from tests.helpers.postgres import (
    accounts_pipeline,
    admin,
    fetch,
    pg_dsn,
    temp_schema,
    terminate_backend,
    write_accounts,
)
from tests.integration.conftest import lakegate

pytestmark = pytest.mark.integration

NewSink = Callable[..., PostgresSink]

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("tags", pa.list_(pa.string())),
    ]
)


def rows(*pairs: tuple[int, str]) -> pa.Table:
    return pa.Table.from_pylist([{"id": i, "name": n, "tags": [n]} for i, n in pairs], schema=SCHEMA)


def pos(n: int) -> dict[str, Any]:
    return {"src": {"a.json": {"next": n}}}


@pytest.fixture
def schema() -> Iterator[str]:
    pg_dsn()  # fail early, with the how-to message, when no server answers
    with temp_schema() as name:
        yield name


@pytest.fixture
def new_sink(schema: str, tmp_path: Path) -> Iterator[NewSink]:
    """Build sinks on ``<schema>.events`` (closed at the end of the test)."""
    made: list[PostgresSink] = []
    ctx = RunContext(pipeline="orders", base_dir=tmp_path, state_dir=tmp_path / ".lakegate")

    def build(name: str = "out", **options: Any) -> PostgresSink:
        config = PostgresSinkConfig.model_validate(
            {"type": "postgres", "dsn": pg_dsn(), "table": f"{schema}.events", **options}
        )
        sink = PostgresSink(name, config, ctx)
        made.append(sink)
        return sink

    yield build
    for sink in made:
        sink.close()


def table_rows(schema: str) -> list[tuple[Any, ...]]:
    return fetch(sql.SQL("SELECT id, name FROM {} ORDER BY id, name").format(sql.Identifier(schema, "events")))


def test_upsert_last_value_wins_within_and_across_commits(new_sink: NewSink, schema: str) -> None:
    sink = new_sink(mode="upsert", key=["id"])
    sink.open(SCHEMA)
    sink.write(rows((1, "a"), (2, "b"), (1, "a2")))
    sink.write(rows((1, "a3"), (3, "c")))
    sink.commit(pos(5))
    assert table_rows(schema) == [(1, "a3"), (2, "b"), (3, "c")]
    sink.write(rows((2, "b2"), (4, "d"), (2, "b3")))
    sink.commit(pos(8))
    assert table_rows(schema) == [(1, "a3"), (2, "b3"), (3, "c"), (4, "d")]
    con = duckdb.connect()
    new_sink(mode="upsert", key=["id"]).register_in_duckdb(con, "v")
    assert con.sql("SELECT id, tags FROM v ORDER BY id").fetchall() == [
        (1, ["a3"]), (2, ["b3"]), (3, ["c"]), (4, ["d"]),
    ]  # fmt: skip


def test_append_keeps_every_row(new_sink: NewSink, schema: str) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    sink.write(rows((1, "a"), (1, "a")))
    sink.commit(pos(2))
    sink.write(rows((1, "b")))
    sink.commit(pos(3))
    assert table_rows(schema) == [(1, "a"), (1, "a"), (1, "b")]
    assert new_sink().committed_positions() == pos(3)


def test_table_is_created_with_not_null_primary_key_and_offsets(new_sink: NewSink, schema: str) -> None:
    new_sink(mode="upsert", key=["id"]).open(SCHEMA)
    columns = fetch(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
        [f"{schema}.events"],
    )
    assert columns == [("id", "bigint", True), ("name", "text", False), ("tags", "jsonb", False)]
    pk = fetch(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        [f"{schema}.events"],
    )
    assert pk == [("PRIMARY KEY (id)",)]
    offsets = fetch(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
        [f"{schema}.lakegate_offsets"],
    )
    assert offsets == [
        ("pipeline", "text"), ("sink", "text"), ("positions", "jsonb"), ("committed_at", "timestamp with time zone"),
    ]  # fmt: skip


def test_failure_between_copy_and_commit_leaves_neither_rows_nor_positions(
    new_sink: NewSink, schema: str
) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    sink.write(rows((1, "a")))
    sink.commit(pos(1))
    # The positions upsert (after the COPY, in the same transaction) fails.
    with admin() as con:
        con.execute(
            sql.SQL(
                "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION 'injected failure'; END$$"
            ).format(sql.Identifier(schema, "fail"))
        )
        con.execute(
            sql.SQL("CREATE TRIGGER fail BEFORE UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {}()").format(
                sql.Identifier(schema, "lakegate_offsets"), sql.Identifier(schema, "fail")
            )
        )
    sink.write(rows((2, "b"), (3, "c")))
    with pytest.raises(TerminalConnectorError, match="injected failure"):
        sink.commit(pos(3))
    again = new_sink()
    assert again.committed_positions() == pos(1)
    assert table_rows(schema) == [(1, "a")]


def test_connection_killed_mid_transaction_then_retry_commits_once(
    new_sink: NewSink, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    load = PostgresSink._load

    def load_then_die(self: PostgresSink, con: psycopg.Connection[Any], data: pa.Table) -> None:
        load(self, con, data)
        terminate_backend(self._con)  # after the COPY, before the positions and COMMIT

    monkeypatch.setattr(PostgresSink, "_load", load_then_die)
    sink.write(rows((1, "a"), (2, "b")))
    with pytest.raises(TransientConnectorError, match="commit failed"):
        sink.commit(pos(2))
    assert new_sink().committed_positions() == {}
    assert table_rows(schema) == []
    monkeypatch.setattr(PostgresSink, "_load", load)
    assert sink.pending_records == 2
    sink.commit(pos(2))  # the engine's retry: reconnects, same buffer
    assert table_rows(schema) == [(1, "a"), (2, "b")]
    assert new_sink().committed_positions() == pos(2)


def test_server_restart_before_commit_is_transient_and_retry_writes_rows_once(
    new_sink: NewSink, schema: str
) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    sink.write(rows((1, "a")))
    sink.commit(pos(1))
    sink.write(rows((2, "b"), (3, "c")))
    terminate_backend(sink._con)
    with pytest.raises(TransientConnectorError) as info:
        sink.commit(pos(3))
    assert "terminat" in str(info.value)
    sink.commit(pos(3))
    assert table_rows(schema) == [(1, "a"), (2, "b"), (3, "c")]
    assert new_sink().committed_positions() == pos(3)


def test_connection_lost_after_commit_landed_is_not_loaded_twice(new_sink: NewSink, schema: str) -> None:
    """COMMIT reached the server but its answer did not reach us: the retry must not duplicate."""
    sink = new_sink()
    sink.open(SCHEMA)
    assert sink._con is not None
    con = sink._con
    real_commit = con.commit

    def commit_then_lose_answer() -> None:
        real_commit()
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    con.commit = commit_then_lose_answer  # type: ignore[method-assign]
    sink.write(rows((1, "a"), (2, "b")))
    with pytest.raises(TransientConnectorError):
        sink.commit(pos(2))
    sink.write(rows((3, "c")))  # written after the failure: must still be committed once
    sink.commit(pos(3))
    assert table_rows(schema) == [(1, "a"), (2, "b"), (3, "c")]
    assert new_sink().committed_positions() == pos(3)


def test_positions_only_commit_and_noop(new_sink: NewSink, schema: str) -> None:
    sink = new_sink()
    sink.open(SCHEMA)
    sink.commit(pos(4))
    stamp = fetch(sql.SQL("SELECT committed_at FROM {}").format(sql.Identifier(schema, "lakegate_offsets")))
    sink.commit(pos(4))  # nothing new: no transaction
    assert (
        fetch(sql.SQL("SELECT committed_at FROM {}").format(sql.Identifier(schema, "lakegate_offsets")))
        == stamp
    )
    assert new_sink().committed_positions() == pos(4)
    assert table_rows(schema) == []


def test_incompatible_or_missing_table_is_a_clear_error(new_sink: NewSink, schema: str) -> None:
    with pytest.raises(TerminalConnectorError, match=r"events does not exist.*\n.*create_table"):
        new_sink(create_table=False).open(SCHEMA)
    with admin() as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        con.execute(sql.SQL("CREATE TABLE {} (id text, name varchar(3), extra int NOT NULL)").format(
            sql.Identifier(schema, "events")))  # fmt: skip
    with pytest.raises(TerminalConnectorError) as info:
        new_sink().open(SCHEMA)
    message = str(info.value)
    assert f"table {schema}.events has a different schema" in message
    assert "column 'id' is bigint but the table has text" in message
    assert "column 'tags' is missing from the table" in message
    assert "required column 'extra' of the table is not written" in message
    with admin() as con:
        con.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, "events")))
        con.execute(sql.SQL("CREATE TABLE {} (id bigint, name varchar(3), tags jsonb)").format(
            sql.Identifier(schema, "events")))  # fmt: skip
    with pytest.raises(TerminalConnectorError, match=r"no PRIMARY KEY or unique index on the key \['id'\]"):
        new_sink(mode="upsert", key=["id"]).open(SCHEMA)
    # A compatible table made by someone else: a value too long for it is a terminal data error.
    sink = new_sink()
    sink.open(SCHEMA)
    sink.write(rows((1, "abcd")))
    with pytest.raises(TerminalConnectorError, match="value too long for type character varying"):
        sink.commit(pos(1))
    assert sink.pending_records == 1
    assert new_sink().committed_positions() == {}


def test_upsert_key_must_be_a_required_column(new_sink: NewSink) -> None:
    with pytest.raises(TerminalConnectorError, match="'name' may be null"):
        new_sink(mode="upsert", key=["name"]).open(SCHEMA)
    with pytest.raises(TerminalConnectorError, match="'nope' is not among"):
        new_sink(mode="upsert", key=["nope"]).open(SCHEMA)


def test_config_validation() -> None:
    with pytest.raises(ValidationError, match="mode `upsert` needs `key`"):
        PostgresSinkConfig.model_validate({"type": "postgres", "dsn": "x", "table": "t", "mode": "upsert"})
    with pytest.raises(ValidationError, match="invalid table name"):
        PostgresSinkConfig.model_validate({"type": "postgres", "dsn": "x", "table": "a.b.c"})
    config = PostgresSinkConfig.model_validate({"type": "postgres", "dsn": "postgresql://u:s3cret@h/db", "table": "t"})
    assert "s3cret" not in repr(config) and "s3cret" not in str(config.model_dump())


def test_unreachable_server_is_transient_and_never_shows_the_password(tmp_path: Path) -> None:
    config = PostgresSinkConfig.model_validate(
        {"type": "postgres", "dsn": "postgresql://u:s3cret@127.0.0.1:1/db", "table": "t"}
    )
    sink = PostgresSink("out", config, RunContext("p", tmp_path, tmp_path))
    with pytest.raises(TransientConnectorError) as info:
        sink.committed_positions()
    assert "cannot connect" in str(info.value) and "s3cret" not in str(info.value)
    assert "host=127.0.0.1 port=1 dbname=db user=u" in str(info.value)


def test_committed_positions_without_table_is_empty(new_sink: NewSink) -> None:
    assert new_sink().committed_positions() == {}


def test_cli_run_twice_upserts_each_key_once(
    tmp_path: Path, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEGATE_E2E_PG_DSN", pg_dsn())
    (tmp_path / "data").mkdir()
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(accounts_pipeline(schema))
    write_accounts(tmp_path / "data" / "a.jsonl", range(0, 1000), 1)
    write_accounts(tmp_path / "data" / "b.jsonl", range(500, 800), 2)  # same keys again, newer
    report = tmp_path / "report.json"
    lakegate("run", str(pipeline), "--quiet", "--report", str(report))
    assert json.loads(report.read_text())["sinks"]["accounts_pg"]["records_written"] == 1300

    write_accounts(tmp_path / "data" / "c.jsonl", range(900, 1200), 3)
    lakegate("run", str(pipeline), "--quiet", "--report", str(report))
    assert json.loads(report.read_text())["sinks"]["accounts_pg"]["records_written"] == 300

    proc = lakegate(
        "query", str(pipeline),
        "SELECT count(*) AS n, count(DISTINCT account_id) AS keys, "
        "count(*) FILTER (WHERE floor(balance) = 2) AS v2, count(*) FILTER (WHERE floor(balance) = 3) AS v3, "
        "max(owner) AS owner, min(updated) AS first FROM accounts_pg",
        "--format", "json",
    )  # fmt: skip
    result = json.loads(proc.stdout.splitlines()[0])
    assert result["n"] == result["keys"] == 1200
    assert (result["v2"], result["v3"]) == (300, 300)
    assert result["owner"] == "OWNER-999"
    assert result["first"].startswith("2026-01-01")
    stored = fetch(sql.SQL("SELECT count(*), count(DISTINCT account_id) FROM {}").format(
        sql.Identifier(schema, "accounts")))  # fmt: skip
    assert stored == [(1200, 1200)]


def test_awkward_values_round_trip(new_sink: NewSink) -> None:
    """Values that break naive CSV or text encodings come back unchanged through `lakegate query`'s path."""
    nested = pa.struct([pa.field("b", pa.list_(pa.string())), pa.field("m", pa.map_(pa.int64(), pa.string()))])
    schema = pa.schema([
        pa.field("id", pa.int64(), nullable=False), pa.field("s", pa.string()), pa.field("d", pa.float64()),
        pa.field("f", pa.float32()), pa.field("local", pa.timestamp("us")), pa.field("b", pa.binary()),
        pa.field("nested", nested),
    ])  # fmt: skip
    strings = ["", "\\.", "a\n\\.\nb", "NULL", '"', "\\N", "tab\there", "comma,semi;", "\r\n", "ünï©ødé 🎉", None]
    inf, nan = float("inf"), float("nan")
    doubles = [nan, inf, -inf, -0.0, 1e-300, 0.1 + 0.2, 2.0**60, None, 1.5, 3.0, 4.0]
    times = [dt.datetime(1970, 1, 1), dt.datetime(2024, 2, 29, 23, 59, 59, 999999), None, *[dt.datetime(1, 1, 1)] * 8]
    nests: list[Any] = [{"b": ['q"\\', None], "m": [(1, "x"), (-2, None)]}, None, {"b": None, "m": None}, *[{"b": [], "m": []}] * 8]
    data = pa.table({
        "id": list(range(len(strings))), "s": strings, "d": doubles,
        "f": pa.array([nan, 0.1, None, *[1.25] * 8], pa.float32()), "local": times,
        "b": [b"", b"\x00", b"\\x41", None, *[bytes(range(256))] * 7], "nested": nests,
    }, schema=schema)  # fmt: skip
    sink = new_sink()
    sink.open(schema)
    sink.write(data)
    sink.commit(pos(1))
    con = duckdb.connect()
    new_sink().register_in_duckdb(con, "v")
    back = con.sql("SELECT * FROM v ORDER BY id").to_arrow_table()
    assert back.schema.names == schema.names
    expected, got = data.to_pylist(), back.cast(schema).to_pylist()
    for want, have in zip(expected, got, strict=True):
        for column in ("d", "f"):
            w, h = want.pop(column), have.pop(column)
            assert (w is None and h is None) or (w != w and h != h) or w == h, (column, w, h)
        assert want == have


def test_role_without_create_privileges_writes_into_prepared_tables(new_sink: NewSink, schema: str) -> None:
    """A production role may only read and write the tables an administrator created for it."""
    new_sink(mode="upsert", key=["id"]).open(SCHEMA)  # the administrator's run creates the tables
    role = f"lg_writer_{schema[-12:]}"
    names = {"role": sql.Identifier(role), "schema": sql.Identifier(schema)}
    with admin() as con:
        con.execute(sql.SQL("CREATE ROLE {role} LOGIN PASSWORD 'lg-writer'").format(**names))
    try:
        with admin() as con:
            con.execute(sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {role}").format(**names))
            con.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO {role}").format(**names))
        dsn = psycopg.conninfo.make_conninfo(pg_dsn(), user=role, password="lg-writer")
        sink = new_sink(dsn=dsn, mode="upsert", key=["id"])
        sink.open(SCHEMA)
        sink.write(rows((1, "a"), (1, "b")))
        sink.commit(pos(2))
        sink.close()
        assert table_rows(schema) == [(1, "b")]
    finally:
        with admin() as con:
            con.execute(sql.SQL("DROP OWNED BY {role}").format(**names))
            con.execute(sql.SQL("DROP ROLE {role}").format(**names))



FENCED_PIPELINE = """
pipeline: fenced
schemas:
  event:
    fields:
      - {name: id, type: long, required: true}
      - {name: name, type: string}
sources:
  events: {type: files, path: data, schema: event}
transforms:
  copy:
    source: events
    rules:
      - type: python
        class: tests.helpers.transformers.CommitsAsAnotherProcess
        options:
          dsn: "${LAKEGATE_E2E_PG_DSN}"
          schema: SCHEMA
          pipeline: fenced
          sink: events_pg
          positions: '{"events": {"a.jsonl": {"next": 0}}}'  # took the file over, read nothing yet
    sinks: [events_pg]
sinks:
  events_pg: {type: postgres, dsn: "${LAKEGATE_E2E_PG_DSN}", table: SCHEMA.events}
"""


def test_a_fenced_commit_makes_the_run_start_again_from_the_stored_positions(
    tmp_path: Path, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the run holds its first batch, "another process" moves the sink's stored positions: the
    run's commit is refused, it drops the batch, reads the positions again and writes every row once."""
    monkeypatch.setenv("LAKEGATE_E2E_PG_DSN", pg_dsn())
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text("".join(json.dumps({"id": i, "name": f"n{i}"}) + "\n" for i in range(50)))
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(FENCED_PIPELINE.replace("SCHEMA", schema))
    report = tmp_path / "report.json"
    proc = lakegate("run", str(pipeline), "--quiet", "--report", str(report))
    assert "another process committed" in proc.stderr and "starting again" in proc.stderr
    assert json.loads(report.read_text())["restarts"] == 1
    stored = fetch(sql.SQL("SELECT count(*), count(DISTINCT id) FROM {}").format(sql.Identifier(schema, "events")))
    assert stored == [(50, 50)]
