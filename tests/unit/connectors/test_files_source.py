"""The ``files`` source on real files in a temporary directory."""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import os
import random
import threading
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from pydantic import ValidationError

from lakegate.connectors.base import RawChunk, RunContext
from lakegate.connectors.files.config import FilesSourceConfig
from lakegate.connectors.files.source import FilesSource
from lakegate.connectors.sources import SOURCE_CONFIG_MODELS, load_source_class
from lakegate.connectors.undecodable import MARK
from lakegate.errors import RegistryError, TerminalConnectorError
from lakegate.records import Position

Record = tuple[str, int, str]


def make_source(base: Path, path: str = "data", **options: Any) -> FilesSource:
    context = RunContext(pipeline="test", base_dir=base, state_dir=base / "state")
    config = FilesSourceConfig.model_validate({"type": "files", "path": path, "schema": "s", **options})
    return FilesSource("events", config, context)


def records_of(chunks: list[RawChunk]) -> list[Record]:
    out: list[Record] = []
    for chunk in chunks:
        assert len(chunk.streams) == len(chunk.indexes) == len(chunk.metadata["file"]) == len(chunk)
        columns = (chunk.streams, chunk.indexes, chunk.payloads)
        out += zip(*(column.to_pylist() for column in columns), strict=True)
    return out


def run(source: FilesSource, start: Position | None = None) -> tuple[list[Record], list[RawChunk]]:
    """Everything ``source`` reads from ``start``, as one run does (then closed, releasing its lock)."""
    try:
        chunks = list(source.chunks(start or {}))
    finally:
        source.close()
    return records_of(chunks), chunks


