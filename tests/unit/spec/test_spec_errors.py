"""Malformed specs give one clear, located message (and exit 2 from the CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lakegate.cli.main import main
from lakegate.errors import SpecError
from lakegate.spec import load_pipeline_text

BASE = """\
pipeline: demo
schemas:
  bid:
    fields:
      - {name: user_id, type: long, required: true}
      - {name: platform, type: string}
sources:
  bids:
    type: files
    path: data
    schema: bid
transforms:
  clean:
    source: bids
    rules:
      - type: lower
        columns: [platform]
    sinks: [out]
sinks:
  out:
    type: parquet
    path: out
"""


def error_of(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_pipeline_text(text, "p.yaml")
    return info.value


def test_valid_spec_loads() -> None:
    loaded = load_pipeline_text(BASE, "p.yaml")
    assert loaded.spec.pipeline == "demo"
    assert loaded.spec.transforms["clean"].rules[0].type == "lower"


def test_unknown_rule_type_suggests_closest() -> None:
    err = error_of(BASE.replace("type: lower", "type: lowr"))
    assert "unknown type 'lowr'" in err.message
    assert "did you mean 'lower'" in err.message
    assert (err.context["file"], err.context["line"]) == ("p.yaml", 16)


def test_unknown_key_suggests_closest_and_lists_allowed() -> None:
    err = error_of(BASE.replace("columns: [platform]", "colums: [platform]"))
    assert "unknown key 'colums'" in err.message and "did you mean 'columns'" in err.message
    assert err.context["line"] == 17
    assert err.hint is not None and "columns" in err.hint


def test_missing_key_is_named() -> None:
    err = error_of(BASE.replace("    source: bids\n", ""))
    assert "needs the key 'source'" in err.message
    assert err.context["line"] == 13


def test_dangling_reference_suggests_declared_name() -> None:
    err = error_of(BASE.replace("sinks: [out]", "sinks: [outt]"))
    assert "unknown sink 'outt'" in err.message and "did you mean 'out'" in err.message
    assert err.context["line"] == 18


def test_bad_type_string() -> None:
    err = error_of(BASE.replace("type: long, required", "type: lnog, required"))
    assert "unknown type 'lnog'" in err.message and "did you mean 'long'" in err.message
    assert err.context["line"] == 5


def test_unset_environment_variable() -> None:
    err = error_of(BASE.replace("path: data", "path: ${LAKEGATE_TEST_SURELY_UNSET}"))
    assert "LAKEGATE_TEST_SURELY_UNSET is not set" in err.message
    assert err.context["line"] == 10


def test_interpolation_with_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LG_DIR", "from-env")
    loaded = load_pipeline_text(BASE.replace("path: data", "path: ${LG_DIR}/${LG_MISSING:-x}"), "p.yaml")
    assert loaded.spec.sources["bids"].path == "from-env/x"


def test_yaml_syntax_error_is_located() -> None:
    err = error_of(BASE.replace("rules:\n", "rules: [\n"))
    assert "not valid YAML" in err.message and err.context.get("line")


def test_duplicate_keys_are_rejected() -> None:
    err = error_of(BASE + "pipeline: again\n")
    assert "duplicate key 'pipeline'" in err.message


MERGED = BASE.replace(
    "sources:\n  bids:\n    type: files\n    path: data\n    schema: bid\n",
    "sources:\n  bids: &files\n    type: files\n    path: data\n    schema: bid\n"
    "  more:\n    <<: *files\n    path: more\n    batch_size: 10\n",
)


def test_merge_keys_inherit_and_explicit_keys_win() -> None:
    loaded = load_pipeline_text(MERGED, "p.yaml")
    more = loaded.spec.sources["more"]
    assert (more.type, more.path, more.schema_, more.batch_size) == ("files", "more", "bid", 10)
    assert loaded.spec.sources["bids"].path == "data"


def test_an_error_in_a_merged_mapping_is_located_and_a_bad_merge_is_a_spec_error() -> None:
    err = error_of(MERGED.replace("    batch_size: 10\n", "    batch_sise: 10\n"))
    assert "did you mean 'batch_size'" in err.message and err.context["line"] == 15
    err = error_of(MERGED.replace("<<: *files", "<<: files"))
    assert "merge key (<<) takes a mapping" in err.message


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(BASE.replace("type: lower", "type: lowr"))
    proc = subprocess.run(
        [sys.executable, "-m", "lakegate.cli.main", "validate", str(spec)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{spec}:16:9: unknown type 'lowr'" in proc.stderr


def test_cli_debug_shows_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(BASE.replace("type: lower", "type: lowr"))
    assert main(["--debug", "validate", str(spec)]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_compile_error_names_rule_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(BASE.replace("columns: [platform]", "columns: [platfrom]"))
    assert main(["validate", str(spec)]) == 2
    message = capsys.readouterr().err
    assert "unknown column 'platfrom'" in message and "did you mean 'platform'" in message
    assert "rule lower_1" in message and ":16:" in message


def test_yaml_12_booleans_keep_on_off_yes_no_as_strings() -> None:
    from lakegate.spec.loader import load_yaml_text

    data, _ = load_yaml_text("a: {off: on, no: NO, y: yes}\nb: [true, False]\n", "t.yaml")
    assert data == {"a": {"off": "on", "no": "NO", "y": "yes"}, "b": [True, False]}
