"""The error hierarchy renders context; a missing optional dependency names the extra to install."""

from __future__ import annotations

import pytest

from lakegate._optional import require
from lakegate.cli.main import main
from lakegate.errors import CompileError, LakegateError, MissingDependencyError, SpecError, Terminal


def test_error_renders_location_context_and_hint() -> None:
    err = CompileError("unknown column 'x'", hint="cast it", file="p.yaml", line=3, column=7, rule="r1")
    assert str(err) == "p.yaml:3:7: unknown column 'x' (rule r1)\n  hint: cast it"
    assert isinstance(err, LakegateError) and isinstance(err, Terminal)
    assert SpecError("x").exit_code == 2


def test_missing_dependency_prints_pip_line() -> None:
    with pytest.raises(MissingDependencyError) as info:
        require("surely_not_installed_pkg", "iceberg", purpose="the iceberg sink")
    assert "the iceberg sink needs the Python package 'surely_not_installed_pkg'" in str(info.value)
    assert info.value.hint == "pip install 'lakegate[iceberg]'"


def test_rules_command_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    text = capsys.readouterr().out
    for name in ("rename", "parse_timestamp", "validate", "route", "python", "sql"):
        assert f"{name} — " in text
    assert main(["rules", "mask"]) == 0
    assert "keep_last" in capsys.readouterr().out
    assert main(["rules", "maks"]) == 2
    assert "did you mean 'mask'" in capsys.readouterr().err