def write(path: Path, data: bytes | str, *, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def ndjson(values: list[Any]) -> str:
    return "".join(json.dumps(value) + "\n" for value in values)


def compact(value: Any) -> str:
    return orjson.dumps(value).decode()


# -- formats ---------------------------------------------------------------------------------------

OBJ = {"id": 1, "name": "é", "tags": ["a"], "nested": {"x": 1.5}}
FORMATS = {
    "ndjson": (ndjson([OBJ, {"id": 2}]), [compact(OBJ), compact({"id": 2})]),
    "array": (json.dumps([OBJ, {"id": 2}], indent=2), [compact(OBJ), compact({"id": 2})]),
    "object": (json.dumps(OBJ), [compact(OBJ)]),
    "pretty": (json.dumps(OBJ, indent=2) + "\n", [compact(OBJ)]),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("kind", list(FORMATS))
def test_formats(tmp_path: Path, kind: str, gz: bool) -> None:
    text, expected = FORMATS[kind]
    path = write(tmp_path / "data" / f"f.json{'.gz' if gz else ''}", text, gz=gz)
    records, chunks = run(make_source(tmp_path))
    stream = path.name
    assert [(s, i) for s, i, _ in records] == [(stream, i) for i in range(len(expected))]
    assert [orjson.loads(p) for _, _, p in records] == [orjson.loads(p) for p in expected]
    entry = chunks[-1].position[stream]
    assert entry["next"] == len(expected) and entry["done"] is True
    assert entry["size"] == path.stat().st_size and entry["mtime_ns"] == path.stat().st_mtime_ns
    seekable = kind in ("ndjson", "object") and not gz
    assert ("bytes" in entry) is seekable
    if seekable:
        assert entry["bytes"] == path.stat().st_size
    assert chunks[0].metadata["file"].to_pylist()[0] == str(path)
    assert chunks[0].payloads.type in (pa.string(), pa.large_string())
    assert chunks[0].indexes.type == pa.int64() and pa.types.is_dictionary(chunks[0].streams.type)


def test_blank_lines_crlf_and_unterminated_last_line(tmp_path: Path) -> None:
    text = '\n  \n{"a": 1}\r\n\r\n\t\n  {"a": 2}  \r\n\n{"a": 3}'
    path = write(tmp_path / "data" / "a.jsonl", text)
    records, chunks = run(make_source(tmp_path))
    assert records == [("a.jsonl", 0, '{"a": 1}'), ("a.jsonl", 1, '{"a": 2}'), ("a.jsonl", 2, '{"a": 3}')]
    assert chunks[-1].position["a.jsonl"] == {
        "next": 3,
        "bytes": path.stat().st_size,
        "size": path.stat().st_size,
        "mtime_ns": path.stat().st_mtime_ns,
        "done": True,
    }


@pytest.mark.parametrize("read_chunk_bytes", [1, 7, 64, 1000])
def test_lines_spanning_reads(tmp_path: Path, read_chunk_bytes: int) -> None:
    rng = random.Random(read_chunk_bytes)
    values = [{"i": i, "pad": "x" * rng.randint(0, 150)} for i in range(300)]
    lines = [json.dumps(v) + rng.choice(["\n", "\r\n", "\n\n", "\n  \n"]) for v in values]
    write(tmp_path / "data" / "a.ndjson", "".join(lines))
    records, _ = run(make_source(tmp_path, read_chunk_bytes=read_chunk_bytes, batch_size=17))
    assert [(i, orjson.loads(p)) for _, i, p in records] == list(enumerate(values))


def test_malformed_lines_are_payloads(tmp_path: Path) -> None:
    write(tmp_path / "data" / "a.ndjson", '{oops\n{"a": 1}\n{"a": \n[1, 2]\n')
    write(tmp_path / "data" / "b.ndjson", "not json\nat all\n")
    write(tmp_path / "data" / "c.json", '[{"a": 1}, ')
    records, _ = run(make_source(tmp_path))
    assert [p for _, _, p in records] == [
        "{oops",
        '{"a": 1}',
        '{"a":',
        "[1, 2]",
        "not json",
        "at all",
        '[{"a": 1},',
    ]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("kind", ["ndjson", "pretty"])
def test_utf8_byte_order_mark_is_skipped(tmp_path: Path, kind: str, gz: bool) -> None:
    text, expected = FORMATS[kind]
    write(tmp_path / "data" / "a.json", b"\xef\xbb\xbf" + text.encode(), gz=gz)
    records, _ = run(make_source(tmp_path))
    assert [orjson.loads(p) for _, _, p in records] == [orjson.loads(p) for p in expected]


def test_invalid_utf8_is_escaped_not_altered(tmp_path: Path) -> None:
    write(tmp_path / "data" / "a.ndjson", b'{"a": "ok"}\n{"a": "\xff\xfe"}\n{"a": "\xc3\xa9"}\n')
    records, _ = run(make_source(tmp_path))
    payloads = [p for _, _, p in records]
    assert payloads[0] == '{"a": "ok"}' and payloads[2] == '{"a": "é"}'
    assert payloads[1] == '{"a": "\\xff\\xfe"}'
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(payloads[1])


@pytest.mark.parametrize("name", ["a.ndjson", "b.json"])  # split lines, or one whole document
def test_invalid_utf8_after_a_backslash_still_fails_decoding(tmp_path: Path, name: str) -> None:
    # "\\" + "\\xff" would read as a valid JSON escape: the text is marked instead
    write(tmp_path / "data" / name, b'{"a": "x\\\xff"}\n')
    records, _ = run(make_source(tmp_path, format="ndjson" if name.endswith("ndjson") else "json"))
    (payload,) = [p for _, _, p in records]
    assert payload == MARK + '{"a": "x\\\\xff"}'
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(payload)


def test_explicit_formats(tmp_path: Path) -> None:
    write(tmp_path / "data" / "a.json", "[1, 2]\n[3]\n")
    records, _ = run(make_source(tmp_path, format="ndjson"))
    assert [p for _, _, p in records] == ["[1, 2]", "[3]"]
    records, _ = run(make_source(tmp_path, format="json"))
    assert [p for _, _, p in records] == ["[1, 2]\n[3]"]  # not one JSON document: one bad payload
    write(tmp_path / "data" / "a.json", '[{"a": 1}, {"a": 2}]')
    records, _ = run(make_source(tmp_path, format="json"))
    assert [p for _, _, p in records] == ['{"a":1}', '{"a":2}']


# -- chunking --------------------------------------------------------------------------------------


def test_small_files_are_packed_into_chunks(tmp_path: Path) -> None:
    for n in range(5):
        write(tmp_path / "data" / f"f{n}.ndjson", ndjson([{"f": n, "i": i} for i in range(3)]))
    records, chunks = run(make_source(tmp_path, batch_size=10))
    assert [len(c) for c in chunks] == [10, 5]
    assert records == [(f"f{n}.ndjson", i, json.dumps({"f": n, "i": i})) for n in range(5) for i in range(3)]
    first = chunks[0].position
    assert sorted(first) == ["f0.ndjson", "f1.ndjson", "f2.ndjson", "f3.ndjson"]
    assert first["f3.ndjson"]["next"] == 1 and first["f3.ndjson"]["done"] is False
    assert all(first[f"f{n}.ndjson"]["done"] for n in range(3))
    assert all(entry["done"] for entry in chunks[-1].position.values())


def test_batch_size_bounds_chunks_of_a_large_file(tmp_path: Path) -> None:
    write(tmp_path / "data" / "big.ndjson", ndjson([{"i": i, "s": "v" * 40} for i in range(10_000)]))
    records, chunks = run(make_source(tmp_path, read_chunk_bytes=1024, batch_size=10))
    assert max(len(c) for c in chunks) <= 10
    assert [i for _, i, _ in records] == list(range(10_000))


def test_large_pieces_are_not_split_to_top_up_a_chunk(tmp_path: Path) -> None:
    line = json.dumps({"s": "v" * 90}) + "\n"  # 100 bytes: 40 lines per 4000-byte read
    write(tmp_path / "data" / "big.ndjson", line * 200)
    records, chunks = run(make_source(tmp_path, read_chunk_bytes=4000, batch_size=50))
    assert len(records) == 200
    assert all(25 <= len(c) <= 50 for c in chunks[:-1])
    assert [p["big.ndjson"]["bytes"] for p in (c.position for c in chunks)] == [
        100 * n for n in itertools.accumulate(len(c) for c in chunks)
    ]


def test_positions_are_cumulative_and_include_start(tmp_path: Path) -> None:
    write(tmp_path / "data" / "a.ndjson", ndjson([{"a": 1}]))
    gone = {"next": 7, "size": 10, "mtime_ns": 1, "done": True}
    _, chunks = run(make_source(tmp_path), {"old/gone.ndjson": gone})
    assert chunks[-1].position["old/gone.ndjson"] == gone
    assert chunks[-1].position["a.ndjson"]["next"] == 1


# -- resume ----------------------------------------------------------------------------------------


def test_resume_mid_file_seeks(tmp_path: Path) -> None:
    path = write(tmp_path / "data" / "a.ndjson", ndjson([{"i": i} for i in range(10)]))
    _, chunks = run(make_source(tmp_path, batch_size=4))
    middle = chunks[1].position  # after records 0..7
    assert middle["a.ndjson"]["next"] == 8 and middle["a.ndjson"]["done"] is False
    # Garble what was already read, keeping the size: a seek never looks at it again.
    data = path.read_bytes()
    path.write_bytes(b"x" * middle["a.ndjson"]["bytes"] + data[middle["a.ndjson"]["bytes"] :])
    records, _ = run(make_source(tmp_path, batch_size=4), middle)
    assert records == [("a.ndjson", 8, '{"i": 8}'), ("a.ndjson", 9, '{"i": 9}')]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("read_chunk_bytes", [50, 1 << 20])
def test_every_position_resumes_exactly(tmp_path: Path, read_chunk_bytes: int, gz: bool) -> None:
    rng = random.Random(read_chunk_bytes)
    text = "".join(
        json.dumps({"i": i, "pad": "p" * rng.randint(0, 60)}) + rng.choice(["\n", "\r\n", "\n \n", "\n\n\n"])
        for i in range(60)
    )
    write(tmp_path / "data" / "a.ndjson", text, gz=gz)
    source = make_source(tmp_path, batch_size=7, read_chunk_bytes=read_chunk_bytes)
    expected, chunks = run(source)
    assert [i for _, i, _ in expected] == list(range(60))
    passed = 0
    for chunk in chunks:
        passed += len(chunk)
        assert ("bytes" in chunk.position["a.ndjson"]) is not gz
        resumed, _ = run(
            make_source(tmp_path, batch_size=7, read_chunk_bytes=read_chunk_bytes), chunk.position
        )
        assert resumed == expected[passed:]


@pytest.mark.parametrize("blanks", [False, True], ids=["clean", "blanks"])
def test_large_block_positions_resume_exactly(tmp_path: Path, blanks: bool) -> None:
    """Blocks of 1 MiB and more skip the trimming copy when no line needs it: check both paths."""
    ends = ["\n", "\r\n", "\n\n", " \n"] if blanks else ["\n"]
    rng = random.Random(3)
    text = "".join(json.dumps({"i": i, "pad": "p" * 80}) + rng.choice(ends) for i in range(15_000))
    assert len(text) > 1 << 20
    write(tmp_path / "data" / "a.ndjson", text)
    expected, chunks = run(make_source(tmp_path, batch_size=4_000))
    assert [i for _, i, _ in expected] == list(range(15_000))
    assert all(p.startswith("{") and p.endswith("}") for _, _, p in expected)
    resumed, _ = run(make_source(tmp_path, batch_size=4_000), chunks[1].position)
    assert resumed == expected[len(chunks[0]) + len(chunks[1]) :]


@pytest.mark.parametrize("kind", ["ndjson", "array"])
def test_resume_gzip_and_array_skips_records(tmp_path: Path, kind: str) -> None:
    values = [{"i": i} for i in range(10)]
    text = ndjson(values) if kind == "ndjson" else json.dumps(values)
    write(tmp_path / "data" / "a.json.gz", text, gz=True)
    _, chunks = run(make_source(tmp_path, batch_size=3))
    start = chunks[1].position
    assert start["a.json.gz"]["next"] == 6 and "bytes" not in start["a.json.gz"]
    records, _ = run(make_source(tmp_path, batch_size=3), start)
    assert [(i, orjson.loads(p)) for _, i, p in records] == [(i, {"i": i}) for i in range(6, 10)]


def test_done_unchanged_file_is_not_even_opened(tmp_path: Path) -> None:
    path = write(tmp_path / "data" / "a.ndjson", ndjson([{"a": 1}, {"a": 2}]))
    _, chunks = run(make_source(tmp_path))
    final = chunks[-1].position
    stat = path.stat()
    path.write_bytes(b"\x1f\x8b" + b"\x00" * (stat.st_size - 2))  # would be a corrupt gzip if read
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    records, chunks = run(make_source(tmp_path), final)
    assert records == [] and chunks == []


def test_grown_file_continues_and_new_file_is_picked_up(tmp_path: Path) -> None:
    path = write(tmp_path / "data" / "a.ndjson", ndjson([{"a": 1}, {"a": 2}]))
    _, chunks = run(make_source(tmp_path))
    with path.open("a") as f:
        f.write(ndjson([{"a": 3}]))
    write(tmp_path / "data" / "b.ndjson", ndjson([{"b": 1}]))
    records, chunks = run(make_source(tmp_path), chunks[-1].position)
    assert records == [("a.ndjson", 2, '{"a": 3}'), ("b.ndjson", 0, '{"b": 1}')]
    assert chunks[-1].position["a.ndjson"]["next"] == 3


# -- discovery and errors ----------------------------------------------------------------------------


def test_glob_path_hidden_files_and_sorted_order(tmp_path: Path) -> None:
    write(tmp_path / "in" / "b" / "x.json", ndjson([{"n": "b/x"}]))
    write(tmp_path / "in" / "a.json", ndjson([{"n": "a"}]))
    write(tmp_path / "in" / ".tmp.json", ndjson([{"n": "hidden"}]))
    write(tmp_path / "in" / "c.csv", "n\nc\n")
    records, _ = run(make_source(tmp_path, path="in", pattern="*.json"))
    assert [s for s, _, _ in records] == ["a.json", "b/x.json"]
    records, _ = run(make_source(tmp_path, path="in/**/*.json"))
    assert [s for s, _, _ in records] == ["a.json", "b/x.json"]
    records, _ = run(make_source(tmp_path, path=str(tmp_path / "in" / "a.json")))
    assert [s for s, _, _ in records] == ["a.json"]


def test_missing_root_directory_is_a_terminal_error(tmp_path: Path) -> None:
    with pytest.raises(TerminalConnectorError, match="does not exist") as info:
        list(make_source(tmp_path, path="nowhere").chunks({}))
    assert info.value.hint
    with pytest.raises(TerminalConnectorError):
        list(make_source(tmp_path, path="nowhere/*.json").chunks({}))


def test_no_matching_file_yields_nothing_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "data").mkdir()
    with caplog.at_level(logging.WARNING):
        assert list(make_source(tmp_path).chunks({})) == []
    assert "no file matches" in caplog.text


def test_corrupt_gzip_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "data" / "bad.json.gz", b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(TerminalConnectorError) as info:
        list(make_source(tmp_path).chunks({}))
    assert info.value.context["file"] == str(path)
    assert str(path) in str(info.value)


# -- follow ------------------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_follow_picks_up_appends_and_new_files_until_stopped(tmp_path: Path) -> None:
    path = write(tmp_path / "data" / "a.ndjson", '{"a": 1}\n{"a": 2}\n{"a": 3')  # still being written
    source = make_source(tmp_path, poll_seconds=0.01)
    first_seen, idle_seen, all_seen = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            assert first_seen.wait(10) and idle_seen.wait(10)
            with path.open("a") as f:
                f.write("}\n")
            hidden = write(tmp_path / "data" / ".b.ndjson", ndjson([{"b": 1}]))
            hidden.rename(tmp_path / "data" / "b.ndjson")
            assert all_seen.wait(10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            source.stop()

    thread = threading.Thread(target=writer)
    thread.start()
    chunks: list[RawChunk] = []
    for chunk in source.chunks({}, follow=True):
        chunks.append(chunk)
        records = records_of(chunks)
        if len(records) >= 2:
            first_seen.set()
        if first_seen.is_set() and not len(chunk):
            assert len(records) == 2  # the unterminated line is withheld, not emitted
            idle_seen.set()
        if len(records) >= 4:
            all_seen.set()
    thread.join()
    assert not errors
    assert records_of(chunks) == [
        ("a.ndjson", 0, '{"a": 1}'),
        ("a.ndjson", 1, '{"a": 2}'),
        ("a.ndjson", 2, '{"a": 3}'),
        ("b.ndjson", 0, '{"b": 1}'),
    ]
    assert chunks[-1].position["a.ndjson"]["next"] == 3
    withheld = chunks[0].position["a.ndjson"]
    assert withheld["next"] == 2 and withheld["done"] is False and withheld["bytes"] == 18


def test_config_defaults_and_strictness() -> None:
    config = FilesSourceConfig.model_validate({"type": "files", "path": "d", "schema": "bids"})
    assert config.schema_ == "bids" and config.pattern == "*.*json*" and config.format == "auto"
    assert config.batch_size == 50_000 and config.read_chunk_bytes == 8 << 20
    with pytest.raises(ValidationError):
        FilesSourceConfig.model_validate({"type": "files", "path": "d", "schema": "s", "patern": "*"})
    properties = FilesSourceConfig.model_json_schema()["properties"]
    assert "schema" in properties and all(p.get("description") for p in properties.values())


def test_registry_loads_files_and_suggests_names() -> None:
    assert load_source_class("files") is FilesSource
    assert FilesSourceConfig in SOURCE_CONFIG_MODELS
    with pytest.raises(RegistryError) as info:
        load_source_class("file")
    assert "did you mean 'files'" in str(info.value)
