"""The committed reference docs are what the models render (run `make docs` after changing a model)."""

from __future__ import annotations

import json
from pathlib import Path

from lakegate.cli.reference import render_json_schema, render_reference
from lakegate.rules import RULES

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_reference_is_up_to_date() -> None:
    assert (DOCS / "reference.md").read_text() == render_reference(), "run `make docs`"
    assert (DOCS / "pipeline.schema.json").read_text() == render_json_schema(), "run `make docs`"


def test_every_rule_is_documented_with_an_example() -> None:
    text = render_reference()
    for name, model in RULES.items():
        assert f"### `{name}`" in text
        assert model.summary and model.example.startswith(f"- type: {name}")


def test_json_schema_knows_every_rule_type() -> None:
    schema = json.loads(render_json_schema())
    text = json.dumps(schema)
    assert all(f'"const": "{name}"' in text for name in RULES)
